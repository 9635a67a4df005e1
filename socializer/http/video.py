"""The Video Creator's API (being built: issue 10). Voices first: which languages each speaks, so a
dashboard offers only what can be narrated — an article in another language is refused, never read
with English phonemes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.api_keys import Caller
from adapters.voice import VoiceUnavailable, voice_for
from adapters.voice.piper import PiperSynthesizer
from commands.exceptions import PostNotFound
from projections import queries as q
from schemas import topics as t
from schemas.commands import RenderVideo
from schemas.envelope import derived_id
from schemas.events import VideoPreset, VideoProjectCreated
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/video", responses=PROBLEMS)


class VoiceOut(BaseModel):
    voice_id: str
    languages: list[str] = Field(description="ISO 639-1 codes of the languages it speaks")
    words_per_second: float = Field(description="what script durations are estimated with, before synthesis measures them")
    offline: bool = Field(description="runs on this machine, nothing downloaded")


class VoiceList(BaseModel):
    count: int
    results: list[VoiceOut]


@router.get("/voices/", response_model=VoiceList, summary="The voices that can narrate a video, and the languages each speaks")
async def voices(who: Caller = reader) -> Any:
    found = [
        VoiceOut(voice_id=v.voice_id, languages=list(v.languages), words_per_second=v.words_per_second, offline=v.offline)
        for v in PiperSynthesizer().voices()
    ]
    return ORJSON(VoiceList(count=len(found), results=found).model_dump(mode="json"))


class CreateProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_id: str = Field(min_length=1, max_length=200)
    preset: VideoPreset = "youtube_short"
    voice_id: str | None = Field(None, description="a voice from /api/v1/video/voices/; default: one that speaks the article's language")


class ProjectOut(BaseModel):
    project_id: str
    site_id: str
    content_id: str
    title: str
    preset: VideoPreset
    voice_id: str
    form: Literal["short", "long"]
    status: Literal["rendering", "ready", "failed"]
    stage: str | None = None
    error: str | None = None
    video_url: str | None = None
    srt_url: str | None = None
    vtt_url: str | None = None
    thumbnail_url: str | None = None
    seconds: float | None = None
    sections: int | None = None
    chapters: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="what the preset's probe found wrong (empty: ready to upload)")
    created_at: datetime
    updated_at: datetime


class ProjectPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[ProjectOut]


class ProjectAccepted(BaseModel):
    project_id: str
    status: Literal["rendering"]


@router.post("/projects/", status_code=202, response_model=ProjectAccepted, summary="Make a video from a published article")
async def create_project(
    body: CreateProject,
    who: Caller = writer,
    svc: Services = Svc,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
) -> Any:
    article = await svc.article(body.content_id, who)
    try:
        voice = voice_for(PiperSynthesizer(), article.language, body.voice_id)
    except VoiceUnavailable as err:
        raise Problem(422, "No voice for this article", str(err), field="voice_id" if body.voice_id else "language") from err
    project_id = derived_id("video", who.site_id, idempotency_key) if idempotency_key else str(uuid.uuid4())
    form: Literal["short", "long"] = "long" if body.preset == "youtube_long" else "short"
    created = VideoProjectCreated(
        project_id=project_id,
        site_id=who.site_id,
        content_id=article.content_id,
        preset=body.preset,
        voice_id=voice.voice_id,
        form=form,
        title=article.title,
    )
    await svc.bus.append(t.VIDEO_PROJECTS, project_id, created, id=derived_id(project_id, "created"))
    job = RenderVideo(project_id=project_id, site_id=who.site_id, preset=body.preset, voice_id=voice.voice_id, form=form, article=article)
    await svc.bus.append(t.VIDEO_RENDER, project_id, job, id=derived_id(project_id, "render"))
    return ORJSON(ProjectAccepted(project_id=project_id, status="rendering").model_dump(mode="json"), status_code=202)


@router.get("/projects/", response_model=ProjectPage, summary="The site's video projects, newest first")
async def list_projects(
    request: Request,
    who: Caller = reader,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.video_projects(svc.pool, site_id=who.site_id, limit=limit, offset=offset)
    return ORJSON(page(request, items, total, limit, offset))


@router.get("/projects/{project_id}/", response_model=ProjectOut, summary="One project: its status, stage and what it made")
async def get_project(project_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await q.video_project(svc.pool, project_id)
    if row is None or row["site_id"] != who.site_id:  # another site's project does not exist for this caller
        raise PostNotFound(f"no video project {project_id}", field="project_id")
    return ORJSON(row)
