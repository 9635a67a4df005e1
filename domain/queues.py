"""A queue's rules: when it posts (an RFC 5545 RRULE in a time zone) and what it posts next (its
items first-in first-out, a priority item first; or, evergreen, the article's best-performing post
that is not the text it posted last). Pure: the clock and the engagement figures are arguments.

A rule is evaluated in its zone, not in UTC, so ``FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0`` in
Europe/Berlin is 09:00 on the wall clock in winter (08:00 UTC) and in summer (07:00 UTC): the daylight
saving changes move the UTC instant, never the local time (Postiz PR #1272's drift).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from domain.exceptions import DomainError

__all__ = [
    "Candidate",
    "InvalidRule",
    "Item",
    "Recurrence",
    "best_candidate",
    "gap_ok",
    "next_item",
    "recurrence",
]

# A queue posts at most hourly: a faster rule is a mistake, not a plan (and would flood the account's slots).
REFUSED_FREQUENCIES = ("SECONDLY", "MINUTELY")
MAX_RULE_LENGTH = 500
MAX_INTERVAL = 1000


class InvalidRule(DomainError):
    """A rule or time zone that cannot be evaluated; ``field`` names what was wrong."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.detail, self.field = detail, field


def zone(tzid: str) -> ZoneInfo:
    try:
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:  # OSError: a folder of zones, such as "Europe"
        raise InvalidRule(f"unknown time zone {tzid!r} (an IANA name such as Europe/Berlin)", "tzid") from err


@dataclass(frozen=True)
class Recurrence:
    """``rule`` (the RRULE's value, without ``RRULE:``) from ``starts_at`` on, in ``tzid``."""

    rule: str
    tzid: str
    starts_at: datetime  # aware; the first occurrence is not before it (and, without BYHOUR etc., its local time is the posts')

    def _rrule(self) -> rrule:
        local = self.starts_at.astimezone(zone(self.tzid)).replace(second=0, microsecond=0)  # whole minutes, unless BYSECOND
        parsed = rrulestr(self.rule, dtstart=local, forceset=False, ignoretz=False)
        assert isinstance(parsed, rrule)
        return parsed

    def between(self, after: datetime, until: datetime) -> list[datetime]:
        """The occurrences in (``after``, ``until``], in UTC (each at its local time in the zone)."""
        tz = zone(self.tzid)
        found = self._rrule().between(after.astimezone(tz), until.astimezone(tz), inc=True)
        return [o.astimezone(UTC) for o in found if o > after]

    def next_after(self, after: datetime) -> datetime | None:
        o = self._rrule().after(after.astimezone(zone(self.tzid)), inc=False)
        return o.astimezone(UTC) if o is not None else None


def upcoming(rule: Recurrence, starts_at: datetime, last: datetime | None, now: datetime, n: int) -> list[datetime]:
    """The next ``n`` occurrences after ``now`` and after the last one done (an occurrence at
    ``starts_at`` counts): what a person is shown as coming."""
    after = max(now, last or starts_at - timedelta(seconds=1))
    out: list[datetime] = []
    while len(out) < n and (o := rule.next_after(after)) is not None:
        out.append(o)
        after = o
    return out


def recurrence(rule: str, tzid: str, starts_at: datetime) -> Recurrence:
    """A checked :class:`Recurrence`, or :class:`InvalidRule` naming ``rrule``, ``tzid`` or ``starts_at``."""
    if starts_at.tzinfo is None:
        raise InvalidRule("starts_at needs a time zone offset (RFC 3339)", "starts_at")
    zone(tzid)
    text = rule.strip()
    text = text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text
    if not text or len(text) > MAX_RULE_LENGTH or "\n" in text:
        raise InvalidRule(f"one RFC 5545 RRULE value of at most {MAX_RULE_LENGTH} characters, such as FREQ=WEEKLY;BYDAY=MO", "rrule")
    parts = {p.split("=", 1)[0].upper(): p.split("=", 1)[-1].upper() for p in text.split(";") if p}
    if "DTSTART" in parts or "TZID" in parts:
        raise InvalidRule("the start and the zone are starts_at and tzid, not parts of the RRULE", "rrule")
    if parts.get("FREQ") in REFUSED_FREQUENCIES:
        raise InvalidRule("a queue posts at most hourly: FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY", "rrule")
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL):
        raise InvalidRule(f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL}", "rrule")
    made = Recurrence(text, tzid, starts_at)
    # An impossible rule (FEBRUARY 30th) is searched to the year 9999: yearly, that is 8,000 steps; at
    # the rule's own frequency it could be millions. So the yearly form is asked first.
    kept = [p for p in text.split(";") if p and not p.upper().startswith(("FREQ=", "INTERVAL="))]
    yearly = Recurrence(";".join([*kept, "FREQ=YEARLY"]), tzid, starts_at)
    try:
        for form in (yearly, made):
            form._rrule()
            if form.next_after(starts_at - timedelta(seconds=1)) is None:
                raise InvalidRule("the rule has no occurrence from starts_at on", "rrule")
    except (ValueError, TypeError, KeyError, OverflowError) as err:
        raise InvalidRule(f"not an RFC 5545 RRULE: {err}", "rrule") from err
    return made


# ---------------------------------------------------------------- what is posted next
@dataclass(frozen=True)
class Item:
    """A post waiting in a first-in first-out queue; ``seq`` is its place in arrival order. ``held``: why
    the posts' writer refused it when it went (it stays, shown with the reason, and is not posted again)."""

    item_id: str
    text: str
    seq: int
    link_url: str | None = None
    priority: bool = False
    held: str = ""
    media_urls: tuple[str, ...] = ()


def next_item(items: Iterable[Item]) -> Item | None:
    """The first priority item (in arrival order), else the first item: FIFO with a priority override;
    a held item is passed over."""
    return min((i for i in items if not i.held), key=lambda i: (not i.priority, i.seq), default=None)


@dataclass(frozen=True)
class Candidate:
    """One of an article's published posts, and how it did (the engagement read model's figures)."""

    post_id: str
    text: str
    score: float  # engagements (likes + comments + shares + clicks); ties go to the lower post id
    link_url: str | None = None


def best_candidate(candidates: Sequence[Candidate], last_text: str | None) -> Candidate | None:
    """The best-performing candidate whose text is not the one posted last (never twice in a row)."""
    fresh = [c for c in candidates if c.text.strip() != (last_text or "").strip()]
    return min(fresh, key=lambda c: (-c.score, c.post_id), default=None)


def gap_ok(last_posted_at: datetime | None, occurrence: datetime, min_gap: timedelta) -> bool:
    """Whether ``occurrence`` is at least ``min_gap`` after the queue's last post."""
    return last_posted_at is None or occurrence - last_posted_at >= min_gap
