"""The inbox: comments and messages on the site's accounts, per post and conversation, with the
replies we made in their threads; and the actions on them — a public reply, a private reply, a DM,
a hide — each an irreversible effect sent at most once (:mod:`streams.answer`), refused before any
call when it breaks its platform's rules (422, the reason named)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.api_keys import Caller
from adapters.replies import Decided, PostgresReplies, ReplyAsk
from commands import reply
from domain.inbox import Thread
from domain.publishing import Attempt
from projections import inbox as q
from schemas.envelope import utcnow
from schemas.events import InboxKind
from socializer.http.deps import Services, Svc, own_site, page, reader, relay_now, writer
from socializer.http.models import PROBLEMS
from socializer.http.problems import ORJSON, Problem

router = APIRouter(prefix="/api/v1/social", responses=PROBLEMS)
IdempotencyKey = Header(None, alias="Idempotency-Key", max_length=200, description="the same key and item: the same reply, sent once")


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)


@router.get("/inbox/", summary="Comments and messages, newest first, with our replies in their threads")
async def list_inbox(
    request: Request,
    site_id: str | None = None,
    who: Caller = reader,
    platform: str | None = None,
    account_id: str | None = None,
    post_id: str | None = Query(None, description="ours, or the platform's post id"),
    conversation_id: str | None = None,
    unanswered: bool | None = Query(None, description="true: only what waits for an answer (never our own echoes)"),
    kind: InboxKind | None = Query(None, description="only items of this kind"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000),
    svc: Services = Svc,
) -> Any:
    items, total = await q.list_items(
        svc.pool,
        site_id=own_site(who, site_id),
        platform=platform,
        account_id=account_id,
        post_id=post_id,
        conversation_id=conversation_id,
        unanswered=unanswered,
        kind=kind,
        limit=limit,
        offset=offset,
    )
    return ORJSON(page(request, items, total, limit, offset))


async def _item(svc: Services, who: Caller, item_id: str) -> dict[str, Any]:
    item = await q.get_item(svc.pool, item_id)
    if item is None or item["site_id"] != who.site_id:
        raise Problem(404, "Not found", f"no inbox item {item_id}", code="inbox_item_not_found", field="item_id")
    return item


@router.get("/inbox/{item_id}/", summary="One comment or message, with our replies to it")
async def get_inbox_item(item_id: str, who: Caller = reader, svc: Services = Svc) -> Any:
    return ORJSON(await _item(svc, who, item_id))


async def _act(svc: Services, who: Caller, item_id: str, action: str, text: str, key: str | None) -> Any:
    item = await _item(svc, who, item_id)
    if action == "reply" and item["kind"] == "message":
        action = "message"  # a reply to a message is a message in its conversation
    account = await svc.accounts.get(item["account_id"])
    if account is None:
        raise Problem(422, "Account gone", "the account this came to is no longer connected", code="account_not_found", field="item_id")
    target = {"comment_id": item["platform_item_id"], "post_id": item["thread"], "recipient": item["author_id"]}
    if item["kind"] == "message":
        target = {"conversation_id": item["thread"], "recipient": item["author_id"]}
    cmd = reply.RequestReply(
        site_id=who.site_id,
        account_id=item["account_id"],
        platform=item["platform"],
        item_id=item_id,
        thread=item["thread"],
        action=action,
        text=text,
        target=target,
        idempotency_key=key,
    )
    ask = ReplyAsk(
        reply_id=reply.reply_id(item_id, action, text, key),
        site_id=who.site_id,
        account_id=cmd.account_id,
        platform=cmd.platform,
        item_id=item_id,
        thread=cmd.thread,
        action=action,
        own_platform_id=account.platform_account_id,
    )

    def decide(existing: Attempt | None, thread: Thread, planned: list[datetime], now: datetime) -> Decided[reply.Decision]:
        d = reply.decide(existing, cmd, thread, planned, now)
        return Decided(d, (d.attempt, d.event) if isinstance(d, reply.Accepted) else None)

    decision = await PostgresReplies(svc.pool).request(ask, utcnow(), decide)
    if isinstance(decision, reply.Refused):
        r = decision.refusal
        raise Problem(decision.status, "Refused", r.reason, code=r.code, field="text" if r.code.startswith("text") else "item_id")
    await relay_now(svc)
    a = decision.attempt
    queued = a.state not in ("published", "failed")
    body = {
        "reply_id": a.effect_id,
        "item_id": item_id,
        "action": action,
        "text": text,
        "status": "queued" if queued else ("sent" if a.state == "published" else "failed"),
        "go_at": a.payload.get("go_at"),
        "platform_reply_id": a.platform_post_id,
        "reason": a.error if a.state == "failed" else None,
    }
    return ORJSON(body, status_code=202 if isinstance(decision, reply.Accepted) else 200)


Action = Literal["reply", "private-reply", "hide"]


@router.post("/inbox/{item_id}/reply/", status_code=202, summary="Reply: publicly to a comment, or a message in a conversation")
async def reply_to(
    item_id: str, body: ReplyBody, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    return await _act(svc, who, item_id, "reply", body.text, idempotency_key)


@router.post("/inbox/{item_id}/private-reply/", status_code=202, summary="A private reply to a comment (a DM referencing it)")
async def private_reply(
    item_id: str, body: ReplyBody, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey
) -> Any:
    return await _act(svc, who, item_id, "private_reply", body.text, idempotency_key)


@router.post("/inbox/{item_id}/hide/", status_code=202, summary="Hide a comment")
async def hide(item_id: str, who: Caller = writer, svc: Services = Svc, idempotency_key: str | None = IdempotencyKey) -> Any:
    return await _act(svc, who, item_id, "hide", "", idempotency_key)
