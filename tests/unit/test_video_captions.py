"""Captions cut from the narration's own spans: every highlighted word starts within one frame of
the synthesizer's onset for that word; pages fit the preset; SRT and VTT agree with the ASS."""

from __future__ import annotations

import re

from adapters.voice.piper import VOICE_ID, PiperSynthesizer
from domain.video.captions import ass, pages, srt, vtt, words
from domain.video.script import tokens

FPS = 30
SENTENCES = [
    tokens("Event sourcing keeps every change as an immutable event."),
    tokens("Teams that adopted it cut incident time by 40% in 2024."),
]


def _narrated():  # type: ignore[no-untyped-def]
    n = PiperSynthesizer().synthesize(SENTENCES, voice_id=VOICE_ID, language="en", pause=0.3)
    flat = [t for s in SENTENCES for t in s]
    spans = [(sp.start / n.rate, sp.end / n.rate) for sp in n.tokens]
    ends = [sum(len(s) for s in SENTENCES[: i + 1]) - 1 for i in range(len(SENTENCES))]
    return flat, spans, ends


def _seconds(t: str) -> float:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_every_highlighted_word_starts_within_one_frame_of_its_spoken_onset() -> None:
    flat, spans, ends = _narrated()
    ps = pages(words(flat, spans, FPS), max_words=3, max_chars=18, sentence_ends=ends)
    doc = ass(ps, width=1080, height=1920)
    events = re.findall(r"^Dialogue: 0,([^,]+),([^,]+),Caption,,0,0,0,,(.*)$", doc, re.M)
    assert len(events) == len(flat)  # one event per spoken word, in order
    for (start, end, text), tok, (onset, _) in zip(events, flat, spans, strict=True):
        assert abs(_seconds(start) - onset) <= 1 / FPS, (tok.shown, start, onset)
        assert re.search(r"\{\\c&H[0-9A-F]{8}&\}" + re.escape(tok.shown) + r"\{\\r\}", text)
        assert _seconds(end) > _seconds(start)


def test_short_pages_hold_one_to_three_words_and_never_cross_a_sentence() -> None:
    flat, spans, ends = _narrated()
    ps = pages(words(flat, spans, FPS), max_words=3, max_chars=18, sentence_ends=ends)
    assert all(1 <= len(p.words) <= 3 and (len(p.text) <= 18 or len(p.words) == 1) for p in ps)
    first_sentence = [p for p in ps if p.start < spans[ends[0]][1]]
    assert first_sentence[-1].words[-1].text == "event."  # the sentence closes its page
    assert all(a.end <= b.start for a, b in zip(ps, ps[1:], strict=False))  # pages never overlap


def test_srt_and_vtt_come_from_the_same_pages() -> None:
    flat, spans, ends = _narrated()
    ps = pages(words(flat, spans, FPS), max_words=8, max_chars=42, sentence_ends=ends)
    s, v = srt(ps), vtt(ps)
    assert s.startswith("1\n00:00:0") and " --> " in s and s.count("\n\n") == len(ps) - 1
    assert v.startswith("WEBVTT\n\n") and v.count(" --> ") == len(ps)
    assert [line for line in s.splitlines() if "-->" in line][0].replace(",", ".") == [line for line in v.splitlines() if "-->" in line][0]
