"""film: a site with ``video_enabled`` gets a video project for each article it publishes — created,
its script drafted by the rule writer, and then either left for a person's approval
(``video_review``) or sent straight on to the render workers. The video worker's own consumer group
reads ``content.published`` beside intake's, so posts never wait for videos. Intake dead-letters
what is malformed; here such a message is passed over."""

from __future__ import annotations

from typing import Any, Literal

from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from adapters.voice import Synthesizer, VoiceUnavailable, voice_for
from adapters.writer.llm import LLMWriter
from commands import video
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import SchemaError
from schemas.registry import decode_upstream, registry
from streams.plumbing import Agent

SOURCE = "socializer/film"


def project_id(site_id: str, content_id: str, preset: str) -> str:
    """One project per article and format, however often the article is delivered."""
    return derived_id("video", site_id, content_id, preset)


async def handle(
    value: bytes | None, sites: SiteDirectory, synth: Synthesizer, out: Producer, narrator: LLMWriter | None = None
) -> video.Decision | None:
    try:
        decoded = decode_upstream(value)
    except SchemaError:
        return None  # intake dead-letters it, with the reason
    article: e.ContentPublished = decoded.message  # type: ignore[assignment]
    site = await sites.site(article.site_id)
    if site is None or not site.video_enabled:
        return None
    pid = project_id(site.site_id, article.content_id, site.video_preset)
    try:
        voice = voice_for(synth, article.language)
    except VoiceUnavailable as err:
        created = e.VideoProjectCreated(
            project_id=pid,
            site_id=site.site_id,
            content_id=article.content_id,
            preset=site.video_preset,
            voice_id="",
            form="long" if site.video_preset == "youtube_long" else "short",
            title=article.title,
            review=site.video_review,
        )
        decision = video.Decision([created, e.VideoProjectFailed(project_id=pid, stage="voice", reason=str(err))])
    else:
        form: Literal["short", "long"] = "long" if site.video_preset == "youtube_long" else "short"
        script, note = (None, "") if narrator is None else await narrator.narrate(video.draft(article, form, voice.words_per_second))
        decision = video.start(
            article,
            script=script,
            note=note,
            project_id=pid,
            preset=site.video_preset,
            voice_id=voice.voice_id,
            words_per_second=voice.words_per_second,
            review=site.video_review,
            music_url=str(site.video_music_url) if site.video_music_url else None,
        )
    await send(out, decision, pid, decoded.envelope)
    return decision


async def send(out: Producer, decision: video.Decision, pid: str, cause: Envelope) -> None:
    """The project's events, then (once they are stored) its render job."""

    def envelope(message: Any, what: str) -> Envelope:
        return registry.envelope(
            message,
            source=SOURCE,
            subject=pid,
            id=derived_id(cause.id, pid, what),
            correlationid=cause.correlationid or cause.id,
            causationid=cause.id,
        )

    await send_all(out, t.VIDEO_PROJECTS, [(pid, envelope(ev, f"{type(ev).__name__}:{i}")) for i, ev in enumerate(decision.events)])
    if decision.job is not None:
        await send_all(out, t.VIDEO_RENDER, [(pid, envelope(decision.job, "render"))])


def register(agent: Agent) -> None:
    synth = agent.deps.voices
    if synth is None:
        return  # this worker makes no videos

    narrator = agent.deps.writer if isinstance(agent.deps.writer, LLMWriter) else None

    async def one(message: Any) -> None:
        await handle(message.value, agent.deps.sites, synth, agent.producer, narrator)

    agent.consume(t.CONTENT_PUBLISHED, "film", one)
