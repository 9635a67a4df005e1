"""Analytics periods: whole local days in the site's time zone, the previous period, the change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.periods import MAX_DAYS, Period, PeriodRefused, change, compare, period

NOW = datetime(2026, 3, 30, 3, 30, tzinfo=UTC)  # 05:30 in Berlin, 23:30 the day before in New York


def test_the_default_is_the_last_28_local_days_ending_today_in_the_site_zone() -> None:
    berlin = period(None, None, tz="Europe/Berlin", now=NOW)
    assert (berlin.start, berlin.end, berlin.days) == (date(2026, 3, 3), date(2026, 3, 30), 28)
    new_york = period(None, None, tz="America/New_York", now=NOW)
    assert new_york.end == date(2026, 3, 29)  # still Sunday there


def test_a_day_that_daylight_saving_shortens_is_still_one_whole_day() -> None:
    # Europe/Berlin moved its clocks forward on 2026-03-29: that local day lasted 23 hours.
    lo, hi = Period(date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin").bounds()
    assert (lo, hi) == (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert hi - lo == timedelta(hours=23)
    lo, hi = Period(date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin").bounds()
    assert hi - lo == timedelta(hours=25)
    # A week across the change: seven local days, 167 hours, both ends at local midnight.
    week = Period(date(2026, 3, 23), date(2026, 3, 29), "Europe/Berlin")
    lo, hi = week.bounds()
    assert (hi - lo, lo.hour, hi.hour) == (timedelta(hours=167), 23, 22)


def test_the_previous_period_has_as_many_days_and_ends_the_day_before() -> None:
    p = Period(date(2026, 3, 1), date(2026, 3, 31), "America/New_York")
    prev = p.previous()
    assert (prev.start, prev.end, prev.days) == (date(2026, 1, 29), date(2026, 2, 28), 31)
    assert prev.bounds()[1] == p.bounds()[0]  # no gap, no overlap, across New York's change on 8 March
    one = Period(date(2024, 3, 1), date(2024, 3, 1), "UTC").previous()
    assert (one.start, one.end) == (date(2024, 2, 29), date(2024, 2, 29))


def test_change_is_absolute_and_in_percent_and_null_when_the_previous_was_zero() -> None:
    assert change(150, 100) == {"current": 150, "previous": 100, "change": 50, "percent": 50.0}
    assert change(50, 200)["percent"] == -75.0
    assert change(7, 0) == {"current": 7, "previous": 0, "change": 7, "percent": None}
    assert change(0, 0)["percent"] is None
    assert compare({"likes": 3}, {"likes": 1, "shares": 4}, ("likes", "shares")) == {
        "likes": {"current": 3, "previous": 1, "change": 2, "percent": 200.0},
        "shares": {"current": 0, "previous": 4, "change": -4, "percent": -100.0},
    }


def test_a_range_backwards_or_too_long_is_refused_naming_the_field() -> None:
    with pytest.raises(PeriodRefused) as err:
        period(date(2026, 3, 10), date(2026, 3, 9), tz="UTC", now=NOW)
    assert err.value.field == "from"
    with pytest.raises(PeriodRefused) as err:
        period(date(2025, 1, 1), date(2026, 1, 2), tz="UTC", now=NOW)
    assert err.value.field == "to" and "367 days" in err.value.detail
    assert period(date(2025, 1, 1), date(2026, 1, 1), tz="UTC", now=NOW).days == MAX_DAYS
    assert period(date(2026, 3, 9), date(2026, 3, 9), tz="UTC", now=NOW).days == 1
    only_to = period(None, date(2026, 2, 28), tz="UTC", now=NOW)
    assert (only_to.start, only_to.end) == (date(2026, 2, 1), date(2026, 2, 28))
