"""An OpenAI-compatible text-to-speech endpoint (``POST {base}/audio/speech``) as a voice.

Such APIs return audio without timings, so each sentence is its own request: sentence bounds are
exact to the sample, and inside a sentence each word's span is placed in the voiced part (silence
trimmed) in proportion to its spoken letters, which keeps captions within a word of the voice for
ordinary speech. Piper's phoneme alignments stay the default where the exact word matters. A 4xx
(a wrong key, an unknown voice) fails the voice stage with the API's reason; a 5xx, 429 or a
connection error is an outage, waited out. Blocking: runs in a render process."""

from __future__ import annotations

import io
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from adapters.vault.crypto import Secret
from adapters.voice import Narration, VoiceInfo, VoiceUnavailable, voice_for
from domain.video.script import Token
from domain.video.voice import Span

SILENCE = 500  # 16-bit amplitude under which a sample counts as silence when trimming


@dataclass(frozen=True)
class SpeechApi:
    """Where the API is and which voice to ask for: picklable, so a render process builds its own client."""

    base_url: str
    model: str
    voice: str
    api_key: Secret
    languages: tuple[str, ...] = ("en",)
    words_per_second: float = 2.5

    def synthesizer(self) -> SpeechApiSynthesizer:
        return SpeechApiSynthesizer(
            self.base_url,
            self.model,
            self.voice,
            api_key=self.api_key.reveal(),
            languages=self.languages,
            words_per_second=self.words_per_second,
        )


class SpeechRefused(VoiceUnavailable):
    """The API refused the request (4xx): the same request would be refused again."""


class SpeechUnavailable(ConnectionError):
    """The API could not answer now (5xx, 429, no connection): try again later."""


class SpeechApiSynthesizer:
    def __init__(
        self,
        base_url: str,
        model: str,
        voice: str,
        *,
        api_key: str = "",
        languages: Sequence[str] = ("en",),
        words_per_second: float = 2.5,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.base, self.model, self.voice = base_url.rstrip("/"), model, voice
        self.voice_id = f"api-{voice}"
        self.languages = tuple(languages)
        self.wps = words_per_second
        self._key = api_key
        self._http = http or httpx.Client(timeout=timeout)

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(self.voice_id, self.languages, self.wps, offline=False)]

    def synthesize(self, sentences: Sequence[Sequence[Token]], *, voice_id: str, language: str, pause: float = 0.25) -> Narration:
        voice_for(self, language, voice_id)
        rate = 0
        pcm, bounds, spans = bytearray(), [], []
        for sentence in sentences:
            got_rate, audio = self._speak(" ".join(t.spoken for t in sentence))
            if rate and got_rate != rate:
                raise SpeechRefused(f"voice_id: the speech API changed its sample rate mid-script ({rate} then {got_rate} Hz)")
            rate = got_rate
            start = len(pcm) // 2
            n = len(audio) // 2
            lo, hi = _voiced(audio)
            weights = [max(1, len(t.spoken.replace(" ", ""))) for t in sentence]
            total, at = sum(weights), float(lo)
            for w in weights:
                end = at + (hi - lo) * w / total
                spans.append(Span(start + round(at), start + round(end)))
                at = end
            bounds.append(Span(start, start + n))
            pcm += audio + b"\x00\x00" * int(pause * rate)
        return Narration(rate or 24000, bytes(pcm), bounds, spans)

    def _redacted(self, text: str) -> str:
        return _redact(text, self._key)

    def _speak(self, text: str) -> tuple[int, bytes]:
        body = {"model": self.model, "voice": self.voice, "input": text, "response_format": "wav"}
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            r = self._http.post(f"{self.base}/audio/speech", json=body, headers=headers)
        except httpx.TransportError as err:
            raise SpeechUnavailable(f"speech API: {type(err).__name__}") from None
        if r.status_code == 429 or r.status_code >= 500:
            raise SpeechUnavailable(f"speech API answered {r.status_code}")
        if r.status_code >= 400:
            raise SpeechRefused(f"voice_id: the speech API refused {self.voice_id!r} ({r.status_code}): {self._redacted(_reason(r))}")
        try:
            with wave.open(io.BytesIO(r.content), "rb") as w:
                rate, width, channels, frames = w.getframerate(), w.getsampwidth(), w.getnchannels(), w.readframes(w.getnframes())
        except (wave.Error, EOFError) as err:
            raise SpeechRefused(f"voice_id: the speech API did not return WAV audio ({err})") from None
        if width != 2 or channels not in (1, 2):
            raise SpeechRefused(
                f"voice_id: the speech API sent {width * 8}-bit audio in {channels} channels; 16-bit mono or stereo is read"
            )
        if channels == 2:  # the mean of left and right
            both = memoryview(frames).cast("h")
            frames = array("h", ((both[i] + both[i + 1]) // 2 for i in range(0, len(both) - 1, 2))).tobytes()
        return rate, frames


def _redact(text: str, key: str) -> str:
    """An API's error may quote the key it refused; the reason goes to a topic and the API's answers."""
    return text.replace(key, "[redacted]") if key else text


def _voiced(audio: bytes) -> tuple[int, int]:
    """The first and last sample louder than silence (the whole when it is all quiet)."""
    n = len(audio) // 2
    samples = memoryview(audio).cast("h")
    lo = next((i for i in range(n) if abs(samples[i]) > SILENCE), 0)
    hi = next((i + 1 for i in range(n - 1, -1, -1) if abs(samples[i]) > SILENCE), n)
    return (lo, hi) if hi > lo else (0, n)


def _reason(r: httpx.Response) -> str:
    try:
        err = r.json().get("error", {})
        return str(err.get("message") if isinstance(err, dict) else err)[:300]
    except ValueError:
        return r.text[:300]
