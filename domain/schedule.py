"""Best-time slotting under a max-per-day cap and a cooldown: pure, so it is tested without a clock.

A slot is a best time of day in the account's time zone (or, for accounts that set
``interval_minutes``, every N minutes). A candidate is free when the local day holds fewer than
``max_per_day`` posts of the account and no post of the account is closer than ``cooldown_hours``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any, Literal
from zoneinfo import ZoneInfo

from domain.exceptions import NoFreeSlot
from domain.learner import Beliefs, Pick
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


class _Room:
    """The cap and cooldown of ``occupied``, asked per candidate (the rule ``next_slot`` and
    ``learned_slot`` share)."""

    def __init__(self, policy: SlotPolicy, occupied: Iterable[datetime]) -> None:
        self.tz = ZoneInfo(policy.timezone)
        self.taken = sorted(occupied)
        self.per_day: dict[date, int] = {}
        for o in self.taken:
            key = o.astimezone(self.tz).date()
            self.per_day[key] = self.per_day.get(key, 0) + 1
        self.cap = policy.max_per_day
        self.cooldown = timedelta(hours=policy.cooldown_hours)

    def full(self, day: date) -> bool:
        return self.per_day.get(day, 0) >= self.cap

    def fits(self, cand: datetime, day: date | None = None) -> bool:
        """``cand`` (on local ``day``, when the caller knows it) breaks neither the cap nor the cooldown."""
        if self.full(day or cand.astimezone(self.tz).date()):
            return False
        taken, i = self.taken, bisect_left(self.taken, cand)
        near = taken[i - 1 : i + 1] if i else taken[:1]
        if self.cooldown:
            return all(abs(cand - o) >= self.cooldown for o in near)
        return cand not in near


def next_slot(policy: SlotPolicy, platform: str, occupied: Iterable[datetime], now: datetime, *, pinned_only: bool = False) -> datetime:
    """The first candidate after ``now`` that respects the cap and the cooldown of ``occupied``
    (``pinned_only``: only the times a person pinned to their weekdays)."""
    room = _Room(policy, occupied)
    for cand in _candidates(policy, platform, now, pinned_only=pinned_only):
        if room.fits(cand):
            return cand
    raise NoFreeSlot(f"no free slot within {policy.horizon_days} days")


WINDOW_HOURS = range(6, 24)  # learned slots: whole local hours from 06:00 to 23:00


def learned_slot(
    policy: SlotPolicy,
    platform: str,
    occupied: Iterable[datetime],
    now: datetime,
    beliefs: Beliefs,
    rng: Random,
    *,
    pinned: Sequence[datetime] = (),
) -> Pick:
    """The slot the beliefs pick by a Thompson sample among the free whole local hours (06:00-23:00) of
    the first local day with a free one and the day after: never more than a day later than
    ``next_slot``. A free pinned time (after ``now``) wins; with no free candidate, ``next_slot``; an
    account on interval slots keeps them."""
    occupied = list(occupied)
    room = _Room(policy, occupied)
    tz = room.tz
    for at in sorted(pinned):
        if at > now and room.fits(at):
            return _pick(beliefs, at.astimezone(tz), None, False)
    free: list[tuple[datetime, int, int]] = []  # (when, local weekday, local hour)
    if not policy.interval_minutes:
        first = now.astimezone(tz).date()
        last: date | None = None
        for d in range(policy.horizon_days + 1):
            day = first + timedelta(days=d)
            if last is not None and day > last:
                break
            if room.full(day):
                continue
            for h in WINDOW_HOURS:
                at = datetime.combine(day, time(h), tzinfo=tz).astimezone(UTC)
                if at > now and room.fits(at, day):
                    free.append((at, day.weekday(), h))
            if free and last is None:
                last = day + timedelta(days=1)
    if not free:
        return _pick(beliefs, next_slot(policy, platform, occupied, now).astimezone(tz), None, False)
    mean, sample = beliefs.mean, beliefs.sample
    means = [mean[d][h] for _, d, h in free]
    samples = [sample(d, h, rng) for _, d, h in free] if beliefs.n else means  # no evidence yet: the prior's best
    best = max(range(len(free)), key=samples.__getitem__)  # the earliest of equals
    by_mean = max(range(len(free)), key=means.__getitem__)
    others = [i for i in range(len(free)) if i != best]
    alt = max(others, key=means.__getitem__) if others else None
    return _pick(beliefs, free[best][0].astimezone(tz), free[alt][0].astimezone(tz) if alt is not None else None, best != by_mean)


def _pick(beliefs: Beliefs, local: datetime, alternative: datetime | None, explored: bool) -> Pick:
    lift, low, high = beliefs.lift(local.weekday(), local.hour)
    a = beliefs.lift(alternative.weekday(), alternative.hour) if alternative else (0.0, 0.0, 0.0)
    return Pick(
        at=local.astimezone(UTC),
        weekday=local.weekday(),
        hour=local.hour,
        lift=lift,
        low=low,
        high=high,
        alternative_lift=a[0],
        alternative_low=a[1],
        alternative_high=a[2],
        alternative_at=alternative.astimezone(UTC) if alternative else None,
        explored=explored,
    )


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
