"""Best-time slotting under a max-per-day cap and a cooldown: pure, so it is tested without a clock.

A slot is a best time of day in the account's time zone (or, for accounts that set
``interval_minutes``, every N minutes). A candidate is free when the local day holds fewer than
``max_per_day`` posts of the account and no post of the account is closer than ``cooldown_hours``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from domain.exceptions import NoFreeSlot
from domain.platforms import profile
from schemas.events import AccountSettings

HORIZON_DAYS = 60


@dataclass(frozen=True, slots=True)
class SlotPolicy:
    """An account's settings resolved for slotting: its own time zone, else its site's."""

    timezone: str
    best_times: tuple[str, ...]
    max_per_day: int
    cooldown_hours: float
    interval_minutes: float | None
    horizon_days: int = HORIZON_DAYS
    weekday_times: tuple[tuple[int, tuple[str, ...]], ...] = ()  # a person's pins per weekday (0 = Monday)

    @property
    def pinned(self) -> bool:
        """A person chose the times (best times or pins per weekday): they win over learned slots."""
        return bool(self.best_times or self.weekday_times)

    @classmethod
    def of(cls, settings: AccountSettings, site_timezone: str = "UTC", *, horizon_days: int = HORIZON_DAYS) -> SlotPolicy:
        return cls(
            timezone=settings.timezone or site_timezone,
            best_times=tuple(sorted(set(settings.best_times))),
            max_per_day=settings.max_per_day,
            cooldown_hours=settings.cooldown_hours,
            interval_minutes=settings.interval_minutes,
            horizon_days=horizon_days,
            weekday_times=tuple((d, tuple(t)) for d, t in sorted(settings.weekday_times.items())),
        )


def _candidates(policy: SlotPolicy, platform: str, now: datetime, *, pinned_only: bool = False) -> Iterator[datetime]:
    tz = ZoneInfo(policy.timezone)
    if policy.interval_minutes and not pinned_only:
        step = timedelta(minutes=policy.interval_minutes)
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        k = (now - epoch) // step + 1
        end = now + timedelta(days=policy.horizon_days)
        at = epoch + k * step
        while at <= end:
            yield at
            at += step
        return
    times = [time.fromisoformat(t) for t in (policy.best_times or profile(platform).best_times)]
    pins = {d: [time.fromisoformat(t) for t in ts] for d, ts in policy.weekday_times}
    local_today = now.astimezone(tz).date()
    for d in range(policy.horizon_days + 1):
        day = local_today + timedelta(days=d)
        for t in pins.get(day.weekday(), [] if pinned_only else times):
            at = datetime.combine(day, t, tzinfo=tz).astimezone(UTC)
            if at > now:
                yield at


def conflict(policy: SlotPolicy, at: datetime, occupied: Iterable[tuple[str, datetime]]) -> tuple[str, str] | None:
    """The post ``at`` would break the cap or the cooldown with, and how; None if it fits."""
    tz = ZoneInfo(policy.timezone)
    taken = sorted(occupied, key=lambda o: o[1])
    day = at.astimezone(tz).date()
    same_day = [o for o in taken if o[1].astimezone(tz).date() == day]
    if len(same_day) >= policy.max_per_day:
        return same_day[0][0], f"the account's cap of {policy.max_per_day} per day is reached on {day.isoformat()}"
    cooldown = timedelta(hours=policy.cooldown_hours)
    for post_id, t in taken:
        if cooldown and abs(t - at) < cooldown:
            return (
                post_id,
                f"it is {abs(t - at).total_seconds() / 3600:.1f} h from post {post_id} at {t.isoformat()}, inside the {policy.cooldown_hours:g} h cooldown",
            )
    return None


def next_slot(policy: SlotPolicy, platform: str, occupied: Iterable[datetime], now: datetime, *, pinned_only: bool = False) -> datetime:
    """The first candidate after ``now`` that respects the cap and the cooldown of ``occupied``
    (``pinned_only``: only the times a person pinned to their weekdays)."""
    tz = ZoneInfo(policy.timezone)
    taken = sorted(occupied)
    per_day: dict[object, int] = {}
    for o in taken:
        key = o.astimezone(tz).date()
        per_day[key] = per_day.get(key, 0) + 1
    cooldown = timedelta(hours=policy.cooldown_hours)
    for cand in _candidates(policy, platform, now, pinned_only=pinned_only):
        if per_day.get(cand.astimezone(tz).date(), 0) >= policy.max_per_day:
            continue
        i = bisect_left(taken, cand)
        near = taken[max(0, i - 1) : i + 1]
        if cooldown and any(abs(cand - o) < cooldown for o in near):
            continue
        if not cooldown and cand in near:
            continue
        return cand
    raise NoFreeSlot(f"no free slot within {policy.horizon_days} days")


SlotState = Literal["draft", "pending", "dispatched", "published", "failed", "cancelled"]
# States whose snapshot and time may still change.
CHANGEABLE: frozenset[str] = frozenset({"draft", "pending", "failed"})
# What a PublishPost carries, copied from the draft and its edits.
PAYLOAD_FIELDS = ("site_id", "account_id", "platform", "text", "link_url", "hashtags", "media_urls", "thread", "first_comment", "video")


@dataclass(frozen=True)
class Slotted:
    """The scheduler's view of one post: its state, its time, and a snapshot of what to publish."""

    post_id: str
    site_id: str
    account_id: str
    platform: str
    state: SlotState
    due_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
