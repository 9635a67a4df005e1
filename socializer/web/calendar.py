"""The calendar: the site's posts on their local days and hours (month, week, day, list), the
learner's proposed slots as ghosts with their why, and each account's cap and cooldown conflicts
shaded. Moving a post is the API's own schedule command, sent from the page with If-Match.

:func:`build` is pure (posts, accounts' rules and ghosts in; what the template shows out), so the
benchmark renders a month of 500 posts without a database.
"""

from __future__ import annotations

import calendar as cal
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from domain.accounts import Site
from domain.exceptions import NoFreeSlot
from domain.schedule import SlotPolicy, learned_slot
from projections import queries as q
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import env, page

router = APIRouter(include_in_schema=False)

View = Literal["month", "week", "day", "list"]
VIEWS: tuple[View, ...] = ("month", "week", "day", "list")
LIST_DAYS = 14  # the list view: two weeks from the day asked for
GHOSTS_PER_ACCOUNT = 3  # proposed slots shown per account: the next ones the scheduler would take
HOURS = range(24)


@dataclass
class Ghost:
    """A slot the learner proposes: when, for which account, and why."""

    at: datetime
    account_id: str
    platform: str
    why: str
    handle: str = ""  # what the manager knows the account by; the id when it has none


@dataclass
class Cell:
    """A day (month, list) or an hour of a day (week, day): its posts, ghosts and shading."""

    day: date
    hour: int | None = None
    posts: list[dict[str, Any]] = field(default_factory=list)
    ghosts: list[Ghost] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)  # "dash-x (2 per day)"
    cooldown: list[str] = field(default_factory=list)  # posts inside another's cooldown
    in_range: bool = True

    @property
    def shade(self) -> str:
        return " ".join(k for k, on in (("cap", self.capped), ("cooldown", self.cooldown)) if on)


def span(view: View, day: date) -> tuple[date, date]:
    """The local days a view shows: [start, end)."""
    if view == "month":
        first = day.replace(day=1)
        last = first.replace(day=cal.monthrange(first.year, first.month)[1])
        return first - timedelta(days=first.weekday()), last + timedelta(days=7 - last.weekday())
    if view == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if view == "day":
        return day, day + timedelta(days=1)
    return day, day + timedelta(days=LIST_DAYS)


def step(view: View, day: date) -> tuple[date, date]:
    """The day the previous and the next page of a view start on."""
    if view == "month":
        prev = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return prev, nxt
    n = {"week": 7, "day": 1, "list": LIST_DAYS}[view]
    return day - timedelta(days=n), day + timedelta(days=n)


def conflicts(posts: Iterable[Mapping[str, Any]], policies: Mapping[str, SlotPolicy]) -> tuple[dict[tuple[str, date], int], dict[str, str]]:
    """Per (account, local day) the posts counted against the cap, and the posts placed inside
    another's cooldown (post id -> the other's): the same rules the scheduler slots by."""
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    by_account: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for p in posts:
        policy = policies.get(p["account_id"])
        if policy is None or p["status"] not in ("scheduled", "publishing", "published"):
            continue
        per_day[(p["account_id"], p["at"].astimezone(ZoneInfo(policy.timezone)).date())] += 1
        by_account[p["account_id"]].append((p["at"], p["post_id"]))
    close: dict[str, str] = {}
    for account, times in by_account.items():
        gap = timedelta(hours=policies[account].cooldown_hours)
        times.sort()
        for (a, pa), (b, pb) in zip(times, times[1:], strict=False):
            if gap and b - a < gap:
                close[pb] = pa
                close.setdefault(pa, pb)
    return per_day, close


def build(
    view: View,
    day: date,
    tz: str,
    posts: list[dict[str, Any]],
    *,
    policies: Mapping[str, SlotPolicy] | None = None,
    ghosts: Iterable[Ghost] = (),
) -> dict[str, Any]:
    """What the calendar template shows: rows of cells (weeks of days, or hours of days, or days)."""
    zone = ZoneInfo(tz)
    policies = policies or {}
    start, end = span(view, day)
    per_day, close = conflicts(posts, policies)
    hourly = view in ("week", "day")
    cells: dict[tuple[date, int | None], Cell] = {}
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    for d in days:
        for h in HOURS if hourly else (None,):
            cells[(d, h)] = Cell(d, h, in_range=view != "month" or d.month == day.month)
    for p in posts:
        local = p["at"].astimezone(zone)
        cell = cells.get((local.date(), local.hour if hourly else None))
        if cell is None:
            continue
        p["local"] = local.strftime("%H:%M")
        p["local_date"] = local.date().isoformat()
        if p["post_id"] in close:
            p["cooldown_with"] = close[p["post_id"]]
            cell.cooldown.append(p["post_id"])
        cell.posts.append(p)
    for g in ghosts:
        local = g.at.astimezone(zone)
        cell = cells.get((local.date(), local.hour if hourly else None))
        if cell is not None:
            cell.ghosts.append(g)
    for (account, d), n in per_day.items():
        cap = policies[account].max_per_day
        if n >= cap:
            for h in HOURS if hourly else (None,):
                if (d, h) in cells:
                    cells[(d, h)].capped.append(f"{account} ({n} of {cap} per day)")
    if view == "month":
        rows = [[cells[(d, None)] for d in days[i : i + 7]] for i in range(0, len(days), 7)]
    elif hourly:
        rows = [[cells[(d, h)] for d in days] for h in HOURS]
    else:
        rows = [[cells[(d, None)]] for d in days]
    prev, nxt = step(view, day)
    title = {
        "month": day.strftime("%B %Y"),
        "week": f"Week of {start.strftime('%d %b %Y')}",
        "day": day.strftime("%A %d %B %Y"),
        "list": f"{start.strftime('%d %b')} – {(end - timedelta(days=1)).strftime('%d %b %Y')}",
    }[view]
    return {"view": view, "day": day, "days": days, "rows": rows, "title": title, "prev": prev, "next": nxt, "tz": tz}


def render(context: dict[str, Any], **page: Any) -> str:
    """The calendar's HTML (the benchmark's subject, without a request)."""
    return env.get_template("calendar.html").render(**context, **page)


def explain(pick: Any, evidence: int, pinned: bool) -> str:
    """A proposed slot's why, in a sentence a manager reads."""
    if pinned:
        return "a time you pinned for this account"
    head = f"expected {pick.lift:+.0%} engagement (80 % interval {pick.low:+.0%} to {pick.high:+.0%})"
    source = f"learned from {evidence} posts" if evidence else "the platform's default best times (no results yet)"
    return f"{head}, {source}" + ("; exploring an uncertain hour" if pick.explored else "")


async def proposed(svc: Services, site_id: str, tz: str, accounts: list[Any], posts: list[dict[str, Any]], start: datetime) -> list[Ghost]:
    """The next slots the scheduler would give each account's queued posts, from ``start`` (or now)."""
    if svc.learning is None:
        return []
    site = await svc.sites.site(site_id) or Site(site_id=site_id, timezone=tz)
    now = max(datetime.now(UTC), start)
    out: list[Ghost] = []
    for account in accounts:
        policy = site.policy(account)
        beliefs = await svc.learning.beliefs(account.account_id, account.platform, site_id, policy.timezone, policy.best_times)
        taken = [p["at"] for p in posts if p["account_id"] == account.account_id and p["status"] != "failed"]
        rng = Random(account.account_id)  # the same ghosts on every render
        for _ in range(GHOSTS_PER_ACCOUNT):
            try:
                pick = learned_slot(policy, account.platform, taken, now, beliefs, rng)
            except NoFreeSlot:
                break
            out.append(Ghost(pick.at, account.account_id, account.platform, explain(pick, beliefs.n, policy.pinned), account.handle))
            taken.append(pick.at)
    return out


async def unscheduled(svc: Services, site_id: str) -> list[dict[str, Any]]:
    """Drafts (awaiting review, or approved and waiting for a slot) that have no time yet."""
    items, _ = await q.list_posts(svc.pool, site_id=site_id, status="draft", limit=50)
    return [p for p in items if p["scheduled_at"] is None]


@router.get("/socializer/calendar")
async def calendar_page(
    request: Request,
    view: View = "month",
    date_: date | None = Query(None, alias="date"),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    zone = ZoneInfo(who.timezone)
    day = date_ or datetime.now(zone).date()
    start, end = span(view, day)
    # A day either side: a post just outside the view still counts against a cooldown inside it.
    found = await q.calendar(svc.pool, site_id=who.site_id, start=start - timedelta(days=1), end=end + timedelta(days=1), tz=who.timezone)
    posts = [p for d in found["days"] for p in d["posts"]]
    accounts = [a for a in await svc.accounts.for_site(who.site_id) if a.platform != "youtube"]
    site = await svc.sites.site(who.site_id) or Site(site_id=who.site_id, timezone=who.timezone)
    policies = {a.account_id: site.policy(a) for a in accounts}
    ghosts = await proposed(svc, who.site_id, who.timezone, accounts, posts, datetime.combine(start, time(), tzinfo=zone))
    context = build(view, day, who.timezone, posts, policies=policies, ghosts=ghosts)
    return page(request, "calendar.html", who, aside=await unscheduled(svc, who.site_id), views=VIEWS, **context)
