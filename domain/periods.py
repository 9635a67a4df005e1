"""Analytics periods: a range of whole local days in the site's time zone, the period before it of
equal length, and the change between the two.

Days, not hours: a range's bounds are local midnights turned into instants, so a day that daylight
saving shortens to 23 hours (or lengthens to 25) is still one day, and "the last 28 days" means the
same calendar days wherever the clocks changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.exceptions import DomainError

DEFAULT_DAYS = 28
MAX_DAYS = 366


class PeriodRefused(DomainError):
    """A range the analytics cannot answer: ``field`` is the query parameter at fault."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = f"{field}: {detail}"


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included, in ``tz``."""

    start: date
    end: date
    tz: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The instants (UTC) the period covers: from the first day's local midnight to the midnight after the last, excluded."""
        zone = ZoneInfo(self.tz)
        first = datetime.combine(self.start, time(0), zone)
        after = datetime.combine(self.end + timedelta(days=1), time(0), zone)
        return first.astimezone(UTC), after.astimezone(UTC)

    def previous(self) -> Period:
        """The period of equal length (in days) that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.tz)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def as_dict(self) -> dict[str, str | int]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days, "timezone": self.tz}


def today_in(tz: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def period(start: date | None, end: date | None, *, tz: str, now: datetime, default_days: int = DEFAULT_DAYS) -> Period:
    """The range asked for: ``to`` defaults to today (local), ``from`` to ``default_days`` days ending at ``to``.
    Refused: ``from`` after ``to``, or a range longer than ``MAX_DAYS`` days."""
    end = end or today_in(tz, now)
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise PeriodRefused("from", f"{start.isoformat()} is after to ({end.isoformat()})")
    p = Period(start, end, tz)
    if p.days > MAX_DAYS:
        raise PeriodRefused("to", f"the range is {p.days} days; at most {MAX_DAYS}")
    return p


def change(current: float, previous: float) -> dict[str, float | None]:
    """The change from the previous period: absolute, and in percent (None when the previous was 0)."""
    delta = current - previous
    return {
        "current": current,
        "previous": previous,
        "change": delta,
        "percent": None if previous == 0 else round(100.0 * delta / previous, 2),
    }


def compare(current: Mapping[str, float], previous: Mapping[str, float], keys: Iterable[str]) -> dict[str, dict[str, float | None]]:
    """Each metric of ``keys``: this period, the previous one, the change (a metric missing counts 0)."""
    return {k: change(current.get(k) or 0, previous.get(k) or 0) for k in keys}
