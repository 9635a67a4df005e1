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
