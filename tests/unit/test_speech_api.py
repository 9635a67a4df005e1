"""The OpenAI-compatible ``/audio/speech`` voice against a local fake of the API: one request per
sentence, sentence bounds exact to the sample, word spans inside the voiced part and in order, a
refusal said with the API's reason, an outage left to be waited out — and a video made with it."""

from __future__ import annotations

import io
import json
import math
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adapters.transient import is_transient
from adapters.video.studio import Studio
from adapters.voice import Chorus, ToneSynthesizer, VoiceUnavailable, voice_for
from adapters.voice.speech_api import SpeechApiSynthesizer, SpeechRefused, SpeechUnavailable
from domain.video.outline import outline
from domain.video.script import draft_script, tokens
from tests.unit.test_video_studio import HTML, fetch

RATE, LEAD, PER_LETTER = 22050, 0.1, 0.03  # the fake's audio: silence, a tone as long as the letters, silence


def expected(text: str) -> tuple[int, int]:
    """(leading silence, tone) in samples, as the fake makes them for ``text``."""
    letters = sum(ch.isalnum() for ch in text)
    return int(LEAD * RATE), int(letters * PER_LETTER * RATE)


class FakeSpeech(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeSpeech.requests.append(body | {"auth": self.headers.get("Authorization")})
        if self.path != "/v1/audio/speech":
            return self._answer(404, {"error": {"message": "no such route"}})
        if self.headers.get("Authorization") != "Bearer sk-test":  # as OpenAI does: the key quoted back
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return self._answer(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
        if "outage" in body["input"]:
            return self._answer(503, {"error": {"message": "overloaded"}})
        lead, tone = expected(body["input"])
        pcm = b"\x00\x00" * lead
        pcm += b"".join(int(8000 * math.sin(2 * math.pi * 200 * i / RATE)).to_bytes(2, "little", signed=True) for i in range(tone))
        pcm += b"\x00\x00" * lead
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE), w.writeframes(pcm)
        self._answer(200, buf.getvalue(), "audio/wav")

    def _answer(self, status: int, body: Any, kind: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSpeech)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def voice(base: str, key: str = "sk-test") -> SpeechApiSynthesizer:
    return SpeechApiSynthesizer(base, "tts-1", "alloy", api_key=key, languages=("en",))


def test_each_sentence_is_one_request_with_exact_bounds_and_words_in_order(api: str) -> None:
    sentences = [list(tokens("Logs remember everything.")), list(tokens("Replay rebuilds 3 views in 40% less time."))]
    FakeSpeech.requests.clear()
    n = voice(api).synthesize(sentences, voice_id="api-alloy", language="en", pause=0.2)
    assert [r["input"] for r in FakeSpeech.requests] == [" ".join(t.spoken for t in s) for s in sentences]
    assert FakeSpeech.requests[0] | {"input": ""} == {
        "model": "tts-1",
        "voice": "alloy",
        "input": "",
        "response_format": "wav",
        "auth": "Bearer sk-test",
    }
    assert n.rate == RATE and len(n.tokens) == sum(len(s) for s in sentences)
    at = 0
    spans = iter(n.tokens)
    for sentence, bound in zip(sentences, n.sentences, strict=True):
        lead, tone = expected(" ".join(t.spoken for t in sentence))
        assert bound.start == at and bound.end - bound.start == 2 * lead + tone  # exact to the sample
        mine = [next(spans) for _ in sentence]
        ms = RATE // 1000
        assert abs(mine[0].start - (at + lead)) <= ms and abs(mine[-1].end - (at + lead + tone)) <= ms  # the voiced part, to a millisecond
        assert all(a.end <= b.start + 1 and a.start < a.end for a, b in zip(mine, mine[1:], strict=False))
        at = bound.end + int(0.2 * RATE)
    assert n.samples == at


def test_a_refusal_says_why_and_an_outage_is_waited_out(api: str) -> None:
    with pytest.raises(SpeechRefused, match="Incorrect API key provided") as refused:
        voice(api, key="sk-wrong").synthesize([list(tokens("Hello."))], voice_id="api-alloy", language="en")
    assert isinstance(refused.value, VoiceUnavailable) and not is_transient(refused.value)  # the voice stage fails, with the reason
    assert "sk-wrong" not in str(refused.value)  # which goes to a topic: never the key
    with pytest.raises(SpeechUnavailable) as outage:
        voice(api).synthesize([list(tokens("An outage now."))], voice_id="api-alloy", language="en")
    assert is_transient(outage.value)
    with pytest.raises(SpeechUnavailable):
        voice("http://127.0.0.1:9/v1").synthesize([list(tokens("Nobody home."))], voice_id="api-alloy", language="en")


def test_a_chorus_offers_every_voice_and_routes_each_request(api: str) -> None:
    chorus = Chorus(ToneSynthesizer(), voice(api))
    assert [v.voice_id for v in chorus.voices()] == ["tone", "api-alloy"] and not chorus.voices()[1].offline
    FakeSpeech.requests.clear()
    chorus.synthesize([list(tokens("Tone only."))], voice_id="tone", language="en")
    assert FakeSpeech.requests == []
    chorus.synthesize([list(tokens("The API speaks."))], voice_id="api-alloy", language="en")
    assert len(FakeSpeech.requests) == 1
    with pytest.raises(VoiceUnavailable, match="'de'"):
        voice_for(chorus, "de")
    with pytest.raises(VoiceUnavailable, match="nobody"):
        chorus.synthesize([list(tokens("x."))], voice_id="nobody", language="en")


def test_a_video_narrated_by_the_api_passes_its_preset(api: str, tmp_path: Path) -> None:
    script = draft_script(outline("Event Sourcing in Practice", HTML), form="short")
    made = Studio(tmp_path, voice(api), fetch, site="blog.example").produce(script, "youtube_short", "api-alloy", size=(180, 320))
    assert made.problems == [] and made.video is not None and made.seconds > 3
