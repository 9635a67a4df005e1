"""What the single writers of automations (``define``) and queues (``enqueue``) do alike, so each
agent only says what is its own (a :class:`Writer`): its topic, its pure decider, how its state is
stored and how its answers read.

A command is decided under the aggregate's lock against the state folded from the aggregate's own
events; its events are appended before the state moves, with ids derived from the command's, so a
command decided again after a crash makes the same events and the fold drops them as repeats. What
it produced, or why it was refused, is recorded by command id for the API to answer with. The writer
folds its own events as it appends them, remembering their ids; :func:`fold` drops them when they
come back from the log, and folds what the state lacks after a crash between the append and the save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from adapters.aggregates import Txn, remember
from adapters.kafka import Position, Producer, send_all
from adapters.post_states import Outcome
from commands.exceptions import CommandRefused
from schemas import events as e
from schemas.envelope import Envelope, derived_id
from schemas.registry import registry

__all__ = ["Decider", "Writer", "decide", "fold", "said"]


class _Stored(Protocol):
    applied: list[str]


class _Command(Protocol):
    @property
    def command_id(self) -> str: ...


A = TypeVar("A")  # the aggregate as its decider folds it
S = TypeVar("S", bound=_Stored)  # the aggregate as its store keeps it
C = TypeVar("C", bound=_Command)  # the command the writer decides
C_contra = TypeVar("C_contra", contravariant=True)


class Decider(Protocol[A, C_contra]):
    """An aggregate's pure decider (``commands.automations``, ``commands.queues``)."""

    def handle(self, state: A | None, cmd: C_contra, now: datetime) -> list[e.Event]: ...

    def fold(self, state: A | None, event: e.Event) -> A | None: ...


@dataclass(frozen=True)
class Writer(Generic[A, S, C]):
    """One aggregate's writer: it appends to ``topic`` what ``decider`` decides; ``decided_by``: how
    many of a decision's first events' derived ids say the command was decided (found in ``applied``:
    decided before a crash, its events on the log); ``load`` and ``dump`` translate the stored state."""

    source: str
    topic: str
    decided_by: int
    decider: Decider[A, C]
    load: Callable[[str, S], A | None]
    dump: Callable[[A, list[str]], S]
    refusal: Callable[[CommandRefused, C, A | None], Outcome]
    accepted: Callable[[C, A | None, list[dict[str, Any]]], Outcome]


async def decide(w: Writer[A, S, C], txn: Txn[S], aggregate_id: str, cmd: C, cause: Envelope, out: Producer, now: datetime) -> Outcome:
    """Decide ``cmd`` in ``txn`` (the aggregate's unit of work, held by the caller): the first answer
    to a command decided before, else the decision's, recorded."""
    known = await txn.outcome(cmd.command_id)
    if known is not None:
        return known  # a redelivered or retried command: the first answer
    state = w.load(aggregate_id, txn.stored)
    mine = {derived_id(cmd.command_id, str(i)) for i in range(w.decided_by)}
    if mine & set(txn.stored.applied):
        outcome = w.accepted(cmd, state, [])  # decided before a crash: its events are on the log and folded
    else:
        try:
            events = w.decider.handle(state, cmd, now)
        except CommandRefused as err:
            outcome = w.refusal(err, cmd, state)
        else:
            items = [
                (
                    aggregate_id,
                    registry.envelope(
                        ev,
                        source=w.source,
                        subject=aggregate_id,
                        id=derived_id(cmd.command_id, str(i)),  # re-decided after a crash: the same ids, dropped as repeats
                        correlationid=cause.correlationid or cause.id,
                        causationid=cause.id,
                    ),
                )
                for i, ev in enumerate(events)
            ]
            # On the log before the state moves: what reads the state (the automations' runs, the queues'
            # timer) acts on nothing the log does not have.
            positions = await send_all(out, w.topic, items)
            for ev in events:
                state = w.decider.fold(state, ev)
            if state is not None and events:
                await txn.save(w.dump(state, remember(txn.stored.applied, [env.id for _, env in items])))
            outcome = w.accepted(cmd, state, said(items, positions))
    await txn.record(cmd.command_id, outcome)
    return outcome


async def fold(w: Writer[A, S, C], txn: Txn[S], aggregate_id: str, event_id: str, event: e.Event) -> None:
    """Fold one event from the log into the aggregate's state in ``txn`` (once per event id)."""
    if event_id in txn.stored.applied:
        return
    state = w.decider.fold(w.load(aggregate_id, txn.stored), event)
    if state is not None:
        await txn.save(w.dump(state, remember(txn.stored.applied, [event_id])))


def said(items: list[tuple[str, Envelope]], positions: list[Position]) -> list[dict[str, Any]]:
    """Where each appended event landed, as a command's outcome names it (the API waits on these)."""
    return [
        {"event_id": env.id, "type": env.type, "topic": p.topic, "partition": p.partition, "offset": p.offset}
        for (_, env), p in zip(items, positions, strict=True)
    ]
