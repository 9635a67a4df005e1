"""The Video Creator's script: one token stream for voice and captions, the article's own
structure, chapters and SEO that YouTube takes as they are."""

from __future__ import annotations

import pytest

from domain.video.outline import outline
from domain.video.script import Script, chapters, draft_script, seo, tag_chars, timestamp, tokens, youtube_problems

LESSON = " ".join(["Every change is an event, and the log is the truth the read models follow."] * 3)
HTML = (
    "<p>Event sourcing keeps every change. Teams that adopted it cut incident time by 40% in 2024.</p>"
    '<img src="https://blog.example/cover.jpg">'
    + "".join(
        f"<h2>Lesson {i}</h2><p>{LESSON}</p><pre><code>"
        + "\n".join(f"line {n}" for n in range(20))
        + f'</code></pre><img src="https://blog.example/{i}.jpg">'
        for i in range(1, 6)
    )
)


def test_what_is_said_and_what_is_shown_come_from_one_token_stream() -> None:
    ts = tokens("**Costs** fell 40% & revenue hit $5k — see https://www.blog.example/post?x=1 !")
    assert [t.shown for t in ts] == ["Costs", "fell", "40%", "&", "revenue", "hit", "$5k", "see", "blog.example!"]
    assert " ".join(t.spoken for t in ts) == "Costs fell 40 percent and revenue hit 5 thousand dollars see blog dot example!"
    assert all(t.spoken for t in ts)  # every caption word is spoken: nothing to fall out of step


def test_the_outline_follows_the_article() -> None:
    o = outline("Event Sourcing", HTML, ("https://blog.example/extra.jpg",))
    intro, *parts = o.parts
    assert intro.heading == "" and intro.images == ("https://blog.example/cover.jpg", "https://blog.example/extra.jpg")
    assert [p.heading for p in parts] == [f"Lesson {i}" for i in range(1, 6)]
    assert parts[0].code[0].splitlines()[0] == "line 0" and parts[0].images == ("https://blog.example/1.jpg",)


def test_a_short_fits_a_minute_and_opens_on_the_articles_figure() -> None:
    s = draft_script(outline("Event Sourcing", HTML), form="short")
    assert s.sections[0].kind == "hook" and "40 percent" in s.sections[0].narration
    assert s.sections[-1].kind == "cta" and sum(s.durations()) <= 60
    assert not [x for x in s.sections if x.kind == "code"] and chapters(s) == []


def test_a_long_video_has_code_cards_and_chapters_youtube_takes() -> None:
    s = draft_script(outline("Event Sourcing", HTML), form="long")
    cards = [x for x in s.sections if x.kind == "code"]
    assert len(cards) == 5 and all(len((c.code or "").splitlines()) == 14 for c in cards)
    ch = chapters(s)
    assert ch[0].start == 0 and len(ch) >= 3 and all(b.start - a.start >= 10 for a, b in zip(ch, ch[1:], strict=False))
    meta = seo(
        s, summary="Five years of event sourcing.", keywords=["event sourcing", "kafka"], url="https://blog.example/es", chapter_list=ch
    )
    assert youtube_problems(meta, ch) == []
    assert f"{timestamp(ch[1].start)} {ch[1].title}" in meta.description and "0:00 " in meta.description


def test_chapters_measured_after_synthesis_replace_the_estimates() -> None:
    s = draft_script(outline("Event Sourcing", HTML), form="long")
    measured = [d * 1.5 for d in s.durations()]
    assert chapters(s, measured)[1].start == pytest.approx(chapters(s)[1].start * 1.5, abs=0.05)


def test_editing_one_section_changes_only_that_section() -> None:
    s = draft_script(outline("Event Sourcing", HTML), form="long")
    target = s.sections[2]
    edited = s.replace(target.id, "A new point, said differently.")
    changed = [(a.id, b.id) for a, b in zip(s.sections, edited.sections, strict=True) if a.id != b.id]
    assert len(changed) == 1 and changed[0][0] == target.id and edited.sections[2].narration == "A new point, said differently."
    with pytest.raises(KeyError):
        s.replace("point-nope", "x")


def test_seo_keeps_inside_youtubes_limits_whatever_it_is_given() -> None:
    s = Script("<Big> " + "t" * 120, "long", "en", 2.6, ())
    meta = seo(s, summary="word " * 3000, keywords=[f"keyword number {i}" for i in range(200)], url="https://x.example")
    assert len(meta.title) <= 100 and "<" not in meta.title
    assert len(meta.description.encode()) <= 5000 and tag_chars(meta.tags) <= 500
    assert youtube_problems(meta, []) == []
    assert timestamp(3723) == "1:02:03" and timestamp(65) == "1:05"
