"""An automation's lifecycle: what each request emits, decided from the automation's own state.

    draft ──activate──▶ active ◀──activate── paused
      │                   │  └─────pause──────▶ │
      └───────────────────┴──────delete─────────┴──▶ deleted

``version`` is the definition's: 1 when created, one more per edit (an activation, a pause or a
delete records the version it applied to, and changes none). An activation, and an edit of an active
automation, must pass :func:`domain.automation.validate.problems`, else it is refused naming the
first problem's field; a draft or a paused automation may be saved half-written. Pure:
:func:`handle` is the automations' single writer's one entry (``streams/define.py``), deciding
against the state :func:`fold` made of the automation's own events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from commands.exceptions import AutomationNotFound, InvalidContent, InvalidTransition, VersionConflict
from domain.automation.validate import problems
from schemas import commands as c
from schemas import events as e
from schemas.automations import Definition

__all__ = ["Automation", "Status", "fold", "handle"]

Status = Literal["draft", "active", "paused", "deleted"]


@dataclass(frozen=True)
class Automation:
    automation_id: str
    site_id: str
    status: Status
    version: int
    definition: Definition


def _definition(data: dict[str, Any]) -> Definition:
    return Definition.model_validate(data)


def _check(definition: Definition, action: str) -> None:
    found = problems(definition)
    if found:
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidContent(f"cannot {action}: {first.detail}{more}", field=first.field)


def handle(state: Automation | None, cmd: c.DecideAutomation, now: datetime) -> list[e.Event]:
    """The single writer's decision on one command (``now`` is the decision's time, for the record)."""
    del now  # nothing here depends on the time yet; kept so that a rule that does needs no new wiring
    action = cmd.action
    aid, site = cmd.automation_id, cmd.site_id
    if isinstance(action, c.CreateAutomation):
        if state is not None:
            raise InvalidTransition(f"automation {aid} exists already (it is {state.status})", field="automation_id")
        definition = action.definition.model_dump(mode="json")
        return [e.AutomationCreated(automation_id=aid, site_id=site, version=1, definition=definition, created_by=cmd.requested_by)]
    if state is None or state.site_id != site or state.status == "deleted":  # another site's automation does not exist here
        raise AutomationNotFound(f"no automation {aid}", field="automation_id")
    if cmd.expected_version is not None and cmd.expected_version != state.version:
        raise VersionConflict(
            f"automation {aid} is at version {state.version}, not {cmd.expected_version}: read it again", field="If-Match"
        )
    if isinstance(action, c.EditAutomation):
        if state.status == "active":
            _check(action.definition, "change an active automation so")
        definition = action.definition.model_dump(mode="json")
        return [e.AutomationEdited(automation_id=aid, site_id=site, version=state.version + 1, definition=definition)]
    if isinstance(action, c.ActivateAutomation):
        if state.status == "active":
            raise InvalidTransition(f"automation {aid} is active already", field="status")
        _check(state.definition, "activate")
        return [e.AutomationActivated(automation_id=aid, site_id=site, version=state.version)]
    if isinstance(action, c.PauseAutomation):
        if state.status != "active":
            raise InvalidTransition(f"cannot pause an automation that is {state.status}", field="status")
        return [e.AutomationPaused(automation_id=aid, site_id=site, version=state.version)]
    if isinstance(action, c.DeleteAutomation):
        return [e.AutomationDeleted(automation_id=aid, site_id=site, version=state.version)]
    raise InvalidTransition(f"unknown command {type(action).__name__}", field="action")


def fold(state: Automation | None, event: e.Event) -> Automation | None:
    """The automation after one more of its events (its creation starts it)."""
    match event:
        case e.AutomationCreated():
            if state is not None:
                return state
            return Automation(event.automation_id, event.site_id, "draft", event.version, _definition(event.definition))
        case e.AutomationEdited() if state is not None:
            return replace(state, version=event.version, definition=_definition(event.definition))
        case e.AutomationActivated() if state is not None:
            return replace(state, status="active")
        case e.AutomationPaused() if state is not None:
            return replace(state, status="paused")
        case e.AutomationDeleted() if state is not None:
            return replace(state, status="deleted")
    return state
