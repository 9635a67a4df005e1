"""render: carry out a video project's render job — voice, pictures, one graph per section, the join —
in a worker process (never on the event loop), telling its progress stage by stage, and announce
what it made (``VideoVoiced``, ``VideoVisualsPrepared``, ``VideoRendered``) or, with the stage and the
reason, ``VideoProjectFailed``, on ``video.projects``, where the projects' single writer (``direct``)
folds them with the project's own events; each names its revision, so a result of a revision the
script has moved past changes nothing. Every stage's output is content-addressed, so a redelivered or
restarted job picks up at the first artefact it does not have. Runs in the video worker
(``socializer worker --video``): its own consumer group, its own process pool."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from adapters.credits import Credits
from adapters.kafka import Producer, send_all
from adapters.metrics import RENDER_STAGE_SECONDS
from adapters.transient import is_transient
from adapters.video.ffmpeg import RenderFailed
from adapters.video.studio import render_project
from adapters.voice import VoiceUnavailable
from adapters.voice.speech_api import SpeechApi
from domain.usage import DEFAULT_COSTS, Line, total, video_lines
from schemas import events as e
from schemas import topics as t
from schemas.commands import RenderVideo
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.charge import credits_for
from streams.plumbing import Agent

SOURCE = "socializer/render"
PROGRESS_EVERY = 1.0  # seconds between looks at a running job's progress


@dataclass
class Rendering:
    out: Producer
    store: str  # where artefacts are kept (content-addressed)
    media_url: str  # how the API serves that directory
    cpu: Executor | None = None
    make: Callable[..., dict[str, Any]] = render_project  # one job, in the pool (a fake in tests)
    every: float = PROGRESS_EVERY
    speech: SpeechApi | None = None  # the API voice's settings, for the render process to build its client
    outbound_allow: str = ""  # the kinds of private address its image and music fetches may reach (adapters.netguard)
    credits: Credits | None = None  # None: renders charge nothing
    costs: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_COSTS))


def _lines(costs: Mapping[str, Decimal], job: RenderVideo, voice_seconds: float | None = None) -> list[Line]:
    """What the job costs: its voice by the started minute (estimated from the script's words until
    the audio is made) unless it only prepares pictures, and the render when it makes the video."""
    if voice_seconds is None:
        words = sum(len(section.text.split()) for section in job.script.sections)
        voice_seconds = words / job.script.words_per_second
    return video_lines(costs, voice_seconds=voice_seconds if job.until != "visuals" else None, render=job.until == "video")


async def handle(value: bytes | None, r: Rendering) -> e.Event:
    decoded = registry.decode(value or b"")
    job = decoded.message
    if not isinstance(job, RenderVideo):
        raise InvalidEvent(f"envelope.type: expected RenderVideo, got {decoded.envelope.type!r}")
    cause = decoded.envelope
    if r.credits is not None:  # held before the voice and the render start; the job's id is the charge's
        held = await r.credits.reserve(job.site_id, cause.id, _lines(r.costs, job), cause)
        if not held.held:
            refused = e.VideoProjectFailed(project_id=job.project_id, revision=job.revision, stage="voice", reason=held.reason)
            await _announce(r.out, refused, job.project_id, cause, "credits")
            return refused
    progress = Path(r.store) / ".progress" / f"{derived_id(cause.id, 'progress')}.json"
    await asyncio.to_thread(_fresh, progress)  # file I/O off the event loop
    run = functools.partial(
        r.make,
        r.store,
        r.media_url,
        job.model_dump_json(),
        str(progress),
        **({"speech": r.speech} if r.speech else {}),
        **({"allow": r.outbound_allow} if r.outbound_allow else {}),
    )
    result: e.Event
    stage: e.VideoStage = "voice"
    try:
        future = asyncio.get_running_loop().run_in_executor(r.cpu, run)
        told: tuple[str, float] | None = None
        while True:
            done, _ = await asyncio.wait({future}, timeout=r.every)
            now = await asyncio.to_thread(_read, progress)
            if now and told and now["stage"] != told[0] and told[1] < 1:  # a stage ended between two looks: say so
                tick = e.VideoStageProgressed(project_id=job.project_id, revision=job.revision, stage=told[0], done=1.0)  # type: ignore[arg-type]
                await _announce(r.out, tick, job.project_id, cause, f"{told[0]}:1.0")
            if now and (now["stage"], now["done"]) != told:
                stage, told = now["stage"], (now["stage"], now["done"])
                tick = e.VideoStageProgressed(
                    project_id=job.project_id, revision=job.revision, stage=now["stage"], done=now["done"], seconds=now["seconds"]
                )
                await _announce(r.out, tick, job.project_id, cause, f"{now['stage']}:{now['done']}")
            if done:
                break
        made = future.result()
        for name, seconds in (made.get("timings") or {}).items():  # stage names: a fixed handful (studio's laps)
            RENDER_STAGE_SECONDS.labels(name).observe(seconds)
        result = _made(job, made)
    except VoiceUnavailable as err:
        result = e.VideoProjectFailed(project_id=job.project_id, revision=job.revision, stage="voice", reason=str(err))
    except RenderFailed as err:
        result = e.VideoProjectFailed(project_id=job.project_id, revision=job.revision, stage=_stage(stage), reason=str(err))
    except Exception as err:
        if is_transient(err):
            raise  # held and tried again: the artefacts made so far are kept
        # Anything else this job makes fail will fail again: the project says so, with the reason.
        reason = f"{type(err).__name__}: {err}"
        result = e.VideoProjectFailed(project_id=job.project_id, revision=job.revision, stage=_stage(stage), reason=reason)
    finally:
        await asyncio.to_thread(progress.unlink, missing_ok=True)
    if r.credits is not None:
        await _settle(r, job, cause, result)
    await _announce(r.out, result, job.project_id, cause, type(result).__name__)
    return result


async def _settle(r: Rendering, job: RenderVideo, cause: Envelope, result: e.Event) -> None:
    """A failed job releases what it held; a made one takes what it really cost (the audio's length)."""
    assert r.credits is not None
    if isinstance(result, e.VideoProjectFailed):
        await r.credits.release(job.site_id, cause.id, f"{result.stage}: {result.reason}", cause)
        return
    seconds = getattr(result, "seconds", None)
    lines = _lines(r.costs, job, seconds if isinstance(seconds, int | float) else None)
    model = f"voice:{job.voice_id}" + (" + ffmpeg" if job.until == "video" else "")
    subject = e.ChargedSubject(subject_id=job.project_id, kind="video", credits=total(lines), model=model)
    await r.credits.commit(job.site_id, cause.id, lines, cause, model=model, subjects=[subject])


def _stage(stage: str) -> e.VideoStage:
    return stage if stage in ("voice", "visuals", "render", "join") else "render"  # type: ignore[return-value]


def _fresh(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None


def _made(job: RenderVideo, made: dict[str, Any]) -> e.Event:
    if job.until == "voice":
        return e.VideoVoiced(
            project_id=job.project_id,
            revision=job.revision,
            audio_url=made["audio_url"],
            seconds=made["seconds"],
            durations=made["durations"],
        )
    if job.until == "visuals":
        return e.VideoVisualsPrepared(project_id=job.project_id, revision=job.revision, pictures=made["pictures"])
    who = {"site_id": job.site_id, "content_id": job.content_id, "title": job.script.title, "language": job.script.language}
    return e.VideoRendered(project_id=job.project_id, revision=job.revision, preset=job.preset, **who, **made)


async def _announce(out: Producer, event: e.Event, project_id: str, cause: Envelope, what: str) -> None:
    env = registry.envelope(
        event,
        source=SOURCE,
        subject=project_id,
        id=derived_id(cause.id, what),
        correlationid=cause.correlationid or cause.id,
        causationid=cause.id,
    )
    await send_all(out, t.VIDEO_PROJECTS, [(project_id, env)])


def register(agent: Agent) -> None:
    d = agent.deps
    if not d.settings.video_dir:
        return  # this worker renders no video
    s = d.settings
    r = Rendering(
        out=agent.producer,
        store=s.video_dir,
        media_url=s.video_media_url,
        cpu=d.cpu,
        speech=s.speech,
        outbound_allow=s.outbound_allow,
        credits=credits_for(agent),
        costs=s.credit_costs,
    )

    async def one(message: Any) -> None:
        await handle(message.value, r)

    agent.consume(t.VIDEO_RENDER, "render", one)
