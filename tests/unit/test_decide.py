"""The post's single writer through the fakes: a command decided against the post's own events,
a stale version refused, a repeated command answered from its first outcome, events folded once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.kafka import MemoryProducer
from adapters.post_states import MemoryPostStates
from commands import posts as decider
from commands.exceptions import PostNotFound, VersionConflict
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.registry import registry
from streams import decide

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
DRAFT = e.PostDrafted(post_id="p1", site_id="s1", account_id="a1", platform="x", post_type="announcement", text="hi")


def cmd(command_id: str, expected: int | None = None, **action: object) -> c.DecidePost:
    return c.DecidePost(command_id=command_id, post_id="p1", site_id="s1", expected_version=expected, **action)  # type: ignore[arg-type]


def decoded(message: object, event_id: str | None = None):  # type: ignore[no-untyped-def]
    env = registry.envelope(message, source="test", subject="p1", **({"id": event_id} if event_id else {}))  # type: ignore[arg-type]
    return registry.decode(env.encode())


def test_fold_counts_versions_from_the_draft() -> None:
    state = decider.fold(None, DRAFT)
    assert state is not None and (state.status, state.version) == ("draft", 1)
    assert decider.fold(None, e.PostCancelled(post_id="p1")) is None  # nothing before a draft
    cancelled = decider.fold(state, e.PostCancelled(post_id="p1"))
    assert cancelled is not None and (cancelled.status, cancelled.version) == ("cancelled", 2)


def test_handle_refuses_a_stale_version_another_site_and_a_second_create() -> None:
    state = decider.fold(None, DRAFT)
    with pytest.raises(VersionConflict, match="is at version 1 \\(draft\\)"):
        decider.handle(state, cmd("c1", expected=0, edit=c.EditPost(text="x")), NOW)
    with pytest.raises(PostNotFound):
        decider.handle(state, c.DecidePost(command_id="c2", post_id="p1", site_id="other", edit=c.EditPost(text="x")), NOW)
    create = c.CreatePost(account_id="a1", text="t", site_id="s1")
    with pytest.raises(decider.InvalidTransition, match="exists already"):
        decider.handle(state, cmd("c3", create=create, platform="x"), NOW)
    (edited,) = decider.handle(state, cmd("c4", expected=1, edit=c.EditPost(text="new")), NOW)
    assert isinstance(edited, e.PostEdited) and edited.text == "new"


async def test_of_two_commands_on_one_version_exactly_one_wins() -> None:
    d = decide.Deciding(states=MemoryPostStates(), out=MemoryProducer(), clock=lambda: NOW)
    await decide.fold(decoded(DRAFT, "ev-draft"), d)
    won = await decide.decide(decoded(cmd("ann", expected=1, edit=c.EditPost(text="Ann"))), d)
    lost = await decide.decide(decoded(cmd("bob", expected=1, edit=c.EditPost(text="Bob"))), d)
    assert (won.status, won.body["version"]) == (202, 2)
    assert (lost.status, lost.body["field"], lost.body["code"]) == (409, "version", "version_conflict")
    assert [m.text for m in d.out.messages(t.POSTS)] == ["Ann"]  # type: ignore[attr-defined]


async def test_a_repeated_command_gets_its_first_answer_and_appends_nothing() -> None:
    d = decide.Deciding(states=MemoryPostStates(), out=MemoryProducer(), clock=lambda: NOW)
    await decide.fold(decoded(DRAFT, "ev-draft"), d)
    first = await decide.decide(decoded(cmd("once", cancel=c.CancelPost(reason="dup"))), d)
    again = await decide.decide(decoded(cmd("once", cancel=c.CancelPost(reason="dup"))), d)
    assert first == again and len(d.out.sent) == 1  # type: ignore[attr-defined]


async def test_an_event_is_folded_once_whether_it_was_decided_here_or_came_from_the_log() -> None:
    states = MemoryPostStates()
    d = decide.Deciding(states=states, out=MemoryProducer(), clock=lambda: NOW)
    await decide.fold(decoded(DRAFT, "ev-draft"), d)
    await decide.fold(decoded(DRAFT, "ev-draft"), d)  # redelivered
    outcome = await decide.decide(decoded(cmd("sched", schedule=c.SchedulePost(scheduled_at=datetime(2026, 12, 1, tzinfo=UTC)))), d)
    assert outcome.body["version"] == 2
    (own,) = d.out.envelopes(t.POSTS)  # type: ignore[attr-defined]
    await decide.fold(registry.decode(own.encode()), d)  # our own event, back from the log
    await decide.fold(decoded(e.PostPublishing(post_id="p1", account_id="a1", attempt_id="t"), "ev-pub"), d)
    assert states.rows["p1"].state is not None and (states.rows["p1"].state.status, states.rows["p1"].state.version) == ("publishing", 3)
    late = await decide.decide(decoded(cmd("late", edit=c.EditPost(text="too late"))), d)
    assert late.status == 409 and "publishing" in late.body["detail"]


def test_a_post_drafted_again_changes_nothing() -> None:
    state = decider.fold(None, DRAFT)
    assert decider.fold(state, DRAFT) == state  # generating an article again is not a change to its posts


async def test_a_manual_time_that_breaks_the_cap_is_refused_naming_the_post_and_the_next_slot_unless_overridden() -> None:
    from adapters.accounts import MemoryAccounts
    from adapters.sites import MemorySites
    from domain.accounts import Account, AccountSettings, Site

    account = Account(
        account_id="a1",
        platform="x",
        platform_account_id="x1",
        handle="me",
        site_id="s1",
        settings=AccountSettings(max_per_day=1, cooldown_hours=0, best_times=["09:00"]),
    )
    d = decide.Deciding(
        states=MemoryPostStates(),
        out=MemoryProducer(),
        accounts=MemoryAccounts([account]),
        sites=MemorySites([Site(site_id="s1", timezone="UTC")]),
        clock=lambda: NOW,
    )
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await decide.fold(decoded(DRAFT.model_copy(update={"post_id": "p0"}), "d0"), d)
    await decide.fold(decoded(e.PostScheduled(post_id="p0", account_id="a1", platform="x", scheduled_at=nine), "s0"), d)
    await decide.fold(decoded(DRAFT, "d1"), d)

    later = c.SchedulePost(scheduled_at=datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    refused = await decide.decide(decoded(cmd("one", schedule=later)), d)
    assert refused.status == 409 and refused.body["code"] == "schedule_conflict" and refused.body["field"] == "scheduled_at"
    assert "post p0" in refused.body["detail"] and "next free slot is 2026-11-24T09:00:00+00:00" in refused.body["detail"]
    assert refused.body["conflict"] == {
        "post_id": "p0",
        "at": "2026-11-23T09:00:00+00:00",
        "reason": "the account's cap of 1 per day is reached on 2026-11-23",
        "next_free_slot": "2026-11-24T09:00:00+00:00",
    }

    forced = await decide.decide(decoded(cmd("two", schedule=later.model_copy(update={"override": True}))), d)
    assert forced.status == 202
    (event,) = d.out.messages(t.POSTS)  # type: ignore[attr-defined]
    assert isinstance(event, e.PostScheduled) and event.override

    free = await decide.decide(decoded(cmd("three", schedule=c.SchedulePost(scheduled_at=datetime(2026, 11, 24, 9, tzinfo=UTC)))), d)
    assert free.status == 202  # the next day is free (a reschedule of p1 does not count against itself)


async def test_the_posts_writer_passes_over_a_skipped_article() -> None:
    states = MemoryPostStates()
    d = decide.Deciding(states=states, out=MemoryProducer(), clock=lambda: NOW)
    await decide.fold(decoded(e.ContentSkipped(content_id="c1", site_id="s1", reason="off"), "ev-skip"), d)  # not a fault
    await decide.fold(decoded(DRAFT, "ev-draft"), d)
    won = await decide.decide(decoded(cmd("ann", expected=1, edit=c.EditPost(text="Ann"))), d)
    assert won.status == 202


def _capped() -> decide.Deciding:
    from adapters.accounts import MemoryAccounts
    from adapters.sites import MemorySites
    from domain.accounts import Account, AccountSettings, Site

    account = Account(
        account_id="a1",
        platform="x",
        platform_account_id="x1",
        handle="me",
        site_id="s1",
        settings=AccountSettings(max_per_day=5, cooldown_hours=4, best_times=["09:00"]),
    )
    return decide.Deciding(
        states=MemoryPostStates(),
        out=MemoryProducer(),
        accounts=MemoryAccounts([account]),
        sites=MemorySites([Site(site_id="s1", timezone="UTC")]),
        clock=lambda: NOW,
    )


async def test_approving_at_a_time_inside_the_cooldown_is_refused_naming_the_post_and_the_next_slot_unless_overridden() -> None:
    d = _capped()
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    await decide.fold(decoded(DRAFT.model_copy(update={"post_id": "p0"}), "d0"), d)
    await decide.fold(decoded(e.PostScheduled(post_id="p0", account_id="a1", platform="x", scheduled_at=nine), "s0"), d)
    await decide.fold(decoded(DRAFT, "d1"), d)

    close = c.ApprovePost(scheduled_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    refused = await decide.decide(decoded(cmd("near", approve=close)), d)
    assert refused.status == 409 and refused.body["code"] == "schedule_conflict" and refused.body["field"] == "scheduled_at"
    assert "post p0" in refused.body["detail"] and "next free slot is" in refused.body["detail"]
    assert d.out.sent == []  # type: ignore[attr-defined]

    forced = await decide.decide(decoded(cmd("forced", approve=close.model_copy(update={"override": True}))), d)
    assert forced.status == 202
    approved, scheduled = d.out.messages(t.POSTS)  # type: ignore[attr-defined]
    assert isinstance(approved, e.PostApproved) and isinstance(scheduled, e.PostScheduled) and scheduled.override


async def test_an_edited_post_carries_the_score_of_its_edited_text() -> None:
    d = decide.Deciding(states=MemoryPostStates(), out=MemoryProducer(), clock=lambda: NOW)
    await decide.fold(decoded(DRAFT, "d1"), d)
    text = "Why does event sourcing make audits cheap? Three numbers from our migration, and what broke on the way."
    assert (await decide.decide(decoded(cmd("edit", edit=c.EditPost(text=text))), d)).status == 202
    # The same words written as a new post: the score they earn, whichever way they arrived.
    fresh = c.DecidePost(
        command_id="new", post_id="p2", site_id="s1", platform="x", create=c.CreatePost(account_id="a1", site_id="s1", text=text)
    )
    assert (await decide.decide(decoded(fresh), d)).status == 202
    edited, drafted = d.out.messages(t.POSTS)  # type: ignore[attr-defined]
    assert isinstance(edited, e.PostEdited) and isinstance(drafted, e.PostDrafted)
    assert edited.virality is not None and edited.virality_reasons
    assert (edited.virality, edited.virality_parts, edited.virality_reasons) == (
        drafted.virality,
        drafted.virality_parts,
        drafted.virality_reasons,
    )


async def test_a_command_decided_on_a_version_not_yet_folded_waits_for_it_then_decides() -> None:
    import asyncio

    states = MemoryPostStates()
    d = decide.Deciding(states=states, out=MemoryProducer(), clock=lambda: NOW, catch_up_seconds=5)
    await decide.fold(decoded(DRAFT, "d1"), d)
    failed = e.PostPublishFailed(post_id="p1", account_id="a1", reason="grant withdrawn", code="needs_reauth")
    await decide.fold(decoded(e.PostScheduled(post_id="p1", account_id="a1", platform="x", scheduled_at=NOW), "s1"), d)
    await decide.fold(decoded(e.PostPublishing(post_id="p1", account_id="a1", attempt_id="t1"), "pub1"), d)
    # The reader saw the failure (version 4); the writer has folded only up to publishing (3).
    deciding = asyncio.create_task(decide.decide(decoded(cmd("again", expected=4, publish_now=c.PublishPostNow())), d))
    await asyncio.sleep(0.05)
    assert not deciding.done()  # not refused for a state the person cannot see: it waits
    await decide.fold(decoded(failed, "fail1"), d)
    outcome = await deciding
    assert outcome.status == 202 and outcome.body["status"] == "scheduled" and outcome.body["version"] == 5


async def test_a_version_the_writer_never_reaches_is_refused_after_the_bounded_wait() -> None:
    d = decide.Deciding(states=MemoryPostStates(), out=MemoryProducer(), clock=lambda: NOW, catch_up_seconds=0.05)
    await decide.fold(decoded(DRAFT, "d1"), d)
    outcome = await decide.decide(decoded(cmd("ahead", expected=9, cancel=c.CancelPost())), d)
    assert outcome.status == 409 and outcome.body["field"] == "version" and "version 1 (draft)" in outcome.body["detail"]
