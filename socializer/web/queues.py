"""The queues pages: the site's queues (account, fifo or evergreen, the schedule in words and its RRULE
in its time zone, the next occurrences in the site's time zone, status, items waiting and posted), a
form that creates one; and one queue: its items in the order they will be posted (a prioritised item
first), what it posted last, and its actions. Every change goes through the API's own queue routes
(``static/queues.js``) with If-Match on the version shown and an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain.platforms import POSTING
from domain.queues import InvalidRule, recurrence, upcoming
from projections import queries as pq
from projections import queues as q
from schemas.envelope import utcnow
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)
PAGE = 50
NEXT = 5  # occurrences shown ahead, as the API shows them
HOME = "/socializer/queues"

_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}
_WEEKDAYS = tuple(_DAYS)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_UNITS = {"HOURLY": "hour", "DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_SAID = {"FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"}
_MAX_TIMES = 8


def _ordinal(n: int) -> str:
    if n == -1:
        return "last"
    if n < 0:
        return f"{_ordinal(-n)} from last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ints(value: str, low: int, high: int) -> list[int] | None:
    try:
        out = sorted({int(v) for v in value.split(",")})
    except ValueError:
        return None
    return out if out and all(low <= v <= high for v in out) else None


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def in_words(rule: str, tzid: str, starts_at: datetime) -> str | None:
    """An RRULE as a manager reads it ("Every week on Monday and Friday at 09:00"), with what the rule
    leaves out taken from its start in its zone, as RFC 5545 does. None when the rule says more than
    this knows how to say (BYSETPOS, BYWEEKNO, …): the page then shows the RRULE alone."""
    text = rule.strip().removeprefix("RRULE:")
    try:
        parts = dict(p.upper().split("=", 1) for p in text.split(";") if p)
        local = starts_at.astimezone(ZoneInfo(tzid))
    except (ValueError, KeyError, OSError):
        return None
    freq = parts.get("FREQ", "")
    if freq not in _UNITS or set(parts) - _SAID or parts.get("BYSECOND", "0") != "0":
        return None
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        return None
    every = f"Every {_UNITS[freq]}" if int(interval) == 1 else f"Every {interval} {_UNITS[freq]}s"

    months = _ints(parts["BYMONTH"], 1, 12) if "BYMONTH" in parts else None
    monthdays = _ints(parts["BYMONTHDAY"], -31, 31) if "BYMONTHDAY" in parts else None
    if ("BYMONTH" in parts and months is None) or ("BYMONTHDAY" in parts and (monthdays is None or 0 in monthdays)):
        return None
    if freq == "YEARLY" and not months and ("BYMONTHDAY" in parts or "BYDAY" in parts):
        return None  # every month's day, or every such weekday of the year: the RRULE says it better
    days: list[str] = []
    for d in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        n, code = d[:-2], d[-2:]
        if code not in _DAYS or (n and (freq not in ("MONTHLY", "YEARLY") or not n.lstrip("+-").isdigit() or int(n) == 0)):
            return None
        days.append(f"the {_ordinal(int(n))} {_DAYS[code]}" if n else _DAYS[code])

    hours = _ints(parts["BYHOUR"], 0, 23) if "BYHOUR" in parts else [local.hour]
    minutes = _ints(parts["BYMINUTE"], 0, 59) if "BYMINUTE" in parts else [local.minute]
    if hours is None or minutes is None:
        return None
    if freq == "HOURLY" and "BYHOUR" not in parts:
        when = "at " + _join([f":{m:02d}" for m in minutes]) + " past the hour"
    else:
        times = [f"{h:02d}:{m:02d}" for h in hours for m in minutes]
        if len(times) > _MAX_TIMES:
            return None
        when = "at " + _join(times)

    on: list[str] = []
    if days:
        on.append("on " + _join(days))
    elif freq == "WEEKLY":
        on.append("on " + _DAYS[_WEEKDAYS[local.weekday()]])
    if monthdays:
        on.append("on the " + _join([_ordinal(d) for d in monthdays]) + (" day" if any(d < 0 for d in monthdays) else ""))
    elif not days and (freq == "MONTHLY" or (freq == "YEARLY" and months)):
        on.append(f"on the {_ordinal(local.day)}")
    if months:
        on.append("in " + _join([_MONTHS[m - 1] for m in months]))
    elif freq == "YEARLY":
        on.append(f"on {local.day} {_MONTHS[local.month - 1]}")

    limit = ""
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit():
            return None
        limit = f", {parts['COUNT']} times"
    elif "UNTIL" in parts:
        until = parts["UNTIL"]
        if len(until) < 8 or not until[:8].isdigit():
            return None
        limit = f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return " ".join([every, *on, when]) + limit


def next_occurrences(row: dict[str, Any], now: datetime | None = None, n: int = NEXT) -> list[datetime]:
    """The queue's next ``n`` occurrences (UTC instants), as the API reckons them; none while paused."""
    if row["status"] != "active":
        return []
    try:
        rule = recurrence(row["rrule"], row["tzid"], row["starts_at"])
    except InvalidRule:
        return []
    return upcoming(rule, row["starts_at"], row["last_occurrence"], now or utcnow(), n)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"words": in_words(row["rrule"], row["tzid"], row["starts_at"]), "next": next_occurrences(row)}


async def _accounts(svc: Services, site_id: str) -> dict[str, Any]:
    return {a.account_id: a for a in await svc.accounts.for_site(site_id, include_inactive=True)}


@router.get(HOME)
async def queues(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    rows, total = await q.queues(svc.pool, site_id=who.site_id, limit=PAGE, offset=offset)
    accounts = await _accounts(svc, who.site_id)
    postable = sorted(
        (a for a in accounts.values() if a.platform in POSTING and a.status != "disconnected"),
        key=lambda a: (POSTING.index(a.platform), a.handle),
    )
    articles = await svc.pool.fetch(
        "SELECT content_id, title FROM contents WHERE site_id = $1 ORDER BY published_at DESC LIMIT 50", who.site_id
    )
    return page(
        request, "queues.html", who, rows=[_shown(r) for r in rows], total=total, offset=offset, size=PAGE, accounts=accounts,
        postable=postable, articles=articles, home=HOME,
    )  # fmt: skip


@router.get(HOME + "/{queue_id}")
async def queue(request: Request, queue_id: str, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    row = await q.queue(svc.pool, queue_id)
    if row is None or row["site_id"] != who.site_id:
        return page(request, "missing.html", who, status=404, what="queue", back=HOME)
    accounts = await _accounts(svc, who.site_id)
    last = await pq.get_post(svc.pool, row["last_post_id"]) if row["last_post_id"] else None
    if last is not None and last["site_id"] != who.site_id:
        last = None
    return page(request, "queue.html", who, qu=_shown(row), account=accounts.get(row["account_id"]), last=last, home=HOME)
