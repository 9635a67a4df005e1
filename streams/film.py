"""film: a site with ``video_enabled`` gets a video project for each article it publishes. Film
chooses the voice and (with an LLM configured) has the narration written, then asks the projects'
single writer (``direct``) to start the project — created, its script drafted, and then either left
for a person's approval (``video_review``) or sent straight on to the render workers. The video
worker's own consumer group reads ``content.published`` beside intake's, so posts never wait for
videos. Intake dead-letters what is malformed; here such a message is passed over."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.credits import Credits
from adapters.kafka import Producer, send_all
from adapters.sites import SiteDirectory
from adapters.voice import Synthesizer, VoiceUnavailable, voice_for
from adapters.writer.llm import LLMWriter
from commands import video
from domain.platforms import preset
from domain.usage import DEFAULT_COSTS, price, total
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id
from schemas.exceptions import SchemaError
from schemas.registry import decode_upstream, registry
from streams.charge import credits_for
from streams.plumbing import Agent

SOURCE = "socializer/film"


def project_id(site_id: str, content_id: str, preset: str) -> str:
    """One project per article and format, however often the article is delivered."""
    return derived_id("video", site_id, content_id, preset)


async def handle(
    value: bytes | None,
    sites: SiteDirectory,
    synth: Synthesizer,
    out: Producer,
    narrator: LLMWriter | None = None,
    credits: Credits | None = None,
    costs: Mapping[str, Decimal] = DEFAULT_COSTS,
) -> c.DecideVideo | None:
    """The command sent to the project's writer (None: no video for this article). Its id derives
    from the article's delivery: a redelivered article is the same command, answered once."""
    try:
        decoded = decode_upstream(value)
    except SchemaError:
        return None  # intake dead-letters it, with the reason
    article = decoded.message
    assert isinstance(article, e.ContentPublished)
    site = await sites.site(article.site_id)
    if site is None or not site.video_enabled:
        return None
    pid = project_id(site.site_id, article.content_id, site.video_preset)
    cause = decoded.envelope
    charge_id = derived_id(cause.id, pid, "script")  # the article's delivery: a redelivery is the same charge
    script_cost = [price(costs, "video_script")]
    if credits is not None and not (await credits.reserve(site.site_id, charge_id, script_cost, cause)).held:
        return None  # no project at all: the refusal, with its reason, is on social.usage
    music = str(site.video_music_url) if site.video_music_url else None
    script = None
    try:
        voice = voice_for(synth, article.language)
    except VoiceUnavailable as err:  # created failed at its voice: never English phonemes read over another language
        start = c.StartVideoProject(article=article, preset=site.video_preset, review=site.video_review, failed=str(err))
    else:
        form = preset(site.video_preset).form
        script, note = (None, "") if narrator is None else await narrator.narrate(video.draft(article, form, voice.words_per_second))
        start = c.StartVideoProject(
            article=article,
            preset=site.video_preset,
            voice_id=voice.voice_id,
            words_per_second=voice.words_per_second,
            review=site.video_review,
            music_url=music,
            script=script,
            note=note,
        )
    if credits is not None and start.failed:
        await credits.release(site.site_id, charge_id, start.failed, cause)
    elif credits is not None:
        model = narrator.model if narrator is not None and script is not None else "rules"
        subject = e.ChargedSubject(subject_id=pid, kind="video", credits=total(script_cost), model=model)
        await credits.commit(site.site_id, charge_id, script_cost, cause, model=model, subjects=[subject])
    command_id = derived_id(cause.id, pid, "start")
    cmd = c.DecideVideo(command_id=command_id, project_id=pid, site_id=site.site_id, requested_by="film", create=start)
    env = registry.envelope(
        cmd,
        source=SOURCE,
        subject=pid,
        id=derived_id(command_id, "envelope"),
        correlationid=cause.correlationid or cause.id,
        causationid=cause.id,
    )
    await send_all(out, t.VIDEO_COMMANDS, [(pid, env)])
    return cmd


def register(agent: Agent) -> None:
    synth = agent.deps.voices
    if synth is None:
        return  # this worker makes no videos

    narrator = agent.deps.writer if isinstance(agent.deps.writer, LLMWriter) else None

    credits, costs = credits_for(agent), agent.deps.settings.credit_costs

    async def one(message: Any) -> None:
        await handle(message.value, agent.deps.sites, synth, agent.producer, narrator, credits, costs)

    agent.consume(t.CONTENT_PUBLISHED, "film", one)
