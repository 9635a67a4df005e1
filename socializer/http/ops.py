"""Operators' routes: rendered media (content-addressed, immutable), health (broker, database,
projection lag, overdue posts, roles) and the Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from adapters.heartbeats import Heartbeats
from adapters.lag import LagReader
from adapters.metrics import CONSUMER_LAG, POSTS_OVERDUE, ROLE_INSTANCES
from projections import queries as q
from socializer.http.deps import Services, Svc
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, problem

router = APIRouter()
log = logging.getLogger("socializer.api")


@dataclass
class Signals:
    """What /healthz and /metrics ask besides the database and the broker: the roles' heartbeats and
    the consumer groups' lag."""

    heartbeats: Heartbeats
    lag: LagReader


class RoleState(BaseModel):
    up: int = Field(description="instances seen within SOCIALIZER_ROLE_DOWN_SECONDS")
    down: int = Field(description="instances silent for longer: killed or hanging (a clean stop removes an instance)")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str = Field(description="ok, or the error's name")
    broker: str = Field(description="ok, or the error's name")
    projection_lag: dict[str, int] = Field(description="events not yet applied, per projection")
    upstream_unknown_fields: dict[str, int] = Field(
        default_factory=dict,
        description="fields upstream sent that ContentPublished does not know, with how many articles of the last 24 h carried each",
    )
    overdue_posts: int = Field(0, description="posts due longer than SOCIALIZER_OVERDUE_SECONDS ago, neither published nor failed")
    roles: dict[str, RoleState] = Field(
        default_factory=dict, description="each role that runs in this deployment (it has beaten once), by instance state"
    )


@router.get(
    "/media/{name}",
    summary="A rendered image (content-addressed, immutable)",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}, 404: PROBLEMS[404]},
)
async def media(name: str, svc: Services = Svc) -> Any:
    from fastapi.responses import FileResponse

    if not re.fullmatch(r"[0-9a-f]{64}\.(jpg|png|webp)", name):
        return problem(404, "Not found", "no such media", field="name")
    path = svc.settings.media_path / name[:2] / name
    if not path.exists():
        return problem(404, "Not found", "no such media", field="name")
    return FileResponse(
        path,
        media_type="image/jpeg" if name.endswith(".jpg") else f"image/{name.rsplit('.', 1)[1]}",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


VIDEO_FILE = re.compile(r"(video|thumbnail|still|audio|contact)-[0-9a-f]{32}\.(mp4|srt|vtt|jpg|wav)")
VIDEO_TYPES = {"mp4": "video/mp4", "srt": "application/x-subrip", "vtt": "text/vtt", "jpg": "image/jpeg", "wav": "audio/wav"}


@router.get(
    "/media/video/{name}",
    summary="A rendered video, its captions, thumbnail, narration or stills (content-addressed, immutable)",
    responses={200: {"content": {t: {} for t in VIDEO_TYPES.values()}}, 404: PROBLEMS[404]},
)
async def video_file(name: str, svc: Services = Svc) -> Any:
    from fastapi.responses import FileResponse

    path = svc.settings.media_path / "video" / name
    if not VIDEO_FILE.fullmatch(name) or not path.exists():
        return problem(404, "Not found", "no such video file", field="name")
    return FileResponse(
        path, media_type=VIDEO_TYPES[name.rsplit(".", 1)[1]], headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )


@router.get(
    "/healthz",
    response_model=Health,
    summary="Broker, database, projection lag, overdue posts and roles",
    responses={
        503: {
            "model": Health,
            "description": "the database or the broker cannot be reached, a post is overdue, or an instance of a role has gone silent",
        }
    },
)
async def healthz(request: Request, svc: Services = Svc) -> Any:
    out: dict[str, Any] = {}
    try:
        await svc.pool.fetchval("SELECT 1")
        out["database"] = "ok"
    except Exception as err:
        out["database"] = f"error: {type(err).__name__}"
    try:
        await asyncio.wait_for(svc.bus.producer.client.fetch_all_metadata(), 3)
        out["broker"] = "ok"
    except Exception as err:
        out["broker"] = f"error: {type(err).__name__}"
    lag: dict[str, int] = {}
    if out["database"] == "ok":
        for r in await q.checkpoints(svc.pool):
            lag[r["projection"]] = lag.get(r["projection"], 0) + r["lag"]
    out["projection_lag"] = lag
    out["upstream_unknown_fields"] = await q.unknown_fields(svc.pool) if out["database"] == "ok" else {}
    out["overdue_posts"], out["roles"] = 0, {}
    if out["database"] == "ok":
        signals: Signals = request.app.state.signals
        out["overdue_posts"] = await signals.heartbeats.overdue_posts(svc.settings.overdue_seconds)
        roles = await signals.heartbeats.roles(svc.settings.role_down_seconds)
        out["roles"] = {r.role: {"up": r.up, "down": r.down} for r in roles}
    roles_ok = all(r["down"] == 0 for r in out["roles"].values())
    ok = out["database"] == "ok" and out["broker"] == "ok" and out["overdue_posts"] == 0 and roles_ok
    out["status"] = "ok" if ok else "degraded"
    return ORJSON(out, status_code=200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format): this API's series, consumer lag per group and topic, overdue posts, role instances",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, 404: PROBLEMS[404]},
)
async def metrics(request: Request, svc: Services = Svc) -> Any:
    """Open like /healthz, for the scraper: counts by agent, platform, outcome, stage, group and topic
    only, never an id or a site's data (SOCIALIZER_API_METRICS=false turns it off). The worker and the
    projector serve their own series on SOCIALIZER_METRICS_PORT."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    if not svc.settings.api_metrics:
        return problem(404, "Not found", "metrics are turned off (SOCIALIZER_API_METRICS)")
    signals: Signals = request.app.state.signals
    try:
        lag = await signals.lag.lag()
        CONSUMER_LAG.clear()
        for (group, topic), n in lag.items():
            CONSUMER_LAG.labels(group, topic).set(n)
    except Exception as err:  # the broker is away: the lag series go missing, as a scraper expects
        log.warning("consumer lag: the broker could not be asked: %s", type(err).__name__)
        CONSUMER_LAG.clear()
    try:
        POSTS_OVERDUE.set(await signals.heartbeats.overdue_posts(svc.settings.overdue_seconds))
        ROLE_INSTANCES.clear()
        for r in await signals.heartbeats.roles(svc.settings.role_down_seconds):
            ROLE_INSTANCES.labels(r.role, "up").set(r.up)
            ROLE_INSTANCES.labels(r.role, "down").set(r.down)
    except Exception as err:
        log.warning("metrics: the database could not be asked: %s", type(err).__name__)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
