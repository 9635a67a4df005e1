"""define: the single writer of automations' definitions.

Commands arrive on ``social.automations.commands`` keyed by automation id, from the API; each is
decided by :func:`commands.automations.handle` under the automation's lock, against the state folded
from its own events on ``social.automations``. Of two conflicting commands exactly one wins; the
other is refused (a stale ``expected_version`` is a 409 naming the current version; an activation
that does not pass the checks a 422 naming the first problem's field). What a command produced, or
why it was refused, is recorded by command id for the API to answer with.

This writer is the only one of ``social.automations``: it folds its own events as it appends them,
remembering their ids, and the fold below drops them when they come back from the log (it folds
what this writer's state lacks after a crash between the append and the save). How it decides and
folds it shares with the queues' writer (``streams.single_writer``); what is its own is below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.automations import AutomationStateStore, AutomationTxn, StoredAutomation
from adapters.kafka import Producer
from adapters.post_states import Outcome
from commands import automations as decider
from commands.exceptions import AutomationNotFound, CommandRefused, InvalidTransition
from schemas import events as e
from schemas import topics as t
from schemas.automations import Definition
from schemas.commands import DecideAutomation
from schemas.envelope import utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams import single_writer
from streams.plumbing import Agent

SOURCE = "socializer/define"
log = logging.getLogger("socializer.define")
MOST_EVENTS = 2  # a decision emits at most this many events (one, today): their derived ids say it was decided


@dataclass
class Defining:
    states: AutomationStateStore
    out: Producer
    clock: Callable[[], datetime] = utcnow


def state_of(automation_id: str, s: StoredAutomation) -> decider.Automation | None:
    if s.definition is None:
        return None
    return decider.Automation(automation_id, s.site_id, s.status, s.version, Definition.model_validate(s.definition))  # type: ignore[arg-type]


def stored(state: decider.Automation, applied: list[str]) -> StoredAutomation:
    return StoredAutomation(state.site_id, state.status, state.version, state.definition.model_dump(mode="json"), applied)


def refusal(err: CommandRefused, cmd: DecideAutomation, state: decider.Automation | None) -> Outcome:
    status = 404 if isinstance(err, AutomationNotFound) else 409 if isinstance(err, InvalidTransition) else 422  # InvalidContent
    body: dict[str, Any] = {
        "automation_id": cmd.automation_id,
        "site_id": cmd.site_id,
        "code": err.code,
        "title": type(err).__name__,
        "detail": err.detail,
        "field": err.field,
    }
    if state is not None and state.site_id == cmd.site_id and status != 404:  # its state, to whoever may see it
        body["state"] = {"status": state.status, "version": state.version}
    return Outcome(status, body)


def accepted(cmd: DecideAutomation, state: decider.Automation | None, events: list[dict[str, Any]]) -> Outcome:
    body: dict[str, Any] = {"automation_id": cmd.automation_id, "site_id": cmd.site_id, "events": events}
    if state is not None:
        body |= {"status": state.status, "version": state.version, "name": state.definition.name}
        body["definition"] = state.definition.model_dump(mode="json")
    return Outcome(202, body)


WRITER = single_writer.Writer(SOURCE, t.AUTOMATIONS, MOST_EVENTS, decider, load=state_of, dump=stored, refusal=refusal, accepted=accepted)


async def decide(decoded: Decoded, d: Defining) -> Outcome:
    cmd = decoded.message
    if not isinstance(cmd, DecideAutomation):
        raise InvalidEvent(f"envelope.type: expected DecideAutomation, got {decoded.envelope.type!r}")
    txn: AutomationTxn
    async with d.states.automation(cmd.automation_id) as txn:
        return await single_writer.decide(WRITER, txn, cmd.automation_id, cmd, decoded.envelope, d.out, d.clock())


async def fold(decoded: Decoded, d: Defining) -> None:
    """Fold one event of ``social.automations`` into its automation's state (once per event id)."""
    event, aid = decoded.message, getattr(decoded.message, "automation_id", None)
    if not isinstance(event, e.Event) or not isinstance(aid, str):
        raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {t.AUTOMATIONS}")
    async with d.states.automation(aid) as txn:
        await single_writer.fold(WRITER, txn, aid, decoded.envelope.id, event)


def register(agent: Agent) -> None:
    d = Defining(states=agent.deps.automation_states, out=agent.producer)

    async def one_command(message: Any) -> None:
        await decide(registry.decode(message.value or b""), d)

    async def one_event(message: Any) -> None:
        await fold(registry.decode(message.value or b""), d)

    agent.consume(t.AUTOMATION_COMMANDS, "define", one_command)
    agent.consume(t.AUTOMATIONS, "define.fold", one_event)
