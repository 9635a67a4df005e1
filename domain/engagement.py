"""What a post earned: the counts every platform reports in its own words, and the rate the
analytics compare them by; and when a post's engagement is read (:func:`due_snapshots`): at fixed
ages from its platform's :class:`~domain.platforms.Ladder`, so every reading of every post is
comparable with the same reading of another (the 24 h snapshot is what best times learn from)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from domain.platforms import Ladder

__all__ = ["DecayPoint", "Due", "Metrics", "Snapshot", "decay", "due_snapshots", "label", "snapshots"]


@dataclass(frozen=True, slots=True)
class Metrics:
    likes: int = 0
    comments: int = 0
    shares: int = 0
    impressions: int = 0
    clicks: int = 0
    reach: int = 0  # unique accounts that saw it, where the platform says
    saves: int = 0  # saves or bookmarks
    views: int = 0  # views (Meta's replacement for impressions; a video's plays)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def interactions(self) -> int:
        return self.likes + self.comments + self.shares

    @property
    def engagement_rate(self) -> float:
        """(likes + comments + shares) / impressions, the seed's formula (clicks are counted on their
        own); 0 when the platform reports no impressions."""
        return round(self.interactions / self.impressions, 6) if self.impressions else 0.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    label: str  # "1h", "24h", "7d", "6h#5" (the 5th 6-hour step after the last fixed age)
    age: float  # seconds after publishing, unscaled


def label(seconds: float) -> str:
    """An age as a label: whole days from two days on ("7d"), else hours ("24h"), else minutes."""
    s = int(seconds)
    if s % 86400 == 0 and s >= 2 * 86400:
        return f"{s // 86400}d"
    if s % 3600 == 0:
        return f"{s // 3600}h"
    return f"{max(1, s // 60)}m"


def snapshots(ladder: Ladder) -> list[Snapshot]:
    """Every reading of a ladder, youngest first."""
    out = [Snapshot(label(a), a) for a in ladder.fixed]
    last, n = (ladder.fixed[-1] if ladder.fixed else 0.0), 1
    while ladder.step > 0 and last + n * ladder.step <= ladder.until:
        out.append(Snapshot(f"{label(ladder.step)}#{n}", last + n * ladder.step))
        n += 1
    return out


@dataclass(frozen=True, slots=True)
class Due:
    label: str
    due_at: datetime
    take: bool  # False: a later reading fell due too (nobody polled in between): recorded as skipped, never read
    late: bool = False  # read well after its age (a quarter of it and the grace): its value is not that age's


def due_snapshots(
    published_at: datetime, now: datetime, ladder: Ladder, taken: frozenset[str] | set[str], *, scale: float = 1.0, grace: float = 0.0
) -> list[Due]:
    """The readings of a post that are due at ``now`` and not yet taken (or skipped), oldest first.

    Only the last is to be read (``take``): when several fell due while nothing polled (a restart,
    an outage), one poll gives one value, and the earlier ages are past; they are skipped, so they
    are never due again. A reading older than the newest one taken is past for good. ``scale``
    shrinks every age (tests see the ladder in seconds); ``grace`` (seconds) is how late a reading
    may come and still count as on time, besides a quarter of its age."""
    ladder_snaps = snapshots(ladder)
    newest = max((s.age for s in ladder_snaps if s.label in taken), default=-1.0)
    due = [s for s in ladder_snaps if s.label not in taken and published_at + timedelta(seconds=s.age * scale) <= now]
    out = []
    for i, s in enumerate(due):
        at = published_at + timedelta(seconds=s.age * scale)
        take = i == len(due) - 1 and s.age > newest
        late = (now - at).total_seconds() > 0.25 * s.age * scale + grace
        out.append(Due(s.label, at, take, late))
    return out


@dataclass(frozen=True, slots=True)
class DecayPoint:
    label: str
    age_seconds: float
    posts: int  # posts with an on-time reading at this age
    of_24h: float | None  # median share of the 24 h value reached at this age
    of_final: float | None  # median share of the last reading's value (posts whose ladder is done)


def decay(readings: Mapping[str, Mapping[str, tuple[int, bool]]], ladder: Ladder) -> list[DecayPoint]:
    """How an account's engagement builds up on a platform: per ladder age, the median share of each
    post's 24 h and final value reached by then. ``readings``: post -> label -> (value, late); a late
    reading (after an outage) is not its age's value and is left out."""
    snaps = snapshots(ladder)
    last = snaps[-1].label if snaps else ""
    on_time = {post: {k: v for k, (v, late) in by.items() if not late} for post, by in readings.items()}
    out = []
    for s in snaps:
        of_24h = [by[s.label] / by["24h"] for by in on_time.values() if s.label in by and by.get("24h", 0) > 0]
        of_final = [by[s.label] / by[last] for by in on_time.values() if s.label in by and by.get(last, 0) > 0]
        n = sum(1 for by in on_time.values() if s.label in by)
        out.append(
            DecayPoint(
                s.label,
                s.age,
                n,
                round(median(of_24h), 4) if of_24h else None,
                round(median(of_final), 4) if of_final else None,
            )
        )
    return out
