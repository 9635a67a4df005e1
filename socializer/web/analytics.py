"""The analytics page: a range's totals beside the previous period's, per platform, top posts, per
article, the best-time heatmap with its uncertainty, decay curves and followers over time. It reads
what the API's analytics routes read (:mod:`socializer.http.analytics`), on the server, and draws its
charts as SVG; the range form is a plain GET, so the page needs no script."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from commands.exceptions import PostNotFound
from domain.engagement import decay as decay_curve
from domain.periods import Period, today_in
from domain.platforms import CONNECTABLE, profile
from domain.schedule import WINDOW_HOURS
from projections import analytics as pa
from projections import queries as q
from schemas.envelope import utcnow
from socializer.http.analytics import of_article, of_platform, overview, window
from socializer.http.calendar import slot_table
from socializer.http.deps import Services, services
from socializer.http.problems import Problem
from socializer.web.auth import Viewer, viewer
from socializer.web.charts import Series, heat_class, legend, line_chart
from socializer.web.render import page

router = APIRouter(include_in_schema=False)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CARDS = (
    ("published", "Posts published"),
    ("impressions", "Impressions"),
    ("engagement", "Engagement"),
    ("engagement_rate", "Engagement rate"),
    ("clicks", "Link clicks"),
)


def _day(raw: str | None) -> date | None:
    if not raw:
        return None
    return date.fromisoformat(raw)


def _days_chart(p: Period, daily: dict[date, dict[str, Any]], chart_id: str) -> tuple[Any, list[tuple[str, str]]]:
    dates = p.dates()
    series = [
        Series("Engagement", [(i, float(daily.get(d, {}).get("engagement", 0))) for i, d in enumerate(dates)]),
        Series("Link clicks", [(i, float(daily.get(d, {}).get("clicks", 0))) for i, d in enumerate(dates)]),
    ]
    step = max(1, len(dates) // 6)
    ticks = [(i, d.strftime("%d %b")) for i, d in enumerate(dates) if i % step == 0]
    total = sum(v.get("engagement", 0) for v in daily.values())
    chart = line_chart(
        series,
        chart_id=chart_id,
        title="Engagement and link clicks per day of publishing",
        description=f"{len(dates)} days from {p.start} to {p.end}; {total} engagements in all",
        x_ticks=ticks,
    )
    return chart, legend(series)


def _followers_chart(p: Period, followers: list[dict[str, Any]], names: dict[str, str]) -> tuple[Any, list[tuple[str, str]]] | None:
    if not followers:
        return None
    index = {d: i for i, d in enumerate(p.dates())}
    series = [
        Series(
            f"{names.get(f['account_id'], f['account_id'])} ({f['platform']})",
            [(index[pt["day"]], float(pt["followers"])) for pt in f["points"]],
        )
        for f in followers
    ]
    step = max(1, p.days // 6)
    ticks = [(i, d.strftime("%d %b")) for i, d in enumerate(p.dates()) if i % step == 0]
    latest = ", ".join(f"{s.label}: {int(s.points[-1][1])}" for s in series if s.points)
    chart = line_chart(
        series,
        chart_id="followers-chart",
        title="Followers per day",
        description=f"The last count of each day; latest {latest}",
        x_ticks=ticks,
        y_min=None,
    )
    return chart, legend(series)


async def _decay(svc: Services, accounts: list[Any]) -> tuple[Any, list[tuple[str, str]]] | None:
    """Each account's median share of its 24 h engagement reached by a post's age (hours)."""
    series = []
    for a in accounts:
        readings = await q.snapshot_readings(svc.pool, a.account_id, a.platform, False)
        if not readings:
            continue
        points = [asdict(pt) for pt in decay_curve(readings, profile(a.platform).ladder)]
        line = [(pt["age_seconds"] / 3600, pt["of_24h"]) for pt in points if pt["of_24h"] is not None and pt["age_seconds"] <= 7 * 86400]
        if line:
            series.append(Series(f"{a.handle} ({a.platform}, {len(readings)} posts)", line))
    if not series:
        return None
    longest = max(x for s in series for x, _ in s.points)
    ticks = [(h, f"{h:g} h") for h in (0, 1, 6, 12, 24, 48, 72, 168) if h <= longest]
    chart = line_chart(
        series,
        chart_id="decay-chart",
        title="Engagement by a post's age",
        description="The median share of a post's 24-hour engagement reached at each snapshot age, per account",
        x_ticks=ticks,
        y_min=0.0,
        y_format="%",
    )
    return chart, legend(series)


async def _heatmap(svc: Services, account: Any) -> dict[str, Any]:
    table = await slot_table(svc, account)
    cells = {(c["weekday"], c["hour"]): c for c in table["cells"]}
    rows = []
    for d, name in enumerate(WEEKDAYS):
        row = []
        for h in WINDOW_HOURS:
            c = cells[(d, h)]
            width = c["high"] - c["low"]
            row.append({**c, "cls": heat_class(c["lift"]) + (" wide" if width > 0.5 else ""), "width": width})
        rows.append((name, row))
    return {**table, "rows": rows, "hours": list(WINDOW_HOURS)}


@router.get("/socializer/analytics")
async def analytics_page(request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    qp = request.query_params
    errors: dict[str, str] = {}
    start = end = None
    for field in ("from", "to"):
        try:
            value = _day(qp.get(field))
        except ValueError:
            errors[field] = f"{field}: not a date (YYYY-MM-DD)"
            continue
        start, end = (value, end) if field == "from" else (start, value)
    try:
        p = await window(svc, who.site_id, start, end)
    except Problem as err:
        errors[err.field or "from"] = err.detail
        p = await window(svc, who.site_id, None, None)
    platform = qp.get("platform") or None
    if platform and platform not in CONNECTABLE:
        return page(request, "analytics_missing.html", who, status=404, what=f"No platform “{platform}”.")
    accounts = [a for a in await svc.accounts.for_site(who.site_id) if not platform or a.platform == platform]
    names = {a.account_id: a.handle for a in accounts}
    lo, hi = p.bounds()
    if platform:
        data = await of_platform(svc, who.site_id, platform, p)
        daily = {date.fromisoformat(str(d["day"])): d for d in data["daily"]}
        followers = data["followers"]
    else:
        data = await overview(svc, who.site_id, p)
        daily = await pa.daily(svc.pool, who.site_id, lo, hi, p.tz)
        followers = await pa.followers(svc.pool, who.site_id, lo, hi, p.tz)
    article = None
    if content_id := qp.get("article"):
        try:
            article = await of_article(svc, who.site_id, content_id, p)
        except PostNotFound as err:  # shown as such on the page
            errors["article"] = err.detail
    chosen = next((a for a in accounts if a.account_id == qp.get("account")), accounts[0] if accounts else None)
    heat = await _heatmap(svc, chosen) if chosen else None
    followers_now = sum(f["latest"] for f in followers)
    followers_change = sum(f["change"] for f in followers)
    today = today_in(p.tz, utcnow())
    presets = [(n, today - timedelta(days=n - 1), today) for n in (7, 28, 90)]
    return page(
        request,
        "analytics.html",
        who,
        status=422 if errors.keys() & {"from", "to"} else 200,
        p=p,
        prev=p.previous(),
        data=data,
        cards=CARDS,
        platform=platform,
        platforms=CONNECTABLE,
        errors=errors,
        article=article,
        days_chart=_days_chart(p, daily, "days-chart"),
        followers_chart=_followers_chart(p, followers, names),
        followers=followers,
        followers_now=followers_now,
        followers_change=followers_change,
        decay=await _decay(svc, accounts),
        heat=heat,
        accounts=accounts,
        chosen=chosen,
        names=names,
        presets=presets,
        query=lambda **kw: _query(qp, **kw),
    )


def _query(current: Any, **changes: Any) -> str:
    """This page's query string with ``changes`` (None drops a key)."""
    from urllib.parse import urlencode

    params = {k: v for k, v in current.items() if k in ("from", "to", "platform", "article", "account")}
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = str(v)
    return "?" + urlencode(params) if params else ""
