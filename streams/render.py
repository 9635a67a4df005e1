"""render: make a video project's video — script, voice, pictures, one graph per section, the join —
in a worker process (never on the event loop), and announce it ``VideoRendered`` or, with the stage
and the reason, ``VideoProjectFailed``. Every stage's output is content-addressed, so a redelivered
or restarted render picks up at the first artefact it does not have."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from adapters.kafka import Producer, send_all
from adapters.transient import is_transient
from adapters.video.ffmpeg import RenderFailed
from adapters.video.studio import render_project
from adapters.voice import VoiceUnavailable
from schemas import events as e
from schemas import topics as t
from schemas.commands import RenderVideo
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/render"


@dataclass
class Rendering:
    out: Producer
    store: str  # where artefacts are kept (content-addressed)
    media_url: str  # how the API serves that directory
    cpu: Executor | None = None
    make: Callable[..., dict[str, Any]] = render_project  # the whole project, in the pool (a fake in tests)


async def handle(value: bytes | None, r: Rendering) -> e.Event:
    decoded = registry.decode(value or b"")
    cmd = decoded.message
    if not isinstance(cmd, RenderVideo):
        raise InvalidEvent(f"envelope.type: expected RenderVideo, got {decoded.envelope.type!r}")
    job = functools.partial(
        r.make, r.store, r.media_url, cmd.article.model_dump_json(), cmd.preset, cmd.voice_id, cmd.form, cmd.article.site_id
    )
    result: e.Event
    try:
        made = await asyncio.get_running_loop().run_in_executor(r.cpu, job)
        result = e.VideoRendered(project_id=cmd.project_id, preset=cmd.preset, **made)  # type: ignore[arg-type]
    except VoiceUnavailable as err:
        result = e.VideoProjectFailed(project_id=cmd.project_id, stage="voice", reason=str(err))
    except RenderFailed as err:
        result = e.VideoProjectFailed(project_id=cmd.project_id, stage="render", reason=str(err))
    except Exception as err:
        if is_transient(err):
            raise  # held and tried again: the artefacts made so far are kept
        # Anything else this article makes fail will fail again: the project says so, with the reason.
        result = e.VideoProjectFailed(project_id=cmd.project_id, stage="render", reason=f"{type(err).__name__}: {err}")
    await _announce(r.out, result, cmd.project_id, decoded.envelope)
    return result


async def _announce(out: Producer, event: e.Event, project_id: str, cause: Envelope) -> None:
    env = registry.envelope(
        event,
        source=SOURCE,
        subject=project_id,
        id=derived_id(cause.id, type(event).__name__),
        correlationid=cause.correlationid or cause.id,
        causationid=cause.id,
    )
    await send_all(out, t.VIDEO_PROJECTS, [(project_id, env)])


def register(agent: Agent) -> None:
    d = agent.deps
    if not d.settings.video_dir:
        return  # this worker renders no video
    r = Rendering(out=agent.producer, store=d.settings.video_dir, media_url=d.settings.video_media_url, cpu=d.cpu)

    async def one(message: Any) -> None:
        await handle(message.value, r)

    agent.consume(t.VIDEO_RENDER, "render", one)
