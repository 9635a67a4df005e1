"""direct: the single writer of video projects.

Commands arrive on ``video.projects.commands`` keyed by project id, from the API and from ``film``;
each is decided by :func:`commands.video.handle` under the project's lock, against the state folded
from the project's own events on ``video.projects`` — whoever wrote them: this writer, or the render
workers (progress, ``VideoVoiced``, ``VideoRendered``, ``VideoProjectFailed``). Of two conflicting
commands exactly one wins; the other is refused naming the project's state. What a command produced,
or why it was refused, is recorded by command id for the API to answer with. A decision that calls for
a render appends its ``RenderVideo`` to ``video.render`` after the project's events.

The state is kept in the log's order: ``settled`` is the project folded from ``video.projects`` as
the log has it, ``pending`` the events this writer appended that have not come back from the log yet;
a command is decided against ``settled`` with ``pending`` on top. When its own event comes back, it is
folded in its place among the render workers' events, so the writer ends where the read model does
(which applies the same events in the same order), and ``settled``'s version is the read model's count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from typing import Any

from adapters.aggregates import remember
from adapters.kafka import Producer, send_all
from adapters.post_states import Outcome
from adapters.video_states import Stored, VideoStateStore
from commands import video
from commands.exceptions import CommandRefused, InvalidTransition, ProjectNotFound
from schemas import events as e
from schemas import topics as t
from schemas.commands import DecideVideo
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams import plumbing, single_writer
from streams.plumbing import Agent

SOURCE = "socializer/direct"
log = logging.getLogger("socializer.direct")

# What a decision can emit: a command whose events are on the log already was decided before (a
# crash between the append and the record), and is answered from the state, not decided again.
DECIDED = ("VideoProjectCreated", "VideoScriptDrafted", "VideoScriptEdited", "VideoScriptApproved", "VideoRenderRequested")
DECIDED += ("VideoProjectFailed", "VideoProjectCancelled")


@dataclass
class Directing:
    states: VideoStateStore
    out: Producer
    catch_up_seconds: float = 5.0  # how long a command waits for the version its sender read


@dataclass
class Held:
    """The writer's view of one project: ``settled`` folded from the log in its order, ``pending``
    the (event id, event) it appended that the log has not given back yet."""

    settled: video.Project | None = None
    pending: list[tuple[str, e.Event]] = field(default_factory=list)

    @property
    def current(self) -> video.Project | None:
        p = self.settled
        for _, ev in self.pending:
            p = video.fold(p, ev)
        return p


# ---------------------------------------------------------------- the state's encoding
_FIELDS = tuple(f.name for f in fields(video.Project))


def encode(h: Held) -> dict[str, Any]:
    p = h.settled
    project = None
    if p is not None:
        project = {name: getattr(p, name) for name in _FIELDS} | {
            "script": p.script.model_dump(mode="json") if p.script else None,
            "keywords": list(p.keywords),
        }
    pending = [{"id": i, "type": registry.type_of(ev), "data": ev.model_dump(mode="json")} for i, ev in h.pending]
    return {"project": project, "pending": pending}


def decode(state: dict[str, Any] | None) -> Held:
    if not state:
        return Held()
    p = state.get("project")
    settled = None
    if p is not None:
        known = {k: v for k, v in p.items() if k in _FIELDS}
        script = e.VideoScript.model_validate(known["script"]) if known.get("script") else None
        settled = video.Project(**(known | {"script": script, "keywords": tuple(known.get("keywords") or ())}))
    pending: list[tuple[str, e.Event]] = []
    for item in state.get("pending") or []:
        message = registry.decode_obj({"id": item["id"], "source": SOURCE, "type": item["type"], "data": item["data"]}).message
        assert isinstance(message, e.Event)
        pending.append((item["id"], message))
    return Held(settled, pending)


def stored(h: Held, applied: list[str]) -> Stored:
    current = h.current
    return Stored(encode(h), h.settled.version if h.settled else 0, applied, current.site_id if current else "")


# ---------------------------------------------------------------- deciding
def refusal(err: CommandRefused, cmd: DecideVideo, p: video.Project | None) -> Outcome:
    status = 404 if isinstance(err, ProjectNotFound) else 409 if isinstance(err, InvalidTransition) else 422  # InvalidContent
    detail = err.detail
    state = None
    if p is not None and p.site_id == cmd.site_id:  # the project's state, named to whoever may see it
        state = {"status": p.status, "revision": p.revision, "version": p.version}
        detail += f" (project {p.project_id} is {p.status}, script revision {p.revision}, version {p.version})"
    return Outcome(
        status,
        {
            "project_id": cmd.project_id,
            "site_id": cmd.site_id,
            "code": err.code,
            "title": type(err).__name__,
            "detail": detail,
            "field": err.field,
            "state": state,
        },
    )


def accepted(cmd: DecideVideo, p: video.Project | None, events: list[dict[str, Any]]) -> Outcome:
    return Outcome(
        202,
        {
            "project_id": cmd.project_id,
            "site_id": cmd.site_id,
            "version": p.version if p else 0,
            "status": p.status if p else None,
            "revision": p.revision if p else 0,
            "events": events,
        },
    )


async def decide(decoded: Decoded, d: Directing) -> Outcome:
    cmd = decoded.message
    if not isinstance(cmd, DecideVideo):
        raise InvalidEvent(f"envelope.type: expected DecideVideo, got {decoded.envelope.type!r}")
    read = [v for v in (cmd.seen_version, cmd.expected_version) if v is not None]
    if read:
        await caught_up(d, cmd.project_id, max(read))
    async with d.states.project(cmd.project_id) as txn:
        known = await txn.outcome(cmd.command_id)
        if known is not None:
            return known  # a redelivered or retried command: the first answer
        held = decode(txn.stored.state)
        current = held.current
        mine = {derived_id(cmd.command_id, kind) for kind in DECIDED}
        if mine & {*txn.stored.applied, *(i for i, _ in held.pending)}:
            outcome = accepted(cmd, current, [])  # decided before a crash: its events are on the log
        else:
            try:
                decision = video.handle(current, cmd)
            except CommandRefused as err:
                outcome = refusal(err, cmd, current)
            else:
                outcome = await _carry_out(d, txn, held, cmd, decision, decoded.envelope)
        await txn.record(cmd.command_id, outcome)
    return outcome


async def _carry_out(d: Directing, txn: Any, held: Held, cmd: DecideVideo, decision: video.Decision, cause: Envelope) -> Outcome:
    pid = cmd.project_id

    def envelope(message: Any, what: str) -> Envelope:
        return registry.envelope(
            message,
            source=SOURCE,
            subject=pid,
            id=derived_id(cmd.command_id, what),  # re-decided after a crash: the same ids, dropped as repeats
            correlationid=cause.correlationid or cause.id,
            causationid=cause.id,
        )

    items = [(pid, envelope(ev, type(ev).__name__)) for ev in decision.events]
    # On the log before the state moves; the render job after the events, so the project says
    # "rendering" before any of its progress arrives.
    positions = await send_all(d.out, t.VIDEO_PROJECTS, items) if items else []
    if decision.job is not None:
        await send_all(d.out, t.VIDEO_RENDER, [(pid, envelope(decision.job, "render"))])
    if not items:
        return accepted(cmd, held.current, [])
    held = Held(held.settled, [*held.pending, *((env.id, ev) for (_, env), ev in zip(items, decision.events, strict=True))])
    await txn.save(stored(held, txn.stored.applied))
    return accepted(cmd, held.current, single_writer.said(items, positions))


async def caught_up(d: Directing, project_id: str, version: int) -> None:
    await plumbing.caught_up(lambda: d.states.version(project_id), version, d.catch_up_seconds)


# ---------------------------------------------------------------- folding
async def fold(decoded: Decoded, d: Directing) -> None:
    """Fold one event of ``video.projects``, whoever wrote it, into its project's state (once per
    event id), in the log's order."""
    event, pid = decoded.message, getattr(decoded.message, "project_id", None)
    if not isinstance(event, e.Event) or not isinstance(pid, str):
        raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {t.VIDEO_PROJECTS}")
    if isinstance(event, e.VideoStageProgressed):
        return  # a progress tick: nothing a decision reads, and not one of the project's versions
    eid = decoded.envelope.id
    async with d.states.project(pid) as txn:
        if eid in txn.stored.applied:
            return
        held = decode(txn.stored.state)
        settled = video.fold(held.settled, event)
        if settled is None:
            return  # nothing before the project's creation
        held = Held(settled, [(i, ev) for i, ev in held.pending if i != eid])
        await txn.save(stored(held, remember(txn.stored.applied, [eid])))


def register(agent: Agent) -> None:
    d = Directing(states=agent.deps.video_states, out=agent.producer)

    async def one_command(message: Any) -> None:
        await decide(registry.decode(message.value or b""), d)

    async def one_event(message: Any) -> None:
        await fold(registry.decode(message.value or b""), d)

    agent.consume(t.VIDEO_COMMANDS, "direct", one_command)
    agent.consume(t.VIDEO_PROJECTS, "direct.fold", one_event)
