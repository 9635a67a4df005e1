"""Engagement: per platform, per post, best hours; per account, how engagement builds up over a
post's age (decay) and when its posts do best (best times, from the 24 h snapshots).

Over time: the site's routes take a range of local days (``from``, ``to``, in the site's time zone;
default the last 28) and answer its totals beside the previous period of equal length and the change;
per platform, per article, and the followers' counts where the platform reports them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request

from adapters.api_keys import Caller
from commands.exceptions import AccountNotFound, PostNotFound
from domain import periods
from domain.engagement import decay as decay_curve
from domain.periods import Period, PeriodRefused
from domain.platforms import CONNECTABLE, profile
from projections import analytics as pa
from projections import queries as q
from schemas.envelope import utcnow
from schemas.events import Platform
from socializer.http.deps import Services, Svc, own_site, page, reader
from socializer.http.models import (
    PROBLEMS,
    AnalyticsOverTime,
    ArticleAnalyticsOut,
    BestTimes,
    Decay,
    PlatformAnalyticsOut,
    PostAnalytics,
    PostEngagementPage,
)
from socializer.http.problems import ORJSON, Problem

Connectable = Literal["linkedin", "x", "facebook", "instagram", "tiktok", "youtube"]  # domain.platforms.CONNECTABLE

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)

From = Query(None, alias="from", description="first local day (YYYY-MM-DD, the site's time zone), included; default: 27 days before to")
To = Query(None, description="last local day (YYYY-MM-DD), included; default: today; at most 366 days after from")


async def window(svc: Services, site_id: str, start: date | None, end: date | None, *, now: datetime | None = None) -> Period:
    """The range asked for, in the site's time zone; a range refused is a 422 naming its field."""
    try:
        return periods.period(start, end, tz=await svc.site_tz(site_id), now=now or utcnow())
    except PeriodRefused as err:
        raise Problem(422, "Invalid request", err.detail, code="invalid_request", field=err.field) from err


def framed(p: Period, current: dict[str, Any], previous: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A range's totals beside the previous period's and the change."""
    return {
        "period": p.as_dict(),
        "previous_period": p.previous().as_dict(),
        "totals": {k: current.get(k, 0) for k in keys},
        "previous": {k: previous.get(k, 0) for k in keys},
        "change": periods.compare(current, previous, keys),
    }


async def compared(svc: Services, site_id: str, p: Period, **scope: str | None) -> dict[str, Any]:
    cur = await pa.totals(svc.pool, site_id, *p.bounds(), **scope)
    prev = await pa.totals(svc.pool, site_id, *p.previous().bounds(), **scope)
    return framed(p, cur, prev, pa.METRICS)


async def overview(svc: Services, site_id: str, p: Period, top: int = 10) -> dict[str, Any]:
    """The site's range: totals compared, per platform compared, top posts, best hours, articles."""
    lo, hi = p.bounds()
    before = await pa.per_platform(svc.pool, site_id, *p.previous().bounds())
    platforms = [
        {**row, "change": periods.compare(row, before.get(name, {}), pa.METRICS)}
        for name, row in (await pa.per_platform(svc.pool, site_id, lo, hi)).items()
    ]
    return {
        "site_id": site_id,
        **await compared(svc, site_id, p),
        "platforms": platforms,
        "top_posts": await pa.top_posts(svc.pool, site_id, lo, hi, top=top),
        "best_hours": await pa.best_hours(svc.pool, site_id, lo, hi, p.tz),
        "articles": await pa.articles(svc.pool, site_id, lo, hi),
    }


async def of_platform(svc: Services, site_id: str, platform: str, p: Period, top: int = 10) -> dict[str, Any]:
    if platform not in CONNECTABLE:
        raise Problem(404, "Not found", f"platform: no platform {platform!r} (one of {', '.join(CONNECTABLE)})", field="platform")
    lo, hi = p.bounds()
    days = await pa.daily(svc.pool, site_id, lo, hi, p.tz, platform=platform)
    empty = {k: 0 for k in pa.METRICS} | {"avg_engagement_rate": 0.0, "engagement_rate": 0.0}
    return {
        "site_id": site_id,
        "platform": platform,
        **await compared(svc, site_id, p, platform=platform),
        "accounts": await pa.per_account(svc.pool, site_id, lo, hi, platform),
        "daily": [{**days.get(d, empty), "day": d} for d in p.dates()],
        "top_posts": await pa.top_posts(svc.pool, site_id, lo, hi, platform=platform, top=top),
        "followers": await pa.followers(svc.pool, site_id, lo, hi, p.tz, platform=platform),
    }


async def of_article(svc: Services, site_id: str, content_id: str, p: Period) -> dict[str, Any]:
    found = await pa.article(svc.pool, site_id, content_id)
    if found is None:
        raise PostNotFound(f"no article {content_id} of this site has posts or was published", field="content_id")
    posts = found["posts"]
    return {
        "site_id": site_id,
        "content_id": content_id,
        **await compared(svc, site_id, p, content_id=content_id),
        "content": found["content"],
        "posts": [x for x in posts if x["post_type"] != "video"],
        "videos": [x for x in posts if x["post_type"] == "video"],
    }


@router.get(
    "/analytics/",
    response_model=AnalyticsOverTime,
    summary="A range's totals beside the previous period's and the change; per platform, top posts, best hours, articles",
)
async def analytics(
    site_id: str | None = None,
    who: Caller = reader,
    top: int = Query(10, ge=1, le=100),
    start: date | None = From,
    to: date | None = To,
    svc: Services = Svc,
) -> Any:
    site_id = own_site(who, site_id)
    return ORJSON(await overview(svc, site_id, await window(svc, site_id, start, to), top))


@router.get(
    "/analytics/platform/{platform}/",
    response_model=PlatformAnalyticsOut,
    summary="One platform over a range: totals against the previous period, per account, per day, top posts, followers",
)
async def platform_analytics(
    platform: str = Path(min_length=1, max_length=40),
    who: Caller = reader,
    top: int = Query(10, ge=1, le=100),
    start: date | None = From,
    to: date | None = To,
    svc: Services = Svc,
) -> Any:
    return ORJSON(await of_platform(svc, who.site_id, platform, await window(svc, who.site_id, start, to), top))


@router.get(
    "/analytics/articles/{content_id}/",
    response_model=ArticleAnalyticsOut,
    summary="One article: the posts and videos it became with their engagement and clicks; its range against the previous period",
)
async def article_analytics(
    content_id: str = Path(min_length=1, max_length=200),
    who: Caller = reader,
    start: date | None = From,
    to: date | None = To,
    svc: Services = Svc,
) -> Any:
    return ORJSON(await of_article(svc, who.site_id, content_id, await window(svc, who.site_id, start, to)))


@router.get(
    "/analytics/posts/",
    response_model=PostEngagementPage,
    summary="Per-post engagement of the posts published in a range (default: the last 28 days): a page, the total, and the next page's URL",
)
async def analytics_posts(
    request: Request,
    site_id: str | None = None,
    who: Caller = reader,
    platform: Platform | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    start: date | None = From,
    to: date | None = To,
    svc: Services = Svc,
) -> Any:
    site_id = own_site(who, site_id)
    lo, hi = (await window(svc, site_id, start, to)).bounds()
    items, total = await q.analytics_posts(svc.pool, site_id=site_id, platform=platform, limit=limit, offset=offset, lo=lo, hi=hi)
    return ORJSON(page(request, items, total, limit, offset))


@router.get("/analytics/posts/{post_id}/", response_model=PostAnalytics, summary="One post's engagement and its history")
async def post_analytics(post_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await q.post_analytics(svc.pool, post_id)
    if row is None or row["site_id"] != who.site_id:
        raise PostNotFound(f"no engagement recorded for post {post_id}", field="post_id")
    return row


async def _account(svc: Services, account_id: str, who: Caller) -> Any:
    account = await svc.accounts.get(account_id)
    if account is None or account.site_id != who.site_id:
        raise AccountNotFound(f"no account {account_id}", field="account_id")
    return account


@router.get(
    "/analytics/decay/",
    response_model=Decay,
    summary="How an account's engagement builds up on a platform: the median share of the 24 h and final value reached at each snapshot age",
)
async def decay(
    account_id: str, platform: Connectable | None = None, videos: bool = False, who: Caller = reader, svc: Services = Svc
) -> Any:
    account = await _account(svc, account_id, who)
    platform = platform or account.platform
    readings = await q.snapshot_readings(svc.pool, account_id, platform, videos)
    ladder = profile(platform).video_ladder if videos else profile(platform).ladder
    points = [asdict(p) for p in decay_curve(readings, ladder)]
    return ORJSON({"account_id": account_id, "platform": platform, "videos": videos, "posts": len(readings), "points": points})


@router.get(
    "/analytics/best-times/",
    response_model=BestTimes,
    summary="An account's engagement per weekday × local hour of publishing, from each post's 24 h snapshot, best first",
)
async def best_times(account_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    account = await _account(svc, account_id, who)
    tz = account.settings.timezone or await svc.site_tz(account.site_id)
    found = await q.best_times(svc.pool, account_id, tz)
    return ORJSON({"account_id": account_id, "platform": account.platform, "timezone": tz, "snapshot": "24h", **found})
