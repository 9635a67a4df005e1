"""The dashboard's front page: what needs the manager now (posts to review, failures, the next
posts to go out, unread messages) in one glance."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/socializer/dashboard", status_code=303)


@router.get("/socializer/dashboard")
async def dashboard(request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    counts = {
        r["status"]: r["n"]
        for r in await svc.pool.fetch("SELECT status, count(*) AS n FROM posts WHERE site_id = $1 GROUP BY status", who.site_id)
    }
    upcoming = await svc.pool.fetch(
        """SELECT post_id, platform, text, scheduled_at FROM posts
            WHERE site_id = $1 AND status = 'scheduled' AND scheduled_at IS NOT NULL
            ORDER BY scheduled_at LIMIT 5""",
        who.site_id,
    )
    unanswered = await svc.pool.fetchval(
        """SELECT count(*) FROM inbox_items i
            WHERE i.site_id = $1 AND NOT i.echo AND i.created_at > now() - interval '7 days'
              AND NOT EXISTS (SELECT 1 FROM inbox_replies r WHERE r.item_id = i.item_id)""",
        who.site_id,
    )
    return page(request, "dashboard.html", who, counts=counts, upcoming=upcoming, unanswered=unanswered)
