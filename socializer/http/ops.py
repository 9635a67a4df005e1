"""Operators' routes: rendered media (content-addressed, immutable) and health (broker, database, projection lag)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from projections import queries as q
from socializer.http.deps import Services, Svc
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, problem

router = APIRouter()


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str = Field(description="ok, or the error's name")
    broker: str = Field(description="ok, or the error's name")
    projection_lag: dict[str, int] = Field(description="events not yet applied, per projection")
    upstream_unknown_fields: dict[str, int] = Field(
        default_factory=dict,
        description="fields upstream sent that ContentPublished does not know, with how many articles of the last 24 h carried each",
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


VIDEO_FILE = re.compile(r"(video|thumbnail|still|audio)-[0-9a-f]{32}\.(mp4|srt|vtt|jpg|wav)")
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
    summary="Broker, database and projection lag",
    responses={503: {"model": Health, "description": "the database or the broker cannot be reached"}},
)
async def healthz(svc: Services = Svc) -> Any:
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
    ok = out["database"] == "ok" and out["broker"] == "ok"
    out["status"] = "ok" if ok else "degraded"
    return ORJSON(out, status_code=200 if ok else 503)
