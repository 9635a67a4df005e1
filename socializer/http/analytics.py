"""Engagement: per platform, per post, best hours."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from adapters.api_keys import Caller
from commands.exceptions import PostNotFound
from projections import queries as q
from schemas.events import Platform
from socializer.http.deps import Services, Svc, own_site, page, reader
from socializer.http.models import PROBLEMS, Analytics, PostAnalytics, PostEngagementPage
from socializer.http.problems import ORJSON

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
