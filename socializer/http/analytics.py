"""Engagement: per platform, per post, best hours; per account, how engagement builds up over a
post's age (decay) and when its posts do best (best times, from the 24 h snapshots)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from adapters.api_keys import Caller
from commands.exceptions import AccountNotFound, PostNotFound
from domain.engagement import decay as decay_curve
from domain.platforms import profile
from projections import queries as q
from schemas.events import Platform
from socializer.http.deps import Services, Svc, own_site, page, reader
from socializer.http.models import PROBLEMS, Analytics, BestTimes, Decay, PostAnalytics, PostEngagementPage
from socializer.http.problems import ORJSON

Connectable = Literal["linkedin", "x", "facebook", "instagram", "tiktok", "youtube"]  # domain.platforms.CONNECTABLE

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)


@router.get("/analytics/", response_model=Analytics, summary="Per-platform performance, top posts and best hours")
async def analytics(site_id: str | None = None, who: Caller = reader, top: int = Query(10, ge=1, le=100), svc: Services = Svc) -> Any:
    site_id = own_site(who, site_id)
    return ORJSON(await q.analytics(svc.pool, site_id=site_id, tz=await svc.site_tz(site_id), top=top))


@router.get(
    "/analytics/posts/", response_model=PostEngagementPage, summary="Per-post engagement: a page, the total, and the next page's URL"
)
async def analytics_posts(
    request: Request,
    site_id: str | None = None,
    who: Caller = reader,
    platform: Platform | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.analytics_posts(svc.pool, site_id=own_site(who, site_id), platform=platform, limit=limit, offset=offset)
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
