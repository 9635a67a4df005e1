"""Best-time slotting: caps per local day, cooldowns, time zones, interval slots."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.exceptions import NoFreeSlot
from domain.schedule import SlotPolicy, next_slot
from schemas.events import AccountSettings

UTC = UTC


def policy_of(horizon_days: int = 60, **settings: object) -> SlotPolicy:
    return SlotPolicy.of(AccountSettings.model_validate(settings), horizon_days=horizon_days)


def test_first_best_time_after_now_in_the_sites_time_zone() -> None:
    policy = policy_of(timezone="Europe/Berlin", best_times=["09:00", "17:00"])
    now = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert next_slot(policy, "linkedin", [], now) == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # 09:00 Berlin


def test_max_per_day_moves_to_the_next_day() -> None:
    policy = policy_of(best_times=["09:00", "12:00", "17:00"], max_per_day=2, cooldown_hours=0)
    now = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    taken = [datetime(2026, 11, 22, 9, tzinfo=UTC), datetime(2026, 11, 22, 12, tzinfo=UTC)]
    assert next_slot(policy, "x", taken, now) == datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_cooldown_skips_slots_too_close_to_another_post() -> None:
    policy = policy_of(best_times=["09:00", "12:00", "17:00"], max_per_day=5, cooldown_hours=4)
    now = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    taken = [datetime(2026, 11, 22, 10, tzinfo=UTC)]
    # 09:00 is 1 h before, 12:00 is 2 h after: both inside the cooldown.
    assert next_slot(policy, "x", taken, now) == datetime(2026, 11, 22, 17, tzinfo=UTC)


def test_platform_defaults_apply_without_best_times() -> None:
    now = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert next_slot(policy_of(), "linkedin", [], now) == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_interval_slots_fill_in_order() -> None:
    policy = policy_of(interval_minutes=1, cooldown_hours=0, max_per_day=1000)
    now = datetime(2026, 11, 22, 10, 0, 30, tzinfo=UTC)
    first = next_slot(policy, "x", [], now)
    assert first == datetime(2026, 11, 22, 10, 1, tzinfo=UTC)
    assert next_slot(policy, "x", [first], now) == first + timedelta(minutes=1)


def test_no_free_slot_is_refused() -> None:
    policy = policy_of(best_times=["09:00"], max_per_day=1, cooldown_hours=0, horizon_days=1)
    now = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    taken = [datetime(2026, 11, 22, 9, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)]
    with pytest.raises(NoFreeSlot):
        next_slot(policy, "x", taken, now)


def test_bad_policy_values_are_refused() -> None:
    with pytest.raises(ValueError):
        policy_of(best_times=["25:00"])
    with pytest.raises(ValueError):
        policy_of(timezone="Mars/Olympus")
