"""Voices: a script's sentences in, audio and each token's exact span out.

:class:`Synthesizer` is the port; :class:`PiperSynthesizer` (``adapters.voice.piper``) is the
offline default, :class:`SpeechApiSynthesizer` (``adapters.voice.speech_api``) an
OpenAI-compatible ``/audio/speech`` API, :class:`ToneSynthesizer` the fast test voice: a tone per
spoken word, timings known exactly; :class:`Chorus` offers several as one. Both are blocking: callers run them in a worker process or thread, never on the
event loop."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.video.script import Token
from domain.video.voice import Span


class VoiceUnavailable(Exception):
    """No configured voice speaks the script's language: said, never read with the wrong phonemes."""


@dataclass(frozen=True)
class VoiceInfo:
    voice_id: str
    languages: tuple[str, ...]
    words_per_second: float
    offline: bool = True


@dataclass(frozen=True)
class Narration:
    rate: int
    pcm: bytes  # 16-bit mono
    sentences: list[Span]
    tokens: list[Span] = field(default_factory=list)  # one per token, every sentence in order

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def seconds(self) -> float:
        return self.samples / self.rate

    def wav(self) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.pcm)
        return buf.getvalue()


class Synthesizer(Protocol):
    def voices(self) -> list[VoiceInfo]: ...

    def synthesize(self, sentences: Sequence[Sequence[Token]], *, voice_id: str, language: str, pause: float = 0.25) -> Narration:
        """Each sentence spoken in turn with ``pause`` seconds of silence after it."""
        ...


def voice_for(synth: Synthesizer, language: str, voice_id: str | None = None) -> VoiceInfo:
    base = language.split("-")[0].lower()
    for v in synth.voices():
        if (voice_id is None or v.voice_id == voice_id) and base in v.languages:
            return v
    spoken = sorted({lang for v in synth.voices() for lang in v.languages})
    raise VoiceUnavailable(f"language: no configured voice speaks {language!r} (voices speak {', '.join(spoken) or 'nothing'})")


class Chorus:
    """Several synthesizers as one: every voice of each, each request to the one that has the voice."""

    def __init__(self, *synths: Synthesizer) -> None:
        self.synths = synths

    def voices(self) -> list[VoiceInfo]:
        return [v for s in self.synths for v in s.voices()]

    def synthesize(self, sentences: Sequence[Sequence[Token]], *, voice_id: str, language: str, pause: float = 0.25) -> Narration:
        for s in self.synths:
            if any(v.voice_id == voice_id for v in s.voices()):
                return s.synthesize(sentences, voice_id=voice_id, language=language, pause=pause)
        raise VoiceUnavailable(f"voice_id: no configured voice {voice_id!r} (voices: {', '.join(v.voice_id for v in self.voices())})")


class ToneSynthesizer:
    """The test voice: ``word_seconds`` of a quiet tone per spoken word, a gap between words."""

    def __init__(self, rate: int = 16000, word_seconds: float = 0.3, gap: float = 0.05, languages: tuple[str, ...] = ("en",)) -> None:
        self.rate, self.word, self.gap, self.languages = rate, word_seconds, gap, languages

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("tone", self.languages, round(1 / (self.word + self.gap), 2))]

    def synthesize(self, sentences: Sequence[Sequence[Token]], *, voice_id: str, language: str, pause: float = 0.25) -> Narration:
        import math

        voice_for(self, language, voice_id)
        word, gap = int(self.word * self.rate), int(self.gap * self.rate)
        tone = b"".join(int(3000 * math.sin(2 * math.pi * 220 * i / self.rate)).to_bytes(2, "little", signed=True) for i in range(word))
        silence = b"\x00\x00"
        pcm, spans, bounds, at = bytearray(), [], [], 0
        for sentence in sentences:
            start = at
            for tok in sentence:
                n = max(1, len(tok.spoken.split()))
                t0 = at
                for _ in range(n):
                    pcm += tone + silence * gap
                    at += word + gap
                spans.append(Span(t0, at - gap))
            bounds.append(Span(start, at))
            pcm += silence * int(pause * self.rate)
            at += int(pause * self.rate)
        return Narration(self.rate, bytes(pcm), bounds, spans)
