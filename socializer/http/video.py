"""The Video Creator's API (the seed's §8.2): projects from published articles, their script to
read, edit, regenerate one section of and approve, the stages to run (voice-over, visuals, compose),
and what each render made. Reads come from the read model (a project's ETag is its version); every
command goes to the projects' single writer (``streams.direct``, over ``video.projects.commands``),
and the answer is what it decided: 202 once the read model shows it, the refusal as a problem, or
``pending`` with the command's id if it did not decide in time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.api_keys import Caller
from adapters.voice import VoiceUnavailable, voice_for
from commands import video
from commands.exceptions import InvalidTransition, ProjectNotFound
from domain.platforms import preset as preset_of
from domain.usage import price
from domain.video.scenes import layout_problem
from domain.video.script import from_doc, tokens
from projections import analytics as pa
from projections import queries as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.events import ContentPublished, Motion, SceneLayout, VideoPreset, VideoScript
from socializer.http import analytics
from socializer.http.asking import Aggregate, ask
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS, Change, PeriodOut, Position
from socializer.http.problems import ORJSON, Problem
from socializer.http.usage import CREDITS, require_credits, with_costs

router = APIRouter(prefix="/api/v1/video", responses=PROBLEMS)

Status = Literal["created", "script_review", "approved", "rendering", "voiced", "visuals_ready", "ready", "failed", "cancelled"]
ProjectId = Path(min_length=1, max_length=200)
SectionId = Path(min_length=1, max_length=100)
IdempotencyKey = Header(None, alias="Idempotency-Key", max_length=200)
IfMatch = Header(
    None, alias="If-Match", max_length=100, description="the project's version (its ETag) the command was decided on: another is a 409"
)
COMMAND_DEADLINE = 10.0  # how long a command waits for the writer's decision before answering "pending"


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
    contact_sheet_url: str | None = Field(
        None, description="the last render's contact sheet: one frame per scene, the platform's covered margins drawn over it"
    )
    layouts: list[SceneLayout] = Field(default_factory=list, description="each scene's layout in the last render, in order")
    created_at: datetime
    updated_at: datetime
    version: int = Field(0, description="how many lifecycle events the project had: its ETag, and what If-Match sends back")
    credits_used: str = Field("0", description="the credits its script, voice and renders cost (a decimal string)")
    model: str = Field("", description="what did the latest work: the script's model, or the voice and ffmpeg")


class ProjectPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[ProjectOut]


class ProjectAccepted(BaseModel):
    project_id: str
    status: Status | Literal["pending"] = Field(
        description="the project's status after the command; pending: its writer had not decided it within the deadline"
        " (GET the project later, or retry with the same Idempotency-Key)"
    )
    revision: int | None = None
    version: int | None = Field(None, description="the project's version after the command (send it back as If-Match)")
    command_id: str | None = Field(None, description="the command's id; a retry with the same Idempotency-Key gets this answer")
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
    contact_sheet_url: str | None = None


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
    return ORJSON(page(request, await with_costs(svc, items, "project_id"), total, limit, offset))


def _etag(row: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{row["version"]}"'}


@router.get("/projects/{project_id}/", response_model=ProjectOut, summary="One project: its status, stages, progress and what it made")
async def get_project(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who)
    return ORJSON((await with_costs(svc, [row], "project_id"))[0], headers=_etag(row))


@router.get("/projects/{project_id}/script/", response_model=ScriptOut, summary="The project's current script, section by section")
async def get_script(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await _row(svc, project_id, who, script=True)
    await require_credits(svc, who.site_id, [price(svc.settings.credit_cost_table, "video_script")], "a new script")
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
    return ORJSON(out.model_dump(mode="json"), headers=_etag(row))


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
PROJECTS = Aggregate(
    noun="project",
    name="video project",
    ids="video-command",
    key="project_id",
    command=c.DecideVideo,
    topic=t.VIDEO_COMMANDS,
    projection="video_projects",
    answer=ProjectAccepted,
    copies=("revision", "version"),
    deadline=COMMAND_DEADLINE,
    etag=False,
    digits=None,
)


async def _ask(
    svc: Services,
    who: Caller,
    row: dict[str, Any],
    kind: str,
    action: c.Command | Callable[[], Awaitable[c.Command]],
    *,
    if_match: str | None,
    idempotency_key: str | None,
) -> Any:
    """Send one command on the project as the caller read it (``row``): the writer decides on no older
    version, and an If-Match no read showed is a 409."""
    pid, seen = row["project_id"], row["version"]
    return await ask(svc, who, PROJECTS, pid, kind, action, ok=202, seen=seen, if_match=if_match, idempotency_key=idempotency_key)


@router.post(
    "/projects/",
    status_code=202,
    response_model=ProjectAccepted,
    responses=CREDITS,
    summary="Start a video project from a published article",
)
async def create_project(
    body: c.CreateVideoProject, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    """The script is drafted at once; with ``review`` it waits for approval, else the video is rendered."""
    article = await svc.article(body.content_id, who)
    await require_credits(svc, who.site_id, [price(svc.settings.credit_cost_table, "video_script")], "a video project")
    try:
        voice = voice_for(svc.voices, article.language, body.voice_id)
    except VoiceUnavailable as err:
        raise Problem(422, "No voice for this article", str(err), field="voice_id" if body.voice_id else "language") from err
    project_id = derived_id("video", who.site_id, idempotency_key) if idempotency_key else str(uuid.uuid4())

    async def start() -> c.Command:
        script, note = await _narrated(svc, article, preset_of(body.preset).form, voice.words_per_second)
        return c.StartVideoProject(
            article=article,
            preset=body.preset,
            voice_id=voice.voice_id,
            words_per_second=voice.words_per_second,
            review=body.review,
            motion=body.motion,
            music_url=str(body.music_url) if body.music_url else None,
            script=script,
            note=note,
        )

    return await ask(svc, who, PROJECTS, project_id, "create", start, ok=202, idempotency_key=idempotency_key)


@router.delete(
    "/projects/{project_id}/", status_code=202, response_model=ProjectAccepted, summary="Delete a project (it is gone for its site)"
)
async def delete_project(
    project_id: str = ProjectId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    row = await _row(svc, project_id, who)
    return await _ask(svc, who, row, "cancel", c.CancelVideoProject(), if_match=if_match, idempotency_key=idempotency_key)


@router.post(
    "/projects/{project_id}/generate-script/",
    status_code=202,
    responses=CREDITS,
    response_model=ProjectAccepted,
    summary="Draft the whole script again from the article",
)
async def generate_script(
    project_id: str = ProjectId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    row = await _row(svc, project_id, who, script=True)
    article = await svc.article(row["content_id"], who)

    async def redraft() -> c.Command:
        script, note = await _narrated(svc, article, row["form"], (row["script"] or {}).get("words_per_second", 2.6))
        return c.RedraftVideoScript(article=article, script=script, note=note)

    return await _ask(svc, who, row, "redraft", redraft, if_match=if_match, idempotency_key=idempotency_key)


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
async def edit_script(
    body: c.EditVideoScript,
    project_id: str = ProjectId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    row = await _row(svc, project_id, who, script=True)
    _check_layouts(body, row)
    return await _ask(svc, who, row, "edit", body, if_match=if_match, idempotency_key=idempotency_key)


def _check_layouts(body: c.EditVideoScript, row: dict[str, Any]) -> None:
    """An edit that changes nothing, or a layout the section's content does not allow, is a 422 naming the field (the
    writer checks again on the revision it decides)."""
    for i, new in enumerate(body.sections):
        if new.text is None and new.layout is None:
            raise Problem(
                422,
                "Invalid request",
                f"sections[{i}]: give its text, its layout or both",
                code="invalid_request",
                field=f"sections.{i}.text",
            )
    if row["script"] is None:
        return
    script = from_doc(VideoScript.model_validate(row["script"]))
    for i, new in enumerate(body.sections):
        section = next((s for s in script.sections if s.id == new.section_id), None)
        if section is None or new.layout is None:
            continue
        if new.text is not None and tokens(new.text):
            section = script.replace(section.id, new.text).sections[script.sections.index(section)]
        why = layout_problem(section, new.layout, vertical=row["form"] == "short")
        if why:
            raise Problem(422, "Invalid request", f"sections[{i}].layout: {why}", code="invalid_request", field=f"sections.{i}.layout")


@router.post(
    "/projects/{project_id}/approve-script/",
    status_code=202,
    response_model=ProjectAccepted,
    summary="Approve the script for production (and render it)",
)
async def approve_script(
    project_id: str = ProjectId,
    body: c.ApproveVideoScript | None = Body(None),
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    row = await _row(svc, project_id, who)
    return await _ask(svc, who, row, "approve", body or c.ApproveVideoScript(), if_match=if_match, idempotency_key=idempotency_key)


@router.post(
    "/projects/{project_id}/regenerate-section/{section_id}/",
    status_code=202,
    responses=CREDITS,
    response_model=ProjectAccepted,
    summary="Write one section again from the article; only its segment is rendered again",
)
async def regenerate_section(
    project_id: str = ProjectId,
    section_id: str = SectionId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    row = await _row(svc, project_id, who)
    await require_credits(svc, who.site_id, [price(svc.settings.credit_cost_table, "video_script")], "a new section")
    article = await svc.article(row["content_id"], who)
    regenerate = c.RegenerateVideoSection(article=article, section_id=section_id)
    return await _ask(svc, who, row, "regenerate", regenerate, if_match=if_match, idempotency_key=idempotency_key)


def _stage_route(path: str, until: video.Until, summary: str) -> None:
    async def run(
        project_id: str = ProjectId,
        who: Caller = writer,
        svc: Services = Svc,
        if_match: str | None = IfMatch,
        idempotency_key: str | None = IdempotencyKey,
    ) -> Any:
        row = await _row(svc, project_id, who)
        return await _ask(svc, who, row, "produce", c.ProduceVideo(until=until), if_match=if_match, idempotency_key=idempotency_key)

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
    period: PeriodOut
    previous_period: PeriodOut
    totals: VideoTotals
    previous: VideoTotals
    change: dict[str, Change] = Field(description="per metric of totals")
    platforms: list[PlatformTotals]
    articles: list[ArticleTotals]


@router.get(
    "/analytics/overview/",
    response_model=VideoAnalytics,
    summary="The site's videos in a range (default: the last 28 days): views, likes, comments, shares, minutes watched; against the previous period",
)
async def analytics_overview(
    who: Caller = reader, start: date | None = analytics.From, to: date | None = analytics.To, svc: Services = Svc
) -> Any:
    p = await analytics.window(svc, who.site_id, start, to)
    lo, hi = p.bounds()
    cur = await pa.video_totals(svc.pool, who.site_id, lo, hi)
    prev = await pa.video_totals(svc.pool, who.site_id, *p.previous().bounds())
    return ORJSON({**analytics.framed(p, cur, prev, pa.VIDEO_METRICS), **await q.video_analytics(svc.pool, who.site_id, lo, hi)})


@router.get(
    "/analytics/project/{project_id}/", response_model=PublishStatus, summary="One project's video on each platform, with its results"
)
async def analytics_project(project_id: str = ProjectId, who: Caller = reader, svc: Services = Svc) -> Any:
    return await publish_status(project_id, who, svc)
