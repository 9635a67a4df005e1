"""Queues (issue 25): recurring and evergreen posts for one account. Reads come from the read model
(a queue's ETag is its version); every command goes to the queues' single writer (``streams.enqueue``,
over ``social.queues.commands``) and the answer is what it decided, once the read model shows it: the
queue, the refusal as a problem naming the field, or ``pending`` with the command's id. A bad RRULE or
time zone is a 422 naming ``rrule`` or ``tzid`` before anything is sent. A site sees only its own queues."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, Field

from adapters.api_keys import Caller
from commands.exceptions import QueueNotFound
from domain.platforms import POSTING
from domain.queues import InvalidRule, recurrence, upcoming
from projections import queues as q
from schemas import commands as c
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from socializer.http.asking import Aggregate, IdempotencyKey, ask
from socializer.http.deps import Services, Svc, page, reader, writer
from socializer.http.models import PROBLEMS, Position
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)

QueueId = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
ItemId = Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
IfMatch = Header(
    None, alias="If-Match", max_length=100, description="the queue's version (its ETag) the change was made on: another is a 409"
)
NEXT = 5  # occurrences shown ahead


class QueueItemOut(BaseModel):
    item_id: str
    text: str
    link_url: str | None = None
    media_urls: list[str] = Field(default_factory=list)
    priority: bool = False
    seq: int
    held: str = Field("", description="why the posts' writer refused this item when it went: it waits, passed over, for a person")


class QueueOut(BaseModel):
    queue_id: str
    site_id: str
    account_id: str
    platform: str
    name: str
    kind: Literal["fifo", "evergreen"]
    rrule: str
    tzid: str
    starts_at: datetime
    content_id: str | None = None
    min_gap_hours: float
    status: Literal["active", "paused"]
    version: int = Field(description="moves with every item, priority, pause and resume: the ETag, and what If-Match sends back")
    items: list[QueueItemOut] = Field(description="the waiting items in the order they will be posted (priority first), then the held ones")
    posted: int
    skipped: int
    last_occurrence: datetime | None = None
    last_post_id: str | None = None
    last_skip: str | None = None
    next_occurrences: list[datetime] = Field(default_factory=list, description=f"the next {NEXT} occurrences, in UTC")
    created_by: str = ""
    created_at: datetime
    updated_at: datetime


class QueuePage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[QueueOut]


class QueueDecided(BaseModel):
    queue_id: str
    site_id: str
    status: Literal["active", "paused", "pending"] = Field(
        description="the queue's status after the command; pending: its writer had not decided it within the deadline"
    )
    version: int | None = None
    items: int | None = Field(None, description="items waiting")
    posted: int | None = None
    command_id: str
    events: list[Position] = Field(default_factory=list)


class ItemIn(BaseModel):
    text: str = Field(min_length=1, max_length=63206)
    link_url: str | None = Field(None, max_length=2000)
    media_urls: list[str] = Field(default_factory=list, max_length=10, description="images or a video: Instagram and TikTok need one")
    priority: bool = Field(False, description="goes before every item without priority")
    item_id: str | None = Field(
        None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$", description="default: derived from the Idempotency-Key, else new"
    )


PENDING: dict[int | str, dict[str, Any]] = {202: {"model": QueueDecided, "description": "Not decided within the deadline: pending"}}


def _next(row: dict[str, Any]) -> list[datetime]:
    rule = recurrence(row["rrule"], row["tzid"], row["starts_at"])
    return upcoming(rule, row["starts_at"], row["last_occurrence"], utcnow(), NEXT)


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"next_occurrences": _next(row) if row["status"] == "active" else []}


# ---------------------------------------------------------------- reading
@router.get("/queues/", response_model=QueuePage, summary="The site's queues, newest first")
async def list_queues(
    request: Request,
    who: Caller = reader,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.queues(svc.pool, site_id=who.site_id, limit=limit, offset=offset)
    return ORJSON(page(request, [_out(i) for i in items], total, limit, offset))


@router.get(
    "/queues/{queue_id}/", response_model=QueueOut, summary="One queue, its waiting items and next occurrences; its ETag is its version"
)
async def get_queue(queue_id: str = QueueId, who: Caller = reader, svc: Services = Svc) -> Any:
    row = await q.queue(svc.pool, queue_id)
    if row is None or row["site_id"] != who.site_id:
        raise Problem(404, "Not found", f"queue_id: no queue {queue_id}", code=QueueNotFound.code, field="queue_id")
    return ORJSON(_out(row), headers={"ETag": f'"{row["version"]}"'})


# ---------------------------------------------------------------- deciding
QUEUES = Aggregate(
    noun="queue",
    ids="queue-command",
    key="queue_id",
    command=c.DecideQueue,
    topic=t.QUEUE_COMMANDS,
    projection="queues",
    answer=QueueDecided,
    copies=("version", "items", "posted"),
)


@router.post(
    "/queues/",
    status_code=201,
    response_model=QueueDecided,
    responses=PENDING,
    summary="Create a queue for one account: an RFC 5545 RRULE in a time zone; fifo (its items) or evergreen (an article's best posts)",
)
async def create_queue(body: c.CreateQueue, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey) -> Any:
    try:  # an impossible rule is searched for a while: not on the event loop
        await asyncio.to_thread(recurrence, body.rrule, body.tzid, body.starts_at or utcnow())
    except InvalidRule as err:
        raise Problem(422, "Invalid queue", f"{err.field}: {err.detail}", code="invalid_rule", field=err.field) from err
    if body.kind == "evergreen" and not body.content_id:
        raise Problem(
            422,
            "Invalid queue",
            "content_id: an evergreen queue re-posts an article's best posts",
            code="invalid_content",
            field="content_id",
        )
    found = await svc.accounts.get(body.account_id, fresh=True)
    if found is None or found.site_id != who.site_id or found.status == "disconnected":
        raise Problem(
            404, "Not found", f"account_id: no account {body.account_id} on this site", code="account_not_found", field="account_id"
        )
    if found.platform not in POSTING:
        raise Problem(
            422,
            "Invalid queue",
            f"account_id: {found.platform} accounts publish videos, not posts",
            code="invalid_content",
            field="account_id",
        )
    queue_id = derived_id("queue", who.site_id, idempotency_key) if idempotency_key else str(uuid.uuid4())
    return await ask(svc, who, QUEUES, queue_id, "create", body, ok=201, idempotency_key=idempotency_key, platform=found.platform)


@router.post(
    "/queues/{queue_id}/items/", status_code=201, response_model=QueueDecided, responses=PENDING, summary="Add an item to a fifo queue"
)
async def add_item(
    body: ItemIn,
    queue_id: str = QueueId,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    item_id = body.item_id or (derived_id("queue-item", who.site_id, queue_id, idempotency_key) if idempotency_key else str(uuid.uuid4()))
    add = c.AddQueueItem(item_id=item_id, text=body.text, link_url=body.link_url, media_urls=body.media_urls, priority=body.priority)
    return await ask(svc, who, QUEUES, queue_id, "add", add, ok=201, if_match=if_match, idempotency_key=idempotency_key)


@router.post(
    "/queues/{queue_id}/items/{item_id}/priority/",
    response_model=QueueDecided,
    responses=PENDING,
    summary="Give a waiting item priority (it goes first), or take it away (?priority=false)",
)
async def prioritise_item(
    queue_id: str = QueueId,
    item_id: str = ItemId,
    priority: bool = True,
    who: Caller = writer,
    svc: Services = Svc,
    if_match: str | None = IfMatch,
    idempotency_key: str | None = IdempotencyKey,
) -> Any:
    action = c.PrioritiseQueueItem(item_id=item_id, priority=priority)
    return await ask(svc, who, QUEUES, queue_id, "prioritise", action, if_match=if_match, idempotency_key=idempotency_key)


def _transition(path: str, kind: str, action: c.Command, summary: str) -> None:
    async def run(
        queue_id: str = QueueId,
        who: Caller = writer,
        svc: Services = Svc,
        if_match: str | None = IfMatch,
        idempotency_key: str | None = IdempotencyKey,
    ) -> Any:
        return await ask(svc, who, QUEUES, queue_id, kind, action, if_match=if_match, idempotency_key=idempotency_key)

    run.__name__ = f"{kind}_queue"
    router.post(f"/queues/{{queue_id}}/{path}", response_model=QueueDecided, responses=PENDING, summary=summary)(run)


_transition("pause/", "pause", c.PauseQueue(), "Pause a queue: its occurrences make no post until it is resumed")
_transition("resume/", "resume", c.ResumeQueue(), "Resume a paused queue (the occurrences missed while paused are not caught up)")
