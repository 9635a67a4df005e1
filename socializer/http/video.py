"""The Video Creator's API (the seed's §8.2): projects from published articles, their script to
read, edit, regenerate one section of and approve, the stages to run (voice-over, visuals, compose),
and what each render made. Decisions are :mod:`commands.video`'s; this module reads the project,
asks, appends the events (and the render job) and waits until the read model shows them, one
request per project at a time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.api_keys import Caller
from adapters.voice import VoiceUnavailable, voice_for
from commands import video
from commands.exceptions import InvalidTransition, ProjectNotFound
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.events import ContentPublished, Motion, VideoPreset, VideoScript
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS, Position
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/video", responses=PROBLEMS)

Status = Literal["created", "script_review", "approved", "rendering", "voiced", "visuals_ready", "ready", "failed", "cancelled"]
ProjectId = Path(min_length=1, max_length=200)
SectionId = Path(min_length=1, max_length=100)
IdempotencyKey = Header(None, alias="Idempotency-Key", max_length=200)


# ---------------------------------------------------------------- voices
class VoiceOut(BaseModel):
    voice_id: str
    languages: list[str] = Field(description="ISO 639-1 codes of the languages it speaks")
    words_per_second: float = Field(description="what script durations are estimated with, before synthesis measures them")
    offline: bool = Field(description="runs on this machine, nothing downloaded")


class VoiceList(BaseModel):
    count: int
    results: list[VoiceOut]


@router.get("/voices/", response_model=VoiceList, summary="The voices that can narrate a video, and the languages each speaks")
async def voices(who: Caller = reader, svc: Services = Svc) -> Any:
    found = [
        VoiceOut(voice_id=v.voice_id, languages=list(v.languages), words_per_second=v.words_per_second, offline=v.offline)
        for v in svc.voices.voices()
    ]
    return ORJSON(VoiceList(count=len(found), results=found).model_dump(mode="json"))


# ---------------------------------------------------------------- models
class ProjectOut(BaseModel):
    project_id: str
    site_id: str
    content_id: str
    title: str
    preset: VideoPreset
    voice_id: str
    form: Literal["short", "long"]
    review: bool = Field(description="the script waits for a person's approval after every change")
    motion: Motion
    status: Status
    stage: str | None = Field(None, description="the stage a render is in, or failed in")
    error: str | None = None
    revision: int = Field(description="the script's revision; every change adds one")
    approved_revision: int | None = None
    until: str | None = Field(None, description="how far the current render goes: voice, visuals or video")
    progress: dict[str, float] = Field(default_factory=dict, description="fraction done per stage, of the current render")
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage, of the current render")
    video_url: str | None = None
    srt_url: str | None = None
    vtt_url: str | None = None
    thumbnail_url: str | None = None
    audio_url: str | None = None
    seconds: float | None = None
    sections: int | None = None
    chapters: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="what the preset's probe found wrong (empty: ready to upload)")
    durations: list[float] = Field(default_factory=list, description="each section's measured seconds")
    pictures: list[str] = Field(default_factory=list)
    seo: dict[str, Any] = Field(default_factory=dict, description="title, description with chapter timestamps, tags")
    made: dict[str, int] = Field(default_factory=dict, description="artefacts the last render had to make (the rest were stored)")
    created_at: datetime
    updated_at: datetime


class ProjectPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[ProjectOut]


class ProjectAccepted(BaseModel):
    project_id: str
    status: Status
    revision: int
    events: list[Position] = Field(default_factory=list)


class ScriptOut(BaseModel):
    project_id: str
    revision: int
    approved: bool = Field(description="this revision is approved for production")
    script: VideoScript
    estimated_seconds: list[float] = Field(description="each section's length at the voice's words per second (measured after voicing)")


class Renders(BaseModel):
    count: int
    results: list[dict[str, Any]]


class Assets(BaseModel):
    project_id: str
    revision: int
    audio_url: str | None
    pictures: list[str]
    video_url: str | None
    srt_url: str | None
    vtt_url: str | None
    thumbnail_url: str | None
    durations: list[float]


# ---------------------------------------------------------------- reading
async def _row(svc: Services, project_id: str, who: Caller, *, script: bool = False) -> dict[str, Any]:
    row = await q.video_project(svc.pool, project_id, script=script)
    if row is None or row["site_id"] != who.site_id or row["status"] == "cancelled":  # another site's project does not exist here
        raise ProjectNotFound(f"no video project {project_id}", field="project_id")
    return row


@router.get("/projects/", response_model=ProjectPage, summary="The site's video projects, newest first")
async def list_projects(
    request: Request,
    who: Caller = reader,
    status: Status | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.video_projects(svc.pool, site_id=who.site_id, status=status, limit=limit, offset=offset)
    return ORJSON(page(request, items, total, limit, offset))


@router.get("/projects/{project_id}/", response_model=ProjectOut, summary="One project: its status, stages, progress and what it made")
async def get_project(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    return ORJSON(await _row(svc, project_id, who))


@router.get("/projects/{project_id}/script/", response_model=ScriptOut, summary="The project's current script, section by section")
async def get_script(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who, script=True)
    if row["script"] is None:
        raise ProjectNotFound(f"video project {project_id} has no script yet", field="project_id")
    doc = VideoScript.model_validate(row["script"])
    est = video.from_doc(doc).durations()
    out = ScriptOut(
        project_id=project_id,
        revision=row["revision"],
        approved=row["approved_revision"] == row["revision"],
        script=doc,
        estimated_seconds=est,
    )
    return ORJSON(out.model_dump(mode="json"))


@router.get(
    "/projects/{project_id}/assets/", response_model=Assets, summary="What the project's stages made: narration, stills, video, captions"
)
async def assets(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who)
    return ORJSON(Assets(**{k: row[k] for k in Assets.model_fields if k in row}).model_dump(mode="json"))


@router.get("/projects/{project_id}/renders/", response_model=Renders, summary="Every video the project rendered, one per script revision")
async def renders(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    await _row(svc, project_id, who)
    found = await q.video_renders(svc.pool, project_id)
    return ORJSON({"count": len(found), "results": found})


# ---------------------------------------------------------------- deciding
async def _decide(svc: Services, project_id: str, who: Caller, decide: Callable[[video.Project], video.Decision]) -> Any:
    """Read, decide, append, wait until the read model shows it: under a lock per project, so two
    requests never decide on the same revision."""
    async with svc.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('video:' || $1))", project_id)
        row = await _row(svc, project_id, who, script=True)
        decision = decide(video.Project.from_row(row))
        positions = await _append(svc, project_id, decision)
        await svc.wait_for(positions, "video_projects")
    now = await q.video_project(svc.pool, project_id) or row  # a cancelled project is still read here, to say so
    out = ProjectAccepted(project_id=project_id, status=now["status"], revision=now["revision"], events=positions)
    return ORJSON(out.model_dump(mode="json"), 202)


async def _append(svc: Services, project_id: str, decision: video.Decision) -> list[Position]:
    positions = [await svc.bus.append(t.VIDEO_PROJECTS, project_id, ev) for ev in decision.events]
    if decision.job is not None:  # after the events: the project says "rendering" before any progress arrives
        await svc.bus.append(t.VIDEO_RENDER, project_id, decision.job)
    return positions


@router.post("/projects/", status_code=202, response_model=ProjectAccepted, summary="Start a video project from a published article")
async def create_project(
    body: c.CreateVideoProject, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    """The script is drafted at once; with ``review`` it waits for approval, else the video is rendered."""
    article = await svc.article(body.content_id, who)
    try:
        voice = voice_for(svc.voices, article.language, body.voice_id)
    except VoiceUnavailable as err:
        raise Problem(422, "No voice for this article", str(err), field="voice_id" if body.voice_id else "language") from err
    project_id = derived_id("video", who.site_id, idempotency_key) if idempotency_key else str(uuid.uuid4())
    if (await q.video_project(svc.pool, project_id)) is not None:  # a retried request: the first answer
        return await _decide(svc, project_id, who, lambda p: video.Decision([]))
    script, note = await _narrated(svc, article, "long" if body.preset == "youtube_long" else "short", voice.words_per_second)
    decision = video.start(
        article,
        script=script,
        note=note,
        project_id=project_id,
        preset=body.preset,
        voice_id=voice.voice_id,
        words_per_second=voice.words_per_second,
        review=body.review,
        motion=body.motion,
        music_url=str(body.music_url) if body.music_url else None,
    )
    positions = await _append(svc, project_id, decision)
    await svc.wait_for(positions, "video_projects")
    row = await q.video_project(svc.pool, project_id)
    status = row["status"] if row else ("script_review" if body.review else "rendering")
    out = ProjectAccepted(project_id=project_id, status=status, revision=row["revision"] if row else 1, events=positions)
    return ORJSON(out.model_dump(mode="json"), status_code=202)


@router.delete(
    "/projects/{project_id}/", status_code=202, response_model=ProjectAccepted, summary="Delete a project (it is gone for its site)"
)
async def delete_project(project_id: str = ProjectId, who: Caller = writer, svc: Services = Svc) -> Any:
    return await _decide(svc, project_id, who, lambda p: video.cancel(p, by=f"key {who.key_id}"))


@router.post(
    "/projects/{project_id}/generate-script/",
    status_code=202,
    response_model=ProjectAccepted,
    summary="Draft the whole script again from the article",
)
async def generate_script(project_id: str = ProjectId, who: Caller = writer, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who, script=True)
    article = await svc.article(row["content_id"], who)
    script, note = await _narrated(svc, article, row["form"], (row["script"] or {}).get("words_per_second", 2.6))
    return await _decide(svc, project_id, who, lambda p: video.redraft(p, article, script, note))


async def _narrated(svc: Services, article: ContentPublished, form: Literal["short", "long"], wps: float) -> tuple[VideoScript | None, str]:
    """With an LLM configured, its narration of the rule writer's draft (under the same guardrails)."""
    if svc.narrator is None:
        return None, ""
    return await svc.narrator.narrate(video.draft(article, form, wps))


@router.put(
    "/projects/{project_id}/script/",
    status_code=202,
    response_model=ProjectAccepted,
    summary="Edit sections of the script (by the revision read)",
)
async def edit_script(body: c.EditVideoScript, project_id: str = ProjectId, who: Caller = writer, svc: Services = Svc) -> Any:
    cmd = body if body.by else body.model_copy(update={"by": f"key {who.key_id}"})
    return await _decide(svc, project_id, who, lambda p: video.edit(p, cmd))


@router.post(
    "/projects/{project_id}/approve-script/",
    status_code=202,
    response_model=ProjectAccepted,
    summary="Approve the script for production (and render it)",
)
async def approve_script(
    project_id: str = ProjectId, body: c.ApproveVideoScript | None = Body(None), who: Caller = writer, svc: Services = Svc
) -> Any:
    cmd = body or c.ApproveVideoScript()
    cmd = cmd if cmd.by else cmd.model_copy(update={"by": f"key {who.key_id}"})
    return await _decide(svc, project_id, who, lambda p: video.approve(p, cmd))


@router.post(
    "/projects/{project_id}/regenerate-section/{section_id}/",
    status_code=202,
    response_model=ProjectAccepted,
    summary="Write one section again from the article; only its segment is rendered again",
)
async def regenerate_section(project_id: str = ProjectId, section_id: str = SectionId, who: Caller = writer, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who)
    article = await svc.article(row["content_id"], who)
    return await _decide(svc, project_id, who, lambda p: video.regenerate_section(p, article, section_id))


def _stage_route(path: str, until: video.Until, summary: str) -> None:
    async def run(project_id: str = ProjectId, who: Caller = writer, svc: Services = Svc) -> Any:
        return await _decide(svc, project_id, who, lambda p: video.produce(p, until))

    run.__name__ = path.replace("-", "_")
    router.post(f"/projects/{{project_id}}/{path}/", status_code=202, response_model=ProjectAccepted, summary=summary)(run)


_stage_route("generate-voiceover", "voice", "Narrate the approved script (each section's audio and measured length)")
_stage_route("generate-visuals", "visuals", "Make each section's still at the preset's size (and the narration first)")
_stage_route("compose", "video", "Render the video: what earlier stages made is reused, the rest is made")


# ---------------------------------------------------------------- publishing and results
class VideoPost(BaseModel):
    post_id: str
    platform: str
    account_id: str
    status: str
    revision: int | None = None
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    platform_post_id: str | None = None
    platform_post_url: str | None = None
    error: str | None = None
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    minutes_watched: int | None = Field(None, description="YouTube: minutes watched, from its Analytics API")
    fetched_at: datetime | None = None


class PublishStatus(BaseModel):
    project_id: str
    count: int
    results: list[VideoPost]


class PublishVideo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platforms: list[Literal["youtube", "instagram", "tiktok"]] | None = Field(
        None, description="default: every one the video was drafted for"
    )
    now: bool = Field(False, description="publish at once instead of at each account's next best-time slot")


class PublishAccepted(BaseModel):
    project_id: str
    posts: list[str]
    events: list[Position]


@router.get(
    "/projects/{project_id}/publish-status/",
    response_model=PublishStatus,
    summary="The project's video posts on each platform: status, link, views, likes, comments, shares",
)
async def publish_status(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    await _row(svc, project_id, who)
    found = await q.video_posts(svc.pool, project_id)
    return ORJSON({"project_id": project_id, "count": len(found), "results": found})


@router.post(
    "/projects/{project_id}/publish/",
    status_code=202,
    response_model=PublishAccepted,
    summary="Approve the project's video drafts: each into its account's next best-time slot, or now",
)
async def publish(
    project_id: str = ProjectId,
    body: PublishVideo | None = Body(None),
    who: Caller = writer,
    svc: Services = Svc,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    await _row(svc, project_id, who)
    ask = body or PublishVideo()
    posts = [
        p
        for p in await q.video_posts(svc.pool, project_id)
        if p["status"] == "draft" and (ask.platforms is None or p["platform"] in ask.platforms)
    ]
    if not posts:
        raise InvalidTransition(
            "no video drafts of this project to publish (not rendered yet, no video account, or published)", field="platforms"
        )
    events: list[Position] = []
    for p in posts:
        key = f"{idempotency_key}:{p['post_id']}" if idempotency_key else None
        action = {"publish_now": c.PublishPostNow()} if ask.now else {"approve": c.ApprovePost(reviewer=f"key {who.key_id}")}
        events += (await svc.command(who, p["post_id"], wait=False, idempotency_key=key, **action)).events
    return ORJSON(PublishAccepted(project_id=project_id, posts=[p["post_id"] for p in posts], events=events).model_dump(mode="json"), 202)


class VideoTotals(BaseModel):
    posts: int
    published: int
    views: int
    likes: int
    comments: int
    shares: int
    minutes_watched: int


class PlatformTotals(VideoTotals):
    platform: str


class ArticleTotals(VideoTotals):
    content_id: str | None
    project_id: str | None


class VideoAnalytics(BaseModel):
    platforms: list[PlatformTotals]
    articles: list[ArticleTotals]


@router.get(
    "/analytics/overview/", response_model=VideoAnalytics, summary="The site's videos: views, likes, comments, shares, minutes watched"
)
async def analytics_overview(who: Caller = reader, svc: Services = Svc) -> Any:
    return ORJSON(await q.video_analytics(svc.pool, who.site_id))


@router.get(
    "/analytics/project/{project_id}/", response_model=PublishStatus, summary="One project's video on each platform, with its results"
)
async def analytics_project(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    return await publish_status(project_id, who, svc)
