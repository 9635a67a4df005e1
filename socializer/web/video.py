"""The Video Creator's pages: the projects at a glance, the list, a form to start one from an article,
and one project's script editor, player, renders and publish status. Reads are the read models the
video API reads (``projections.queries``); every action is a call to the video API from the page's
script (``static/video.js``), with If-Match and an Idempotency-Key like any client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from commands import video
from projections import queries as q
from schemas.events import VideoScript
from socializer.http.deps import Services, services
from socializer.web.auth import Viewer, viewer
from socializer.web.render import page

router = APIRouter(include_in_schema=False)

STATUSES = ("created", "script_review", "approved", "rendering", "voiced", "visuals_ready", "ready", "failed")
PRESETS = ("youtube_short", "youtube_long", "instagram_reel", "tiktok")
STAGES = ("voice", "visuals", "render", "join")
VIDEO_PLATFORMS = ("youtube", "instagram", "tiktok")


def same_origin(url: str | None) -> str | None:
    """A media address as a path on this origin: the page's policy allows no other host, and the
    captions track must be same-origin to be read at all."""
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@router.get("/video")
async def video_root() -> Response:
    return RedirectResponse("/video/dashboard", status_code=303)


@router.get("/video/dashboard")
async def dashboard(request: Request, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    counts = {
        r["status"]: r["n"]
        for r in await svc.pool.fetch(
            "SELECT status, count(*) AS n FROM video_projects WHERE site_id = $1 AND status <> 'cancelled' GROUP BY status", who.site_id
        )
    }
    recent = await svc.pool.fetch(
        """SELECT r.project_id, p.title, r.revision, r.preset, r.seconds, r.problems, r.rendered_at
             FROM video_renders r JOIN video_projects p USING (project_id)
            WHERE p.site_id = $1 AND p.status <> 'cancelled' ORDER BY r.rendered_at DESC LIMIT 8""",
        who.site_id,
    )
    analytics = await q.video_analytics(svc.pool, who.site_id)
    totals = {k: sum(int(p[k]) for p in analytics["platforms"]) for k in ("posts", "published", "views", "likes", "minutes_watched")}
    return page(
        request,
        "video_dashboard.html",
        who,
        counts=counts,
        statuses=STATUSES,
        recent=recent,
        platforms=analytics["platforms"],
        articles=analytics["articles"][:10],
        totals=totals,
    )


@router.get("/video/projects")
async def projects(
    request: Request,
    status: str | None = Query(None, max_length=40),
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Viewer = Depends(viewer),
    svc: Services = Depends(services),
) -> Response:
    wanted = status if status in STATUSES else None
    items, total = await q.video_projects(svc.pool, site_id=who.site_id, status=wanted, limit=50, offset=offset)
    return page(request, "video_projects.html", who, projects=items, total=total, chosen=wanted, statuses=STATUSES, offset=offset, limit=50)


@router.get("/video/create")
async def create(
    request: Request, content_id: str | None = Query(None, max_length=200), who: Viewer = Depends(viewer), svc: Services = Depends(services)
) -> Response:
    articles = await svc.pool.fetch(
        "SELECT content_id, title, published_at FROM contents WHERE site_id = $1 ORDER BY published_at DESC LIMIT 100", who.site_id
    )
    voices = svc.voices.voices()
    return page(request, "video_create.html", who, articles=articles, presets=PRESETS, voices=voices, chosen=content_id)


@router.get("/video/projects/{project_id}")
async def project(request: Request, project_id: str, who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    row = await q.video_project(svc.pool, project_id, script=True)
    if row is None or row["site_id"] != who.site_id or row["status"] == "cancelled":
        return page(request, "video_missing.html", who, status=404, project_id=project_id)
    script: VideoScript | None = VideoScript.model_validate(row["script"]) if row["script"] else None
    estimated = video.from_doc(script).durations() if script else []
    measured: list[float] = list(row["durations"] or [])
    renders = await q.video_renders(svc.pool, project_id)
    posts = {p["platform"]: p for p in await q.video_posts(svc.pool, project_id)}
    media: dict[str, Any] = {k: same_origin(row[k]) for k in ("video_url", "vtt_url", "srt_url", "thumbnail_url")}
    return page(
        request,
        "video_project.html",
        who,
        p=row,
        script=script,
        estimated=estimated,
        measured=measured,
        renders=[{**r, "video_path": same_origin(r["video_url"])} for r in renders],
        posts=posts,
        platforms=VIDEO_PLATFORMS,
        stages=STAGES,
        media=media,
        editable=row["status"] in ("script_review", "created", "approved", "voiced", "visuals_ready", "ready", "failed"),
    )
