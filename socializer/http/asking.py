"""Asking one aggregate's single writer to decide a command, and answering with what it decided: the
glue the automations', queues' and video projects' routes share (a post's commands go through
``Services.command``, which also sends many at once).

The command goes to the writer's commands topic with the version the caller decided on (``If-Match``)
and an id derived from the ``Idempotency-Key`` (a retry gets the first answer, and changes nothing).
The answer is the decision once the read model shows it, the refusal as a problem naming the field,
or ``pending`` with the command's id if the writer did not decide within the deadline."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Header
from pydantic import BaseModel

from adapters.api_keys import Caller
from schemas import commands as c
from schemas.envelope import derived_id
from socializer.http.deps import Services
from socializer.http.models import Position
from socializer.http.problems import ORJSON, Problem

__all__ = ["Aggregate", "IdempotencyKey", "ask", "version"]

IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=200,
    description="a retried request with the same key gets the first answer, and changes nothing",
)


@dataclass(frozen=True)
class Aggregate:
    """One kind of aggregate as the API asks its writer. ``command`` has ``command_id``, ``key``,
    ``site_id``, ``expected_version``, ``requested_by`` and one field per action; ``answer`` has
    ``key``, ``status``, ``command_id``, ``events`` (and ``site_id`` if it says it), and ``copies``
    are the fields it takes from the writer's decision besides ``status``."""

    noun: str  # what If-Match's problem calls one ("the automation's version")
    ids: str  # what command ids are derived under
    key: str  # the aggregate's id field
    command: type[c.Command]
    topic: str
    projection: str  # the read model an answer waits for: read your writes
    answer: type[BaseModel]
    copies: tuple[str, ...]
    deadline: float | None = None  # seconds to wait for the decision; None: the settings' command deadline
    etag: bool = True  # a decided answer carries the version as its ETag
    digits: int | None = 9  # the most digits If-Match's version may have (None: any)
    name: str = ""  # what the 409 for a version no read showed calls one ("video project"; default: the noun)


async def ask(
    svc: Services,
    who: Caller,
    a: Aggregate,
    aggregate_id: str,
    kind: str,
    action: c.Command | Callable[[], Awaitable[c.Command]],
    *,
    ok: int = 200,
    if_match: str | None = None,
    idempotency_key: str | None = None,
    seen: int | None = None,
    **fields: Any,
) -> Any:
    """Send one command (``kind``: its action's field) to the writer and answer with what it decided.
    ``action`` may be a coroutine function, called only if the command was not decided before (what it
    costs is not paid again on a retry). ``seen``: the version the caller read (the writer decides on no
    older state, and no read showed a newer one); ``fields``: more of the command's fields."""
    expected = version(if_match, a) if if_match else None
    if expected is not None and seen is not None and expected > seen:  # no read ever showed it
        detail = f"{a.name or a.noun} {aggregate_id} has no version {expected} (it is at {seen}): read it again"
        raise Problem(409, "VersionConflict", detail, code="version_conflict", field="If-Match")
    key = idempotency_key
    command_id = derived_id(a.ids, who.site_id, key, kind, aggregate_id) if key else str(uuid.uuid4())
    outcome = (await svc.outcomes.wait([command_id], 0)).get(command_id) if key else None
    if outcome is None:
        given = {"seen_version": seen} if seen is not None else {}
        cmd = a.command.model_validate(
            {
                "command_id": command_id,
                a.key: aggregate_id,
                "site_id": who.site_id,
                "expected_version": expected,
                "requested_by": who.key_id,
                kind: action if isinstance(action, c.Command) else await action(),
            }
            | given
            | fields
        )
        await svc.bus.append(a.topic, aggregate_id, cmd, id=derived_id(command_id, "envelope"))
        deadline = svc.settings.command_deadline_seconds if a.deadline is None else a.deadline
        outcome = (await svc.outcomes.wait([command_id], deadline)).get(command_id)
    mine = {a.key: aggregate_id, "command_id": command_id} | ({"site_id": who.site_id} if "site_id" in a.answer.model_fields else {})
    if outcome is None:  # decided later; the aggregate will show it
        return ORJSON(a.answer(**mine, status="pending").model_dump(mode="json"), 202)
    b = outcome.body
    if outcome.status != 202:
        raise Problem(outcome.status, b.get("title", "Refused"), b.get("detail", ""), code=b.get("code"), field=b.get("field"))
    positions = [Position(**p) for p in b.get("events", [])]
    await svc.wait_for(positions, a.projection)  # read your writes: the read model shows the decision
    out = a.answer(**mine, status=b["status"], **{k: b.get(k) for k in a.copies}, events=positions)
    headers = {"ETag": f'"{b["version"]}"'} if a.etag else None
    return ORJSON(out.model_dump(mode="json", exclude_none=True), ok, headers=headers)


def version(if_match: str, a: Aggregate) -> int:
    """``If-Match: "7"`` (the ETag a read returned), or a bare number."""
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or (a.digits is not None and len(raw) > a.digits):
        detail = f"If-Match: the {a.noun}'s version, as its ETag gave it"
        raise Problem(400, "Invalid request", detail, code="invalid_request", field="If-Match")
    return int(raw)
