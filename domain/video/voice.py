"""Word timings from a synthesizer's phoneme alignments: exact by construction, no speech
recognition. A sentence's alignment is a list of (phoneme, samples); a space phoneme separates
spoken words; each token may be several spoken words ("2024" is "two thousand twenty four"), which
the synthesizer's own phonemizer says per token. Sentence bounds are cumulative sample counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SPACE = " "
BOS, EOS = "^", "$"


@dataclass(frozen=True)
class Span:
    """A token's time in the narration, in samples from the narration's start."""

    start: int
    end: int

    def seconds(self, rate: int) -> tuple[float, float]:
        return self.start / rate, self.end / rate


def phoneme_words(alignment: Sequence[tuple[str, int]]) -> list[Span]:
    """The spoken words of one sentence: the samples of each run of phonemes between spaces
    (the start silence, the end marker and punctuation belong to no word)."""
    words: list[Span] = []
    at = 0
    current: Span | None = None
    for phoneme, samples in alignment:
        if phoneme in (SPACE, BOS, EOS) or not any(ch.isalpha() or ch in "ˈˌːɾɹʔ" for ch in phoneme):
            if current is not None:
                words.append(current)
                current = None
        else:
            current = Span(at, at + samples) if current is None else Span(current.start, at + samples)
        at += samples
    if current is not None:
        words.append(current)
    return words


def token_spans(words_per_token: Sequence[int], alignment: Sequence[tuple[str, int]], offset: int = 0) -> list[Span]:
    """One span per token: its spoken words' first onset to their last end. When the phonemizer
    split the sentence differently from the tokens (rare), the tokens share the sentence's words in
    proportion to how many each says, still inside the sentence's exact bounds."""
    words = phoneme_words(alignment)
    out: list[Span] = []
    if words and sum(words_per_token) == len(words):
        i = 0
        for n in words_per_token:
            n = max(n, 1)
            out.append(Span(offset + words[i].start, offset + words[min(i + n, len(words)) - 1].end))
            i += n
        return out
    start = words[0].start if words else 0
    end = words[-1].end if words else sum(s for _, s in alignment)
    total = max(sum(max(n, 1) for n in words_per_token), 1)
    at = 0
    for n in words_per_token:
        a = start + (end - start) * at // total
        at += max(n, 1)
        out.append(Span(offset + a, offset + start + (end - start) * at // total))
    return out
