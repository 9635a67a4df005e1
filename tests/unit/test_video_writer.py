"""The video projects' single writer through the fakes: each command decided against the project's
own events (whoever wrote them), exactly one of two conflicting commands winning, a stale version
refused naming the project's state, a version not folded yet waited for, a repeated command
answered once, a late render leaving the project where it is, and the state kept in the log's order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.kafka import MemoryProducer
from adapters.video_states import MemoryVideoStates
from commands import video
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded, registry
from streams import direct
from tests.integration.articles import article

ARTICLE = article("c1", site_id="s1", html="<p>Logs remember everything.</p><h2>Replay</h2><p>Replay rebuilds a read model.</p>")


def writer(catch_up: float = 1.0) -> direct.Directing:
    return direct.Directing(states=MemoryVideoStates(), out=MemoryProducer(), catch_up_seconds=catch_up)


def sent(d: direct.Directing, topic: str = t.VIDEO_PROJECTS) -> list[Any]:
    return d.out.messages(topic)  # type: ignore[attr-defined, no-any-return]


def command(cid: str, *, expected: int | None = None, seen: int | None = None, site: str = "s1", **action: Any) -> Decoded:
    cmd = c.DecideVideo(
        command_id=cid, project_id="v1", site_id=site, expected_version=expected, seen_version=seen, requested_by="k1", **action
    )
    return registry.decode(registry.envelope(cmd, source="test", subject="v1").encode())


def event(ev: e.Event, event_id: str) -> Decoded:
    return registry.decode(registry.envelope(ev, source="socializer/render", subject="v1", id=event_id).encode())


def create(review: bool = True) -> dict[str, Any]:
    return {"create": c.StartVideoProject(article=ARTICLE, preset="tiktok", voice_id="tone", review=review)}


async def settle(d: direct.Directing) -> None:
    """The log gives the writer's own events back: fold every one not folded yet, in order."""
    for env in d.out.envelopes(t.VIDEO_PROJECTS):  # type: ignore[attr-defined]
        await direct.fold(registry.decode(env.encode()), d)


async def state(d: direct.Directing) -> video.Project:
    async with d.states.project("v1") as txn:
        held = direct.decode(txn.stored.state)
    assert held.current is not None
    return held.current


def rendered(revision: int) -> e.VideoRendered:
    return e.VideoRendered(
        project_id="v1",
        preset="tiktok",
        revision=revision,
        video_url="v",
        srt_url="s",
        vtt_url="t",
        thumbnail_url="j",
        seconds=9,
        sections=2,
    )


def edit_of(p: video.Project, text: str, revision: int | None = None) -> dict[str, Any]:
    assert p.script is not None
    section = p.script.sections[0].section_id
    return {"edit": c.EditVideoScript(revision=revision or p.revision, sections=[c.SectionText(section_id=section, text=text)])}


# ---------------------------------------------------------------- the fold, counted
@pytest.mark.parametrize(
    ("ev", "counts", "moves"),
    [
        (e.VideoScriptApproved(project_id="v1", revision=1), True, "approved"),
        (e.VideoStageProgressed(project_id="v1", revision=1, stage="voice", done=0.5), False, "script_review"),
        (
            e.VideoProjectCreated(project_id="v1", site_id="s1", content_id="c1", preset="tiktok", voice_id="tone", form="short"),
            False,
            "script_review",
        ),
        (rendered(7), True, "script_review"),  # another revision's render: counted, nothing moved
        (e.VideoProjectCancelled(project_id="v1"), True, "cancelled"),
    ],
)
def test_the_fold_counts_each_lifecycle_event_and_not_a_progress_tick_or_a_creation_again(ev: e.Event, counts: bool, moves: str) -> None:
    start = video.handle(None, c.DecideVideo(command_id="x", project_id="v1", site_id="s1", **create()))
    p: video.Project | None = None
    for x in start.events:
        p = video.fold(p, x)
    assert p is not None and (p.status, p.version) == ("script_review", 2)
    after = video.fold(p, ev)
    assert after is not None and (after.status, after.version) == (moves, p.version + counts)


# ---------------------------------------------------------------- deciding
async def test_a_new_project_is_created_and_drafted_and_a_second_create_refused() -> None:
    d = writer()
    made = await direct.decide(command("c-create", **create()), d)
    assert (made.status, made.body["status"], made.body["revision"], made.body["version"]) == (202, "script_review", 1, 2)
    assert [type(m).__name__ for m in sent(d)] == ["VideoProjectCreated", "VideoScriptDrafted"] and sent(d, t.VIDEO_RENDER) == []
    again = await direct.decide(command("c-again", **create()), d)
    assert (again.status, again.body["field"]) == (409, "project_id") and "exists already" in again.body["detail"]
    other = await direct.decide(command("c-other", site="s2", cancel=c.CancelVideoProject()), d)
    assert other.status == 404 and other.body["state"] is None  # another site's project does not exist for it


async def test_of_two_concurrent_edits_of_one_revision_exactly_one_wins() -> None:
    d = writer()
    await direct.decide(command("c-create", **create()), d)
    p = await state(d)
    ann, bob = await asyncio.gather(
        direct.decide(command("ann", seen=p.version, **edit_of(p, "Ann's words.")), d),
        direct.decide(command("bob", seen=p.version, **edit_of(p, "Bob's words.")), d),
    )
    assert sorted([ann.status, bob.status]) == [202, 409]
    lost = ann if ann.status == 409 else bob
    assert lost.body["field"] == "revision" and lost.body["state"] == {"status": "script_review", "revision": 2, "version": 3}
    assert "script_review, script revision 2" in lost.body["detail"]
    edits = [m for m in sent(d) if isinstance(m, e.VideoScriptEdited)]
    assert len(edits) == 1 and edits[0].revision == 2


@pytest.mark.parametrize(
    ("expected", "status"),
    [(2, 202), (1, 409), (3, 409)],  # the project's version wins; an older or a newer one is refused
)
async def test_a_command_decided_on_another_version_is_refused_naming_the_project(expected: int, status: int) -> None:
    d = writer(catch_up=0.05)
    await direct.decide(command("c-create", **create()), d)
    await settle(d)
    outcome = await direct.decide(command("approve", expected=expected, approve=c.ApproveVideoScript(render=False)), d)
    assert outcome.status == status
    if status == 409:
        assert outcome.body["field"] == "version" and outcome.body["code"] == "version_conflict"
        assert (
            f"is at version 2 (script_review, script revision 1); this command was decided on version {expected}" in outcome.body["detail"]
        )


async def test_a_command_on_a_version_not_folded_yet_waits_for_it_then_decides() -> None:
    d = writer(catch_up=2.0)
    await direct.decide(command("c-create", **create(review=False)), d)  # straight on to its video
    await settle(d)
    p = await state(d)
    assert (p.status, p.version) == ("rendering", 4)
    # The caller read version 5 (the render came back, in the read model) before this writer folded it.
    asked = asyncio.create_task(direct.decide(command("voice", expected=5, seen=5, produce=c.ProduceVideo(until="voice")), d))
    await asyncio.sleep(0.1)
    assert not asked.done()  # waiting, without the lock
    await direct.fold(event(rendered(1), "render-1"), d)
    outcome = await asked
    assert (outcome.status, outcome.body["status"], outcome.body["version"]) == (202, "rendering", 6)
    [job] = sent(d, t.VIDEO_RENDER)[-1:]
    assert isinstance(job, c.RenderVideo) and job.until == "voice"

    late = writer(catch_up=0.05)  # the version never comes: after the wait it is decided, and refused
    await direct.decide(command("c-create", **create(review=False)), late)
    refused = await direct.decide(command("voice", expected=5, seen=5, produce=c.ProduceVideo(until="voice")), late)
    assert refused.status == 409 and refused.body["field"] == "version"


async def test_a_redelivered_command_gets_its_first_outcome_and_emits_nothing_new() -> None:
    d = writer()
    await direct.decide(command("c-create", **create()), d)
    approve = command("approve", approve=c.ApproveVideoScript())
    first = await direct.decide(approve, d)
    count = len(d.out.sent)  # type: ignore[attr-defined]
    assert first.status == 202 and first.body["status"] == "rendering" and len(sent(d, t.VIDEO_RENDER)) == 1
    assert await direct.decide(approve, d) == first and len(d.out.sent) == count  # type: ignore[attr-defined]


async def test_a_command_whose_events_reached_the_log_before_a_crash_is_not_decided_again() -> None:
    crashed = writer()
    await direct.decide(command("c-create", **create()), crashed)
    edit = command("edit", **edit_of(await state(crashed), "Mine."))
    await direct.decide(edit, crashed)
    # Another store that folded everything from the log but never recorded the edit's outcome.
    recovered = direct.Directing(states=MemoryVideoStates(), out=MemoryProducer())
    for env in crashed.out.envelopes(t.VIDEO_PROJECTS):  # type: ignore[attr-defined]
        await direct.fold(registry.decode(env.encode()), recovered)
    outcome = await direct.decide(edit, recovered)
    assert (outcome.status, outcome.body["revision"], outcome.body["events"]) == (202, 2, [])  # not "revision 2, the edit was made on 1"
    assert recovered.out.sent == []  # type: ignore[attr-defined]


async def test_a_late_render_of_an_older_revision_does_not_move_the_project() -> None:
    d = writer()
    await direct.decide(command("c-create", **create(review=False)), d)
    await settle(d)
    p = await state(d)
    await direct.decide(command("edit", **edit_of(p, "Newer words.")), d)  # no review: rendered again at once
    await settle(d)
    before = await state(d)
    assert (before.status, before.revision) == ("rendering", 2)
    await direct.fold(event(rendered(1), "render-1"), d)
    after = await state(d)
    assert (after.status, after.revision, after.version) == ("rendering", 2, before.version + 1)
    await direct.fold(event(rendered(1), "render-1"), d)  # the same event again: folded once
    assert (await state(d)).version == after.version
    await direct.fold(event(rendered(2), "render-2"), d)
    assert (await state(d)).status == "ready"


async def test_the_writer_ends_where_the_logs_order_puts_it() -> None:
    """A render result already on the log when the writer decides lands before the writer's own event:
    folded in that order, the writer agrees with the read model, which applies the log as it is."""
    d = writer()
    await direct.decide(command("c-create", **create(review=False)), d)
    await settle(d)
    await direct.decide(command("voice", produce=c.ProduceVideo(until="voice")), d)  # decided while the video still rendered
    assert (await state(d)).status == "rendering"
    await direct.fold(event(rendered(1), "render-1"), d)  # on the log before the writer's VideoRenderRequested
    assert (await state(d)).status == "rendering"  # not "ready": the new request comes after it
    await settle(d)
    await direct.fold(event(e.VideoVoiced(project_id="v1", revision=1, audio_url="a", seconds=3), "voiced-1"), d)
    p = await state(d)
    assert (p.status, p.version) == ("voiced", 7)
    async with d.states.project("v1") as txn:
        assert txn.stored.version == 7 and direct.decode(txn.stored.state).pending == []


async def test_a_cancelled_project_takes_no_more_commands_and_a_cancel_again_changes_nothing() -> None:
    d = writer()
    await direct.decide(command("c-create", **create()), d)
    gone = await direct.decide(command("cancel", cancel=c.CancelVideoProject()), d)
    assert (gone.status, gone.body["status"]) == (202, "cancelled")
    assert sent(d)[-1] == e.VideoProjectCancelled(project_id="v1", by="key k1")
    again = await direct.decide(command("cancel-2", cancel=c.CancelVideoProject()), d)
    assert (again.status, again.body["events"]) == (202, [])
    refused = await direct.decide(command("approve", approve=c.ApproveVideoScript()), d)
    assert refused.status == 409 and "cancelled" in refused.body["detail"]
