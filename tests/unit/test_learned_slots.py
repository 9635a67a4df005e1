"""The scheduler with the learner: a learned slot says why, a person's times win, pins own their weekday."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from random import Random

from adapters.learning import evidence_of, nominal_hours
from commands import schedule as scheduler
from domain import learner
from domain.learner import Evidence
from domain.schedule import SlotPolicy, next_slot
from schemas import events as e
from schemas.events import AccountSettings

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # a Monday, before the posting window opens
DRAFTED = e.PostDrafted(
    post_id="p1", site_id="s1", account_id="a1", platform="facebook", post_type="announcement", text="hi", auto_schedule=True
)


def draft() -> scheduler.Slotted:
    state, _ = scheduler.evolve(None, DRAFTED)
    assert state is not None
    return state


def peak_at(hour: int, weeks: int = 12) -> list[Evidence]:
    """Results of posts at every posting hour for some weeks, with engagement peaking at ``hour``."""
    rng = Random(7)
    out = []
    for week in range(weeks):
        for day in range(7):
            for h in (8, 11, 14, 17, 19, 21):
                at = NOW - timedelta(days=7 * (weeks - week) - day)
                out.append(Evidence(weekday=day, hour=h, value=4.0 + (1.2 if h == hour else 0.0) + rng.gauss(0, 0.3), at=at))
    return out


def test_a_learned_slot_moves_to_the_accounts_peak_and_says_why() -> None:
    beliefs = learner.learn(learner.prior("facebook"), peak_at(19), NOW)
    policy = SlotPolicy.of(AccountSettings(max_per_day=2, cooldown_hours=4))
    state, scheduled = scheduler.reserve(draft(), policy, [], NOW, beliefs=beliefs, rng=Random(1))
    assert scheduled is not None and scheduled.slot == "learned" and state.due_at is not None
    assert state.due_at.hour == 19
    why = scheduled.why
    assert why is not None and why.method == "learned" and why.evidence == beliefs.n > 0
    assert why.low <= why.lift <= why.high and why.lift > 0.5
    assert why.alternative_at is not None and why.alternative_at != state.due_at and why.half_life_days == learner.HALF_LIFE_DAYS
    # Exploiting, the best alternative expects less; exploring (the sample beat the means), it is the means' best.
    assert (why.alternative_lift > why.lift) == why.explored


def test_times_a_person_set_for_every_day_win_and_are_explained() -> None:
    beliefs = learner.learn(learner.prior("facebook"), peak_at(19), NOW)
    policy = SlotPolicy.of(AccountSettings(best_times=["09:00"], max_per_day=2, cooldown_hours=4))
    state, scheduled = scheduler.reserve(draft(), policy, [], NOW, beliefs=beliefs, rng=Random(1))
    assert state.due_at == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert scheduled is not None and scheduled.slot == "pinned" and scheduled.why is not None
    assert scheduled.why.method == "pinned" and not scheduled.why.explored


def test_a_weekday_pin_wins_on_its_weekday_and_learned_slots_keep_the_others() -> None:
    beliefs = learner.learn(learner.prior("facebook"), peak_at(19), NOW)
    policy = SlotPolicy.of(AccountSettings(max_per_day=1, cooldown_hours=4, weekday_times={0: ["08:30"]}))
    state, scheduled = scheduler.reserve(draft(), policy, [], NOW, beliefs=beliefs, rng=Random(1))
    assert state.due_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC) and scheduled is not None and scheduled.slot == "pinned"
    # Monday is full (cap 1): Tuesday and Wednesday have no pin, so the learner places it at their peak.
    _, later = scheduler.reserve(draft(), policy, [state.due_at], NOW, beliefs=beliefs, rng=Random(1))
    assert later is not None and later.slot == "learned" and later.scheduled_at.hour == 19
    assert later.scheduled_at.date() in (datetime(2026, 11, 24).date(), datetime(2026, 11, 25).date())


def test_pins_replace_the_default_times_on_their_weekday_without_a_learner() -> None:
    policy = SlotPolicy.of(AccountSettings(best_times=["09:00"], max_per_day=1, weekday_times={1: ["20:15"]}))
    monday_taken = [datetime(2026, 11, 23, 9, tzinfo=UTC)]
    assert next_slot(policy, "x", monday_taken, NOW) == datetime(2026, 11, 24, 20, 15, tzinfo=UTC)
    assert next_slot(policy, "x", [], NOW, pinned_only=True) == datetime(2026, 11, 24, 20, 15, tzinfo=UTC)


def test_pinned_times_must_be_a_weekday_and_hh_mm() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="weekday 7"):
        AccountSettings(weekday_times={7: ["09:00"]})
    with pytest.raises(ValidationError, match="is not HH:MM"):
        AccountSettings(weekday_times={2: ["9"]})
    assert AccountSettings(weekday_times={2: ["18:00", "09:00", "09:00"], 3: []}).weekday_times == {2: ["09:00", "18:00"]}


def test_the_same_post_draws_the_same_slot() -> None:
    beliefs = learner.learn(learner.prior("facebook"), peak_at(19, weeks=2), NOW)
    policy = SlotPolicy.of(AccountSettings(max_per_day=2, cooldown_hours=4))
    first = scheduler.reserve(draft(), policy, [], NOW, beliefs=beliefs, rng=Random("p1"))
    again = scheduler.reserve(draft(), policy, [], NOW, beliefs=beliefs, rng=Random("p1"))
    assert first == again


def test_the_learner_reads_each_posts_24h_snapshot_or_imputes_its_latest_earlier_one() -> None:
    at = datetime(2026, 11, 20, 18, 10, tzinfo=UTC)  # 19:10 in Berlin
    row = {"published_at": at, "post_type": "announcement", "media": False, "virality": 50}
    rows = [
        {**row, "post_id": "a", "label": "1h", "interactions": 10},
        {**row, "post_id": "a", "label": "24h", "interactions": 40},
        {**row, "post_id": "a", "label": "7d", "interactions": 90},  # after 24 h: not the learner's age
        {**row, "post_id": "b", "label": "1h", "interactions": 10},  # only an early one: imputed to 24 h
        {**row, "post_id": "c", "label": "", "interactions": 5},  # from before labels: ignored
    ]
    ev = {round(x.value, 6) for x in evidence_of(rows, "Europe/Berlin", "x")}
    assert len(ev) == 2 and round(math.log1p(40), 6) in ev
    assert round(learner.impute_24h(math.log1p(10), 1.0, "x"), 6) in ev
    assert {(x.weekday, x.hour) for x in evidence_of(rows, "Europe/Berlin", "x")} == {(4, 19)}
    assert (nominal_hours("30m"), nominal_hours("24h"), nominal_hours("7d"), nominal_hours("")) == (0.5, 24.0, 168.0, None)
