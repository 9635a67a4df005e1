"""A video project's lifecycle, decided purely: review stops at the script, edits and regenerations
change only their sections and need approval again, stale revisions are refused."""

from __future__ import annotations

from functools import reduce

import pytest

from commands import video
from commands.exceptions import InvalidTransition, ProjectNotFound, VersionConflict
from domain.video.outline import outline
from domain.video.script import draft_script, from_doc, to_doc
from schemas import commands as c
from schemas import events as e
from tests.integration.articles import article
from tests.unit.test_video_script import HTML

VARIED = "".join(
    f"<h2>Lesson {i}</h2><p>Lesson {i} starts with a claim about logs. It goes on with a second thought on replay."
    f" A third sentence adds numbers like {i}0 events a second. The fourth one ends the part.</p>"
    for i in range(1, 4)
)
ARTICLE = article(
    "c1", site_id="s1", title="Event Sourcing", html=HTML.split("<h2>")[0] + VARIED + "<h2>Code</h2><pre><code>x = 1</code></pre>"
)


def fold(p: video.Project | None, d: video.Decision) -> video.Project:
    out = reduce(video.evolve, d.events, p)
    assert out is not None
    return out


def started(review: bool = True, preset: e.VideoPreset = "youtube_long") -> tuple[video.Project, video.Decision]:
    d = video.start(ARTICLE, project_id="v1", preset=preset, voice_id="tone", words_per_second=2.6, review=review)
    return fold(None, d), d


def test_a_project_in_review_stops_at_its_script() -> None:
    p, d = started(review=True)
    assert [type(x).__name__ for x in d.events] == ["VideoProjectCreated", "VideoScriptDrafted"] and d.job is None
    assert p.status == "script_review" and p.revision == 1 and p.form == "long"
    with pytest.raises(InvalidTransition, match="not approved"):
        video.produce(p, "video")
    approved = video.approve(p, c.ApproveVideoScript(revision=1, by="ana"))
    assert approved.job is not None and approved.job.revision == 1 and approved.job.script == p.script
    p = fold(p, approved)
    assert p.status == "rendering" and p.approved_revision == 1


def test_without_review_it_goes_straight_to_the_video() -> None:
    p, d = started(review=False, preset="tiktok")
    assert [type(x).__name__ for x in d.events][-2:] == ["VideoScriptApproved", "VideoRenderRequested"]
    assert d.job is not None and d.job.until == "video" and d.job.preset == "tiktok" and p.status == "rendering"
    assert d.job.url == str(ARTICLE.url) and d.job.keywords == ARTICLE.keywords  # the SEO's inputs travel with the job


def test_an_edit_changes_only_its_section_and_needs_approval_again() -> None:
    p, _ = started()
    p = fold(p, video.approve(p, c.ApproveVideoScript(render=False)))
    assert p.status == "approved"
    before = p.script
    assert before is not None
    target = before.sections[2]
    d = video.edit(p, c.EditVideoScript(revision=1, sections=[c.SectionText(section_id=target.section_id, text="A person's own words.")]))
    p = fold(p, d)
    after = p.script
    assert after is not None and p.revision == 2 and p.status == "script_review"
    changed = [(a.section_id, b.section_id) for a, b in zip(before.sections, after.sections, strict=True) if a != b]
    assert len(changed) == 1 and after.sections[2].text == "A person's own words." and after.writer == "edited"
    assert d.events[0].changed == [after.sections[2].section_id]  # type: ignore[attr-defined]
    with pytest.raises(VersionConflict, match="revision 2"):
        video.edit(p, c.EditVideoScript(revision=1, sections=[c.SectionText(section_id=after.sections[0].section_id, text="Late.")]))
    with pytest.raises(ProjectNotFound, match="sections"):
        video.edit(p, c.EditVideoScript(revision=2, sections=[c.SectionText(section_id="point-nope", text="x")]))
    with pytest.raises(InvalidTransition, match="not approved"):
        video.produce(p, "voice")


def test_regenerating_a_section_rewrites_it_from_the_article_and_nothing_else() -> None:
    p, _ = started(review=False)
    before = p.script
    assert before is not None
    for target in (before.sections[-1], next(s for s in before.sections if s.kind == "point")):
        d = video.regenerate_section(p, ARTICLE, target.section_id)
        new = fold(p, d)
        assert new.script is not None and new.revision == p.revision + 1
        diff = [(a, b) for a, b in zip(before.sections, new.script.sections, strict=True) if a != b]
        assert len(diff) == 1 and diff[0][0] == target and diff[0][1].kind == target.kind and diff[0][1].text != target.text
        assert new.status == "rendering" and d.job is not None  # no review: the new section is rendered at once
    with pytest.raises(ProjectNotFound, match="section_id"):
        video.regenerate_section(p, ARTICLE, "cta-nope")


def test_a_cancelled_project_takes_no_more_commands() -> None:
    p, _ = started()
    p = fold(p, video.cancel(p, by="ana"))
    assert p.status == "cancelled" and video.cancel(p).events == []
    with pytest.raises(InvalidTransition, match="cancelled"):
        video.approve(p, c.ApproveVideoScript())


def test_a_late_render_of_an_older_revision_leaves_the_project_where_it_is() -> None:
    p, _ = started(review=False)
    assert p.script is not None
    p = fold(
        p, video.edit(p, c.EditVideoScript(revision=1, sections=[c.SectionText(section_id=p.script.sections[0].section_id, text="New.")]))
    )
    old = e.VideoRendered(
        project_id="v1",
        preset="youtube_long",
        revision=1,
        video_url="v",
        srt_url="s",
        vtt_url="t",
        thumbnail_url="j",
        seconds=1,
        sections=1,
    )
    assert video.evolve(p, old) == p


def test_the_script_travels_as_its_contract_without_changing() -> None:
    script = draft_script(outline(ARTICLE.title, ARTICLE.html), form="long")
    back = from_doc(to_doc(script))
    assert back == script and [s.id for s in back.sections] == [s.id for s in script.sections]
