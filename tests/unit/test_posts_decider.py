"""The post lifecycle decider: every allowed transition and every refusal, by name."""

from datetime import UTC, datetime, timedelta

import pytest

from commands import posts as d
from commands.exceptions import InvalidSchedule, InvalidTransition
from schemas import commands as c
from schemas import events as e

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def state(status: str = "draft", at: datetime | None = None) -> d.PostState:
    return d.PostState(post_id="p1", site_id="s", account_id="a", platform="x", status=status, scheduled_at=at)


def test_schedule_a_draft_at_a_time() -> None:
    [ev] = d.decide(state(), c.SchedulePost(scheduled_at=NOW + timedelta(hours=1)), NOW)
    assert isinstance(ev, e.PostScheduled) and ev.scheduled_at == NOW + timedelta(hours=1) and ev.slot == "manual"


def test_schedule_without_time_asks_for_the_next_slot() -> None:
    [ev] = d.decide(state(), c.SchedulePost(), NOW)
    assert isinstance(ev, e.PostQueued) and ev.account_id == "a"


def test_scheduling_a_scheduled_post_reschedules_it() -> None:
    old = NOW + timedelta(hours=1)
    [ev] = d.decide(state("scheduled", old), c.SchedulePost(scheduled_at=NOW + timedelta(hours=2)), NOW)
    assert isinstance(ev, e.PostRescheduled) and ev.previous_at == old


def test_a_time_in_the_past_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidSchedule) as err:
        d.decide(state(), c.SchedulePost(scheduled_at=NOW - timedelta(hours=1)), NOW)
    assert err.value.field == "scheduled_at"


def test_publish_now_schedules_at_now() -> None:
    [ev] = d.decide(state(), c.PublishPostNow(), NOW)
    assert isinstance(ev, e.PostScheduled) and ev.scheduled_at == NOW and ev.slot == "now"
    [ev] = d.decide(state("scheduled", NOW + timedelta(days=1)), c.PublishPostNow(), NOW)
    assert isinstance(ev, e.PostRescheduled) and ev.scheduled_at == NOW


@pytest.mark.parametrize("status", ["publishing", "published", "cancelled"])
@pytest.mark.parametrize("cmd", [c.SchedulePost(), c.PublishPostNow(), c.CancelPost(), c.EditPost(text="x")])
def test_final_or_busy_posts_refuse_every_command(status: str, cmd: c.Command) -> None:
    with pytest.raises(InvalidTransition) as err:
        d.decide(state(status), cmd, NOW)
    assert status in err.value.detail


def test_failed_posts_can_be_scheduled_again() -> None:
    [ev] = d.decide(state("failed"), c.SchedulePost(scheduled_at=NOW + timedelta(minutes=5)), NOW)
    assert isinstance(ev, e.PostScheduled)


def test_edit_carries_only_what_changed_and_refuses_nothing_to_edit() -> None:
    [ev] = d.decide(state(), c.EditPost(text="new"), NOW)
    assert isinstance(ev, e.PostEdited) and ev.text == "new" and ev.hashtags is None
    with pytest.raises(InvalidTransition):
        d.decide(state(), c.EditPost(), NOW)


def test_evolve_follows_the_lifecycle() -> None:
    s = state()
    s = d.evolve(s, e.PostScheduled(post_id="p1", account_id="a", platform="x", scheduled_at=NOW))
    assert (s.status, s.scheduled_at) == ("scheduled", NOW)
    s = d.evolve(s, e.PostPublishing(post_id="p1", account_id="a", attempt_id="t"))
    assert s.status == "publishing"
    s = d.evolve(s, e.PostPublished(post_id="p1", account_id="a", platform="x", platform_post_id="9", published_at=NOW))
    assert s.status == "published"


# ---------------------------------------------------------------- review: approve and reject
def command(**action: object) -> c.DecidePost:
    return c.DecidePost(command_id="k1", post_id="p1", site_id="s", requested_by="abc123", **action)  # type: ignore[arg-type]


def test_approving_a_draft_records_who_and_queues_it_for_a_slot() -> None:
    approved, queued = d.handle(state(), command(approve=c.ApprovePost(reviewer="Ana")), NOW)
    assert isinstance(approved, e.PostApproved) and approved.by == "Ana (key abc123)"
    assert isinstance(queued, e.PostQueued)
    after = d.evolve(d.evolve(state(), approved), queued)
    assert after.status == "draft"  # the scheduler gives it its slot


def test_approving_at_a_time_inside_the_cooldown_is_a_conflict_unless_overridden() -> None:
    from commands.exceptions import ScheduleConflict
    from domain.schedule import SlotPolicy
    from schemas.events import AccountSettings

    slots = d.Slots(SlotPolicy.of(AccountSettings(max_per_day=5, cooldown_hours=4), "UTC"), (("other", NOW + timedelta(hours=1)),))
    with pytest.raises(ScheduleConflict, match="other"):
        d.handle(state(), command(approve=c.ApprovePost(scheduled_at=NOW + timedelta(hours=2))), NOW, slots=slots)
    approved, placed = d.handle(
        state(), command(approve=c.ApprovePost(scheduled_at=NOW + timedelta(hours=2), override=True)), NOW, slots=slots
    )
    assert isinstance(placed, e.PostScheduled) and placed.override and approved.by == "key abc123"


def test_only_a_draft_awaits_approval_and_a_rejected_post_ends_cancelled() -> None:
    with pytest.raises(InvalidTransition, match="only a draft awaits review"):
        d.handle(state("scheduled", NOW + timedelta(hours=1)), command(approve=c.ApprovePost()), NOW)
    [rejected] = d.handle(state(), command(reject=c.RejectPost(reason="off brand", reviewer="Bo")), NOW)
    assert isinstance(rejected, e.PostRejected) and rejected.reason == "off brand" and rejected.by == "Bo (key abc123)"
    assert d.evolve(state(), rejected).status == "cancelled"
    with pytest.raises(InvalidTransition):
        d.handle(state("published"), command(reject=c.RejectPost()), NOW)
