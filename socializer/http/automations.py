"""Automations' definitions: keyword triggers and the flows they run (issue 22). Reads come from the
read model (an automation's ETag is its version); every command goes to the automations' single
writer (``streams.define``, over ``social.automations.commands``) and the answer is what it decided,
once the read model shows it: the automation, the refusal as a problem naming the field (an
activation's first problem: ``nodes[2].text``), or ``pending`` with the command's id if it did not
decide in time. A site sees only its own automations; another's is a 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, Field

from adapters.api_keys import Caller
from commands.exceptions import AutomationNotFound
from projections import automations as q
from schemas import commands as c
from schemas import topics as t
from schemas.automations import Definition
from schemas.envelope import derived_id
from socializer.http.asking import Aggregate, IdempotencyKey, ask
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS, Position
from socializer.http.problems import ORJSON

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)

Status = Literal["draft", "active", "paused"]
AutomationId = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
IfMatch = Header(
    None, alias="If-Match", max_length=100, description="the automation's version (its ETag) the change was made on: another is a 409"
)


class AutomationOut(BaseModel):
    automation_id: str
    site_id: str
    name: str
    status: Literal["draft", "active", "paused", "deleted"]
    version: int = Field(description="the definition's version: 1, one more per edit; its ETag, and what If-Match sends back")
    definition: Definition
    created_by: str = ""
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None = None


class AutomationPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[AutomationOut]


class AutomationDecided(BaseModel):
    automation_id: str
    site_id: str
    status: Literal["draft", "active", "paused", "deleted", "pending"] = Field(
        description="the automation's status after the command; pending: its writer had not decided it within the deadline"
        " (GET it later, or retry with the same Idempotency-Key)"
    )
    version: int | None = Field(None, description="the definition's version after the command (send it back as If-Match)")
    name: str | None = None
    definition: Definition | None = None
    command_id: str
    events: list[Position] = Field(default_factory=list)


PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": AutomationDecided, "description": "Not decided within the deadline: status pending, with the command's id"}
}


# ---------------------------------------------------------------- reading
@router.get("/automations/", response_model=AutomationPage, summary="The site's automations, newest first (deleted ones are not listed)")
async def list_automations(
    request: Request,
    who: Caller = reader,
    status: Status | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.automations(svc.pool, site_id=who.site_id, status=status, limit=limit, offset=offset)
    return ORJSON(page(request, items, total, limit, offset))


@router.get("/automations/{automation_id}/", response_model=AutomationOut, summary="One automation; its ETag is its version")
async def get_automation(automation_id: str = AutomationId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await q.automation(svc.pool, automation_id)
    if row is None or row["site_id"] != who.site_id or row["status"] == "deleted":  # another site's does not exist here
        raise AutomationNotFound(f"no automation {automation_id}", field="automation_id")
    return ORJSON(row, headers={"ETag": f'"{row["version"]}"'})


# ---------------------------------------------------------------- deciding
AUTOMATIONS = Aggregate(
    noun="automation",
    ids="automation-command",
    key="automation_id",
    command=c.DecideAutomation,
    topic=t.AUTOMATION_COMMANDS,
    projection="automations",
    answer=AutomationDecided,
    copies=("version", "name", "definition"),
)


@router.post(
    "/automations/",
    status_code=201,
    response_model=AutomationDecided,
    responses=PENDING,
    summary="Create an automation: a draft at version 1 (checked when it is activated)",
)
async def create_automation(
    body: Definition, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    automation_id = derived_id("automation", who.site_id, idempotency_key) if idempotency_key else str(uuid.uuid4())
    create = c.CreateAutomation(definition=body)
    return await ask(svc, who, AUTOMATIONS, automation_id, "create", create, ok=201, idempotency_key=idempotency_key)


@router.put(
    "/automations/{automation_id}/",
    response_model=AutomationDecided,
    responses=PENDING,
    summary="Replace the definition: a new version (an active automation's must pass the activation's checks)",
)
async def edit_automation(
    body: Definition,
    automation_id: str = AutomationId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    edit = c.EditAutomation(definition=body)
    return await ask(svc, who, AUTOMATIONS, automation_id, "edit", edit, if_match=if_match, idempotency_key=idempotency_key)


def _transition(path: str, kind: str, action: c.Command, summary: str, method: str = "post") -> None:
    async def run(
        automation_id: str = AutomationId,
        who: Caller = writer,
        svc: Services = Svc,
        if_match: str | None = IfMatch,
        idempotency_key: str | None = IdempotencyKey,
    ) -> Any:
        return await ask(svc, who, AUTOMATIONS, automation_id, kind, action, if_match=if_match, idempotency_key=idempotency_key)

    run.__name__ = f"{kind}_automation"
    getattr(router, method)(f"/automations/{{automation_id}}/{path}", response_model=AutomationDecided, responses=PENDING, summary=summary)(
        run
    )


_transition(
    "activate/",
    "activate",
    c.ActivateAutomation(),
    "Activate: the flow is checked (422 naming the first problem's field), then runs on matching comments and messages",
)
_transition("pause/", "pause", c.PauseAutomation(), "Pause an active automation: no new runs, and its runs end")
_transition("", "delete", c.DeleteAutomation(), "Delete an automation (its runs end); it is gone for its site", method="delete")
