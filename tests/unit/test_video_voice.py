"""Word timings from the synthesizer itself: each token's span is its spoken words' onset to end,
from the phoneme alignments; sentence bounds are exact sample counts; a language no voice speaks
is refused with the reason."""

from __future__ import annotations

import pytest

from adapters.voice import ToneSynthesizer, VoiceUnavailable, voice_for
from adapters.voice.piper import VOICE_ID, PiperSynthesizer
from domain.video.script import tokens
from domain.video.voice import Span, phoneme_words, token_spans

# "^ hi  two thousand ." : start silence, one word, a space, a two-word token, punctuation, end.
ALIGN = [("^", 100), ("h", 10), ("a", 20), (" ", 5), ("t", 10), ("u", 10), (" ", 5), ("θ", 30), (".", 40), ("$", 50)]


def test_words_are_the_phoneme_runs_between_spaces() -> None:
    assert phoneme_words(ALIGN) == [Span(100, 130), Span(135, 155), Span(160, 190)]


def test_a_token_spans_its_spoken_words_exactly() -> None:
    assert token_spans([1, 2], ALIGN, offset=1000) == [Span(1100, 1130), Span(1135, 1190)]


def test_a_different_split_shares_the_sentence_and_stays_inside_it() -> None:
    spans = token_spans([1, 1, 1, 1], ALIGN)
    assert spans[0].start == 100 and spans[-1].end == 190
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_the_test_voice_times_every_word_and_refuses_a_language_it_does_not_speak() -> None:
    synth = ToneSynthesizer(rate=8000, word_seconds=0.2, gap=0.05)
    n = synth.synthesize([tokens("Costs fell 40%."), tokens("Done.")], voice_id="tone", language="en", pause=0.5)
    assert n.tokens[2] == Span(4000, 4000 + 2 * 2000 - 400)  # "40 percent": two words of 0.2 s, a 0.05 s gap between
    assert n.sentences[1].start == n.sentences[0].end + 4000 and n.samples == n.sentences[-1].end + 4000
    with pytest.raises(VoiceUnavailable, match="language: no configured voice speaks 'de'"):
        synth.synthesize([tokens("Hallo Welt.")], voice_id="tone", language="de")


def test_piper_gives_each_token_its_onset_from_the_alignments() -> None:
    synth = PiperSynthesizer()
    assert voice_for(synth, "en-US").voice_id == VOICE_ID
    sentences = [tokens("Teams cut incident time by 40% in 2024."), tokens("Every change is an event.")]
    n = synth.synthesize(sentences, voice_id=VOICE_ID, language="en", pause=0.3)
    assert len(n.tokens) == sum(len(s) for s in sentences)
    assert all(a.start < a.end <= b.start for a, b in zip(n.tokens, n.tokens[1:], strict=False))  # in order, no overlap
    first, second = n.sentences
    assert first.start == 0 and second.start == first.end + int(0.3 * n.rate) and n.samples == second.end + int(0.3 * n.rate)
    assert first.start < n.tokens[0].start and n.tokens[7].end <= first.end < n.tokens[8].start  # "2024." ends sentence one
    assert 2.0 < n.seconds < 8.0 and n.wav()[:4] == b"RIFF"
    with pytest.raises(VoiceUnavailable):
        synth.synthesize([tokens("Bonjour.")], voice_id=VOICE_ID, language="fr")
