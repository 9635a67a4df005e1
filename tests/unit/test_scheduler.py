"""The scheduler's decider: which lifecycle events move a post's slot, and when it wants one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commands import schedule as scheduler
from domain.schedule import SlotPolicy
from schemas import events as e
from schemas.events import AccountSettings

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(hours=3)
DRAFTED = e.PostDrafted(
    post_id="p1", site_id="s1", account_id="a1", platform="x", post_type="announcement", text="hi", hashtags=["#Kafka"], auto_schedule=True
)
POLICY = SlotPolicy.of(AccountSettings(best_times=["09:00", "12:00"], max_per_day=2, cooldown_hours=0))


def draft() -> scheduler.Slotted:
    state, _ = scheduler.evolve(None, DRAFTED)
    assert state is not None
    return state


def test_a_draft_is_kept_with_its_snapshot_and_wants_a_slot_when_auto_scheduled() -> None:
    state, wants = scheduler.evolve(None, DRAFTED)
    assert wants and state is not None and state.state == "draft"
    assert state.payload["text"] == "hi" and state.payload["hashtags"] == ["#Kafka"]
    _, manual = scheduler.evolve(None, DRAFTED.model_copy(update={"auto_schedule": False}))
    assert not manual


def test_a_redelivered_draft_keeps_the_state_it_has() -> None:
    pending = scheduler.Slotted("p1", "s1", "a1", "x", "pending", AT, {"text": "edited"})
    assert scheduler.evolve(pending, DRAFTED) == (pending, True)


def test_queueing_wants_a_slot_only_for_a_known_post() -> None:
    assert scheduler.evolve(None, e.PostQueued(post_id="p1", account_id="a1")) == (None, False)
    assert scheduler.evolve(draft(), e.PostQueued(post_id="p1", account_id="a1"))[1]


def test_a_failed_post_queued_again_gets_a_new_slot_a_new_dispatch() -> None:
    failed = scheduler.Slotted("p1", "s1", "a1", "x", "failed", AT, {"text": "hi"})
    state, wants = scheduler.evolve(failed, e.PostQueued(post_id="p1", account_id="a1"))
    assert wants and state is not None and state.state == "draft" and state.payload == {"text": "hi"}
    state, scheduled = scheduler.reserve(state, POLICY, [], NOW)
    assert state.state == "pending" and scheduled is not None and state.due_at == datetime(2026, 11, 22, 9, tzinfo=UTC)


def test_reserve_gives_a_draft_the_next_free_slot_and_announces_it() -> None:
    state, scheduled = scheduler.reserve(draft(), POLICY, [datetime(2026, 11, 22, 9, tzinfo=UTC)], NOW)
    assert state.state == "pending" and state.due_at == datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert scheduled == e.PostScheduled(post_id="p1", account_id="a1", platform="x", scheduled_at=state.due_at, slot="best_time")


def test_reserve_is_idempotent_and_leaves_a_draft_without_an_account_alone() -> None:
    pending = scheduler.Slotted("p1", "s1", "a1", "x", "pending", AT)
    again, scheduled = scheduler.reserve(pending, POLICY, [], NOW)
    assert again == pending and scheduled is not None and scheduled.scheduled_at == AT
    assert scheduler.reserve(draft(), None, [], NOW) == (draft(), None)
    done = scheduler.Slotted("p1", "s1", "a1", "x", "published", AT)
    assert scheduler.reserve(done, POLICY, [], NOW) == (done, None)


def test_interval_slots_are_announced_as_such() -> None:
    policy = SlotPolicy.of(AccountSettings(interval_minutes=5, cooldown_hours=0, max_per_day=100))
    _, scheduled = scheduler.reserve(draft(), policy, [], NOW)
    assert scheduled is not None and scheduled.slot == "interval"


@pytest.mark.parametrize("start", ["draft", "pending", "failed"])
def test_scheduling_and_edits_apply_while_the_post_can_change(start: str) -> None:
    state = scheduler.Slotted("p1", "s1", "a1", "x", start, None, {"text": "old"})  # type: ignore[arg-type]
    moved, _ = scheduler.evolve(state, e.PostRescheduled(post_id="p1", scheduled_at=AT))
    assert moved is not None and (moved.state, moved.due_at) == ("pending", AT)
    edited, _ = scheduler.evolve(state, e.PostEdited(post_id="p1", text="new"))
    assert edited is not None and edited.payload == {"text": "new"}


@pytest.mark.parametrize("start", ["dispatched", "published", "cancelled"])
def test_scheduling_and_edits_do_not_apply_after_dispatch(start: str) -> None:
    state = scheduler.Slotted("p1", "s1", "a1", "x", start, NOW, {"text": "old"})  # type: ignore[arg-type]
    assert scheduler.evolve(state, e.PostScheduled(post_id="p1", account_id="a1", platform="x", scheduled_at=AT))[0] == state
    assert scheduler.evolve(state, e.PostEdited(post_id="p1", text="new"))[0] == state


def test_outcomes_and_cancellation() -> None:
    dispatched = scheduler.Slotted("p1", "s1", "a1", "x", "dispatched", NOW)
    failed = e.PostPublishFailed(post_id="p1", account_id="a1", reason="no", retryable=False)
    assert scheduler.evolve(dispatched, failed)[0].state == "failed"  # type: ignore[union-attr]
    assert scheduler.evolve(dispatched, failed.model_copy(update={"retryable": True}))[0] == dispatched
    published = scheduler.evolve(
        dispatched, e.PostPublished(post_id="p1", account_id="a1", platform="x", platform_post_id="1", published_at=NOW)
    )[0]
    assert published is not None and published.state == "published"
    assert scheduler.evolve(published, e.PostCancelled(post_id="p1"))[0] == published
    assert scheduler.evolve(dispatched, e.PostCancelled(post_id="p1"))[0].state == "cancelled"  # type: ignore[union-attr]


def test_the_publish_command_is_a_snapshot_of_the_draft_and_its_edits() -> None:
    state, _ = scheduler.evolve(draft(), e.PostEdited(post_id="p1", text="edited"))
    assert state is not None
    cmd = scheduler.publish_command(scheduler.Slotted(**{**state.__dict__, "due_at": AT}))
    assert (cmd.post_id, cmd.text, cmd.hashtags, cmd.due_at, cmd.account_id) == ("p1", "edited", ["#Kafka"], AT, "a1")


def test_cooldown_window_covers_a_day_at_least() -> None:
    assert scheduler.cooldown_window(POLICY) == timedelta(hours=24)
    long = SlotPolicy.of(AccountSettings(cooldown_hours=48))
    assert scheduler.cooldown_window(long) == timedelta(hours=48)
