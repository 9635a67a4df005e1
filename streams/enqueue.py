"""enqueue: the single writer of queues (issue 25: recurring and evergreen posts).

Commands arrive on ``social.queues.commands`` keyed by queue id — a person's from the API (create,
add an item, prioritise, pause, resume) and the timer's (``recur``: fire a due occurrence) — and each
is decided by :func:`commands.queues.handle` under the queue's lock, against the state folded from the
queue's own events on ``social.queues``. What a command produced, or why it was refused, is recorded
by command id for the API to answer with. Like ``define``, it folds its own events as it appends them
(remembering their ids), and the fold below drops them when they come back from the log; the two
share how (``streams.single_writer``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.kafka import Producer
from adapters.post_states import Outcome
from adapters.queues import QueueStateStore, StoredQueue
from commands import queues as decider
from commands.exceptions import CommandRefused, InvalidTransition, QueueNotFound
from schemas import events as e
from schemas import topics as t
from schemas.commands import DecideQueue
from schemas.envelope import utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams import single_writer
from streams.plumbing import Agent

SOURCE = "socializer/enqueue"
log = logging.getLogger("socializer.enqueue")
MOST_EVENTS = 1  # a decision's first event's derived id says it was decided (a create may emit its items after it)


@dataclass
class Enqueuing:
    states: QueueStateStore
    out: Producer
    clock: Callable[[], datetime] = utcnow


def state_of(queue_id: str, s: StoredQueue) -> decider.Queue | None:
    """The queue as its decider folds it (its JSON names its id)."""
    return decider.from_json(s.state) if s.state is not None else None


def stored(q: decider.Queue, applied: list[str]) -> StoredQueue:
    return StoredQueue(q.site_id, q.status, decider.to_json(q), applied)


def summary(q: decider.Queue) -> dict[str, Any]:
    return {"status": q.status, "version": q.version, "items": len(q.items), "posted": q.posted}


def refusal(err: CommandRefused, cmd: DecideQueue, q: decider.Queue | None) -> Outcome:
    status = 404 if isinstance(err, QueueNotFound) else 409 if isinstance(err, InvalidTransition) else 422
    body: dict[str, Any] = {
        "queue_id": cmd.queue_id,
        "site_id": cmd.site_id,
        "code": err.code,
        "title": type(err).__name__,
        "detail": err.detail,
        "field": err.field,
    }
    if q is not None and q.site_id == cmd.site_id and status != 404:
        body["state"] = {"status": q.status, "version": q.version}
    return Outcome(status, body)


def accepted(cmd: DecideQueue, q: decider.Queue | None, events: list[dict[str, Any]]) -> Outcome:
    body: dict[str, Any] = {"queue_id": cmd.queue_id, "site_id": cmd.site_id, "events": events}
    if q is not None:
        body |= summary(q)
    return Outcome(202, body)


WRITER = single_writer.Writer(SOURCE, t.QUEUES, MOST_EVENTS, decider, load=state_of, dump=stored, refusal=refusal, accepted=accepted)


async def decide(decoded: Decoded, d: Enqueuing) -> Outcome:
    cmd = decoded.message
    if not isinstance(cmd, DecideQueue):
        raise InvalidEvent(f"envelope.type: expected DecideQueue, got {decoded.envelope.type!r}")
    async with d.states.queue(cmd.queue_id) as txn:
        return await single_writer.decide(WRITER, txn, cmd.queue_id, cmd, decoded.envelope, d.out, d.clock())


async def fold(decoded: Decoded, d: Enqueuing) -> None:
    """Fold one event of ``social.queues`` into its queue's state (once per event id)."""
    event, qid = decoded.message, getattr(decoded.message, "queue_id", None)
    if not isinstance(event, e.Event) or not isinstance(qid, str):
        raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {t.QUEUES}")
    async with d.states.queue(qid) as txn:
        await single_writer.fold(WRITER, txn, qid, decoded.envelope.id, event)


def register(agent: Agent) -> None:
    states = agent.deps.queue_states
    if states is None:
        return
    d = Enqueuing(states=states, out=agent.producer)

    async def one_command(message: Any) -> None:
        await decide(registry.decode(message.value or b""), d)

    async def one_event(message: Any) -> None:
        await fold(registry.decode(message.value or b""), d)

    agent.consume(t.QUEUE_COMMANDS, "enqueue", one_command)
    agent.consume(t.QUEUES, "enqueue.fold", one_event)
