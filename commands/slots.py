"""Best-time slotting under a max-per-day cap and a cooldown: pure, so it is tested without a clock.

A slot is a best time of day in the account's time zone (or, for accounts that set
``interval_minutes``, every N minutes). A candidate is free when the local day holds fewer than
``max_per_day`` posts of the account and no post of the account is closer than ``cooldown_hours``.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from commands.exceptions import InvalidSchedule

# Industry-benchmark defaults; an account overrides them with settings.best_times.
DEFAULT_BEST_TIMES: dict[str, list[str]] = {
    "linkedin": ["08:00", "12:00", "17:00"],
    "x": ["09:00", "12:00", "15:00", "18:00"],
    "facebook": ["09:00", "13:00", "19:00"],
    "instagram": ["11:00", "14:00", "19:00"],
    "tiktok": ["12:00", "19:00", "21:00"],
}


class SlotPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    timezone: str = "UTC"
    best_times: list[str] = Field(default_factory=list)
    max_per_day: int = Field(2, ge=1, le=1000)
    cooldown_hours: float = Field(4.0, ge=0, le=168)
    interval_minutes: float | None = Field(None, gt=0, le=1440)
    horizon_days: int = Field(60, ge=1, le=366)

    @field_validator("best_times")
    @classmethod
    def _hhmm(cls, v: list[str]) -> list[str]:
        for item in v:
            time.fromisoformat(item)
        return sorted(set(v))

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {v!r}") from err
        return v


def _candidates(policy: SlotPolicy, platform: str, now: datetime) -> Iterator[datetime]:
    tz = ZoneInfo(policy.timezone)
    if policy.interval_minutes:
        step = timedelta(minutes=policy.interval_minutes)
        epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
        k = (now - epoch) // step + 1
        end = now + timedelta(days=policy.horizon_days)
        at = epoch + k * step
        while at <= end:
            yield at
            at += step
        return
    times = [time.fromisoformat(t) for t in (policy.best_times or DEFAULT_BEST_TIMES[platform])]
    local_today = now.astimezone(tz).date()
    for d in range(policy.horizon_days + 1):
        day = local_today + timedelta(days=d)
        for t in times:
            at = datetime.combine(day, t, tzinfo=tz).astimezone(timezone.utc)
            if at > now:
                yield at


def next_slot(policy: SlotPolicy, platform: str, occupied: Iterable[datetime], now: datetime) -> datetime:
    """The first candidate after ``now`` that respects the cap and the cooldown of ``occupied``."""
    tz = ZoneInfo(policy.timezone)
    taken = sorted(occupied)
    per_day: dict[object, int] = {}
    for o in taken:
        key = o.astimezone(tz).date()
        per_day[key] = per_day.get(key, 0) + 1
    cooldown = timedelta(hours=policy.cooldown_hours)
    for cand in _candidates(policy, platform, now):
        if per_day.get(cand.astimezone(tz).date(), 0) >= policy.max_per_day:
            continue
        i = bisect_left(taken, cand)
        near = taken[max(0, i - 1) : i + 1]
        if cooldown and any(abs(cand - o) < cooldown for o in near):
            continue
        if not cooldown and cand in near:
            continue
        return cand
    raise InvalidSchedule(f"no free slot within {policy.horizon_days} days", field="scheduled_at")
