"""The scene planner: a layout per section from what the section says, the diversity rules (never
the same layout twice in a row; as many distinct layouts as the content allows, ≥ 5 in a short
that allows them), a person's layout kept when the content allows it, and safe areas per preset."""

from __future__ import annotations

import pytest

from domain.platforms import PRESETS, safe_area, shared_safe_area
from domain.video.captions import Page, Word
from domain.video.legibility import caption_problems, caption_px, legible, luminance, ratio, scrim, worst_contrast
from domain.video.outline import outline
from domain.video.scenes import LAYOUTS, MAX_ITEMS, layout_problem, most_distinct, options, plan, problems
from domain.video.script import draft_script, with_layout
from tests.corpus.articles import corpus
from tests.corpus.video import URL, every_layout


def test_safe_areas_are_the_platforms_own_and_every_vertical_layout_clears_them_all() -> None:
    assert safe_area("instagram_reel") == (box := safe_area("instagram_reel")) and (box.top, 1920 - box.bottom) == (269, 672)
    assert (box.left, 1080 - box.right) == (65, 65)  # 6 % sides
    shorts = safe_area("youtube_short")
    assert (shorts.top, 1920 - shorts.bottom, shorts.left, 1080 - shorts.right) == (288, 672, 48, 192)
    tiktok = safe_area("tiktok")
    assert (tiktok.left, tiktok.right, tiktok.top, tiktok.bottom) == (120, 888, 288, 1248)
    long = safe_area("youtube_long")
    assert long.width == round(1920 * 0.9) and long.height == round(1080 * 0.9)  # title-safe
    shared = shared_safe_area("youtube_short")
    assert all(safe_area(p).contains(shared) for p in PRESETS.values() if p.vertical) and shared == tiktok
    small = safe_area("youtube_short", 270, 480)  # scaled margins round up: a smaller frame's box never grows
    assert small.left * 4 >= 48 and small.right * 4 <= 888 and small.bottom * 4 <= 1248


def test_every_layout_is_picked_from_its_content_and_none_twice_in_a_row() -> None:
    script = every_layout()
    scenes = plan(script, url=URL)
    assert {s.layout for s in scenes} == set(LAYOUTS)
    assert problems(scenes) == []
    by = {s.layout: s for s in scenes}
    assert by["statistic"].figure is not None and by["statistic"].figure.shown(1.0) == "42%" and by["statistic"].figure.fraction == 0.42
    assert by["statistic"].figure.shown(0.5) == "21%"
    assert [r.text for r in by["steps"].items] == ["First, name your events.", "Then, write a decider.", "Finally, project them to tables."]
    assert len(by["bullets"].items) == MAX_ITEMS[True] == 4  # five sentences, four bullets on a vertical frame
    assert by["comparison"].items[1].text.startswith("instead")
    assert by["quote"].items[0].text.startswith("“the log")
    assert by["cta"].url == URL and by["cta"].items[0].text == "blog.example/event-sourcing-in-practice"
    assert by["image"].image == "https://blog.example/1.jpg"
    words = by["key_sentence"].items  # the words appear one by one, each on its own token
    assert [r.token for r in words] == list(range(len(words))) and len(words) <= 14


def test_each_reveal_is_on_the_token_that_says_it() -> None:
    for scene, section in zip(plan(every_layout(), url=URL), every_layout().sections, strict=True):
        for r in scene.items:
            if scene.layout in ("bullets", "steps", "comparison"):
                assert section.tokens[r.token].shown == r.text.split()[0]  # the item's first word is the one that reveals it
            assert 0 <= r.token < len(section.tokens)


def test_the_diversity_rules_hold_on_the_corpus_articles() -> None:
    for form in ("short", "long"):
        for article in corpus():
            parts = outline(article.title, article.html, tuple(str(u) for u in article.image_urls))
            script = draft_script(parts, form=form, language=article.language, url=str(article.url))
            scenes = plan(script, url=str(article.url))
            assert problems(scenes, [options(s) for s in script.sections]) == [], article.content_id
            assert len({s.layout for s in scenes}) >= min(5, most_distinct(script)), article.content_id
            assert scenes[-1].layout == "cta"


def test_a_short_with_room_for_them_uses_at_least_five_layouts() -> None:
    html = (
        "<p>Teams cut incident time by 40% with event sourcing.</p>"
        "<h2>Why</h2><p>Every change is kept. Replays rebuild any view. Audits become a query.</p>"
        "<h2>Start</h2><p>First, name the events. Then, write a decider. Finally, project them.</p>"
        "<h2>Voices</h2><p>An architect said “the log is the database, the rest is cache” to us.</p>"
        "<h2>Trade-off</h2><p>Mutable rows forget history instead of keeping it.</p>"
    )
    script = draft_script(outline("Event Sourcing", html), form="short")
    scenes = plan(script)
    assert most_distinct(script) >= 5 and len({s.layout for s in scenes}) >= 5 and problems(scenes) == []


def test_a_persons_layout_is_kept_when_the_content_allows_it_and_refused_when_not() -> None:
    script = every_layout()
    stat = script.sections[1]
    assert layout_problem(stat, "bullets") is not None and "statistic" in (layout_problem(stat, "bullets") or "")
    assert layout_problem(stat, "nonsense") is not None
    assert layout_problem(stat, "key_sentence") is None
    chosen = with_layout(script, stat.id, "key_sentence")
    assert chosen.sections[1].id == stat.id  # the words (and so the id) are unchanged
    assert plan(chosen, url=URL)[1].layout == "key_sentence"
    assert (
        plan(chosen.replace(stat.id, "Teams cut incident time by 50% after a year."), url=URL)[1].layout == "key_sentence"
    )  # kept across a text edit


def test_a_landscape_frame_takes_up_to_five_bullets() -> None:
    script = every_layout("long")
    long_point = script.replace(script.sections[2].id, "Why events. One. Two. Three. Four. Five. Six.")
    bullets = plan(long_point, url=URL, vertical=False)[2]
    assert bullets.layout == "bullets" and len(bullets.items) == MAX_ITEMS[False] == 5
    assert len(plan(long_point, url=URL, vertical=True)[2].items) == 4


def test_legibility_numbers() -> None:
    assert caption_px(1080, 1920) in range(70, 121) and caption_px(1920, 1080) in range(70, 121)
    assert ratio(luminance((255, 255, 255)), luminance((0, 0, 0))) == pytest.approx(21.0)
    bright = [(250, 250, 250)] * 10 + [(20, 20, 20)] * 90  # a photo that is mostly dark with a bright patch
    assert worst_contrast((255, 255, 255), bright) < 1.1  # the worst 5 % decide, not the average
    a = scrim((255, 255, 255), bright)
    assert 0 < a < 1 and worst_contrast((255, 255, 255), [tuple(round(c * (1 - a)) for c in px) for px in bright]) >= 4.5
    assert scrim((255, 255, 255), [(10, 10, 30)] * 20) == 0.0
    short = [Page((Word("Every", 0, 0.3), Word("change", 0.3, 0.6), Word("is", 0.6, 0.8)))]
    assert caption_problems(short, short=True) == []
    assert caption_problems([Page((Word("Replays", 0, 0.3), Word("rebuild", 0.3, 0.5), Word("everything", 0.5, 0.9)))], short=True)
    fast = [Page(tuple(Word(w, i * 0.05, i * 0.05 + 0.05) for i, w in enumerate("a sentence read far too fast".split())))]
    assert caption_problems(fast, short=False) and caption_problems(fast[:0], short=False) == []


def test_a_colour_too_faint_for_its_background_is_moved_just_far_enough() -> None:
    dark, light = (39, 40, 34), (250, 250, 245)
    faint = (117, 113, 94)  # an old theme's comment grey: about 3:1 on the dark background
    assert ratio(luminance(faint), luminance(dark)) < 4.5
    lifted = legible(faint, dark)
    assert ratio(luminance(lifted), luminance(dark)) >= 4.5 and lifted > faint  # lighter, not white
    assert lifted != (255, 255, 255)
    assert legible((248, 248, 242), dark) == (248, 248, 242)  # legible already: unchanged
    darkened = legible((200, 200, 60), light)
    assert ratio(luminance(darkened), luminance(light)) >= 4.5 and sum(darkened) < sum((200, 200, 60))
