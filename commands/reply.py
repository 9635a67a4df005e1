"""A reply (public, private, a DM) or a hide: its own aggregate, keyed by a reply id derived from the
item and the request's Idempotency-Key, and an irreversible effect run by the publishing attempt
(:mod:`commands.publish`): recorded before the call, an unknown outcome looked up, never sent twice.

    request ──rules broken──────────────────────────▶ refused (422, the reason; nothing recorded)
       │    ──same reply id, same request──────────▶ the reply as it stands (a retried request)
       │    ──same reply id, another request───────▶ refused (409)
       └──────────────────────────────────────────────▶ ReplyRequested, queued until ``go_at``
    then the attempt: Created/Found ▶ ReplySent · Rejected/exhausted ▶ ReplyFailed

Pure: the store (its lock is the one writer per account's budget) and the calls live in the shell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from hashlib import sha256
from typing import Any

from commands import publish as attempt
from domain.automation.pacing import Sends, Skip, pace
from domain.inbox import Refusal, Thread, check, next_slot, rules_for
from domain.publishing import Attempt, Policy
from schemas import events as e
from schemas.automations import Pacing
from schemas.envelope import derived_id

__all__ = ["Accepted", "Refused", "RequestReply", "Same", "announce", "decide", "decide_automated", "outcome", "reply_id"]


@dataclass(frozen=True)
class RequestReply:
    site_id: str
    account_id: str
    platform: str
    item_id: str
    thread: str
    action: str  # reply | private_reply | message | hide
    text: str
    target: dict[str, str]  # the platform ids the call needs: comment_id, post_id, recipient, conversation_id
    idempotency_key: str | None = None


def reply_id(item_id: str, action: str, text: str, idempotency_key: str | None) -> str:
    """One reply per item and key; without a key, the same text to the same item is the same reply."""
    key = idempotency_key or "text:" + sha256(text.encode()).hexdigest()
    return derived_id(item_id, "reply", action, key)


@dataclass(frozen=True)
class Accepted:
    attempt: Attempt
    event: e.ReplyRequested


@dataclass(frozen=True)
class Same:
    attempt: Attempt


@dataclass(frozen=True)
class Refused:
    status: int
    refusal: Refusal


Decision = Accepted | Same | Refused


def decide(existing: Attempt | None, cmd: RequestReply, thread: Thread, planned: list[datetime], now: datetime) -> Decision:
    """``existing``: the reply's attempt if it has one; ``planned``: the account's sends of this action
    made or queued in its budget's longest window."""
    rid = reply_id(cmd.item_id, cmd.action, cmd.text, cmd.idempotency_key)
    if existing is not None:
        p = existing.payload
        if p.get("action") == cmd.action and p.get("text") == cmd.text and p.get("item_id") == cmd.item_id:
            return Same(existing)
        return Refused(409, Refusal("idempotency_key_reused", "this Idempotency-Key was used for another reply to this item"))
    broken = check(cmd.platform, cmd.action, cmd.text, thread, now)
    if broken is not None:
        return Refused(422, broken)
    rules = rules_for(cmd.platform)
    budgets = rules.budgets.get(cmd.action, ()) if rules else ()
    return _accept(rid, cmd, next_slot(budgets, planned, now), now)


def decide_automated(
    existing: Attempt | None,
    cmd: RequestReply,
    rid: str,
    thread: Thread,
    planned: list[datetime],
    sends: Sends,
    pacing: Pacing,
    now: datetime,
) -> Decision:
    """An automation's send (reply id ``rid``, derived from its run): the inbox's rules, then the
    automation's pacing (:func:`domain.automation.pacing.pace`); what pacing will not queue is refused
    with its code (``deduplicated``, ``daily_cap``, a window that would close first)."""
    if existing is not None:
        p = existing.payload
        if p.get("action") == cmd.action and p.get("item_id") == cmd.item_id:
            return Same(existing)  # a redelivered trigger, a second worker: the attempt there is
        return Refused(409, Refusal("reply_id_reused", "this reply id names another send"))
    broken = check(cmd.platform, cmd.action, cmd.text, thread, now)
    if broken is not None:
        return Refused(422, broken)
    got = pace(
        platform=cmd.platform,
        action=cmd.action,
        reply_id=rid,
        pacing=pacing,
        sends=replace(sends, planned=planned),
        now=now,
        comment_at=thread.created_at if thread.kind != "message" else None,
        last_inbound_at=thread.last_inbound_at,
    )
    if isinstance(got, Skip):
        return Refused(422, Refusal(got.code, got.reason))
    return _accept(rid, cmd, got.go_at, now)


def _accept(rid: str, cmd: RequestReply, go_at: datetime, now: datetime) -> Accepted:
    payload: dict[str, Any] = {
        "item_id": cmd.item_id,
        "thread": cmd.thread,
        "action": cmd.action,
        "text": cmd.text,
        "target": dict(cmd.target),
        "go_at": go_at.isoformat(),
    }
    # "retry" is the state from which one create is safe: nothing has been sent yet.
    a = Attempt(
        effect_id=rid,
        account_id=cmd.account_id,
        attempt_id=rid,
        platform=cmd.platform,
        site_id=cmd.site_id,
        state="retry",
        started_at=now,
        lease_until=now,
        payload=payload,
        next_try_at=go_at,
    )
    event = e.ReplyRequested(
        reply_id=rid,
        site_id=cmd.site_id,
        account_id=cmd.account_id,
        platform=cmd.platform,
        item_id=cmd.item_id,
        thread=cmd.thread,
        action=cmd.action,
        text=cmd.text,
        requested_at=now,
        go_at=go_at,
    )
    return Accepted(a, event)


def outcome(a: Attempt, result: attempt.Outcome, now: datetime, policy: Policy) -> tuple[Attempt, list[e.Event]]:
    """The publishing attempt's own rules, announced as the inbox says it."""
    decided = attempt.decide(a, result, now, policy)
    done = decided.attempt
    return done, ([announce(done)] if decided.events else [])


def announce(a: Attempt) -> e.Event:
    if a.state == "published":
        return e.ReplySent(
            reply_id=a.effect_id,
            account_id=a.account_id,
            platform_reply_id=a.platform_post_id or "",
            sent_at=a.published_at or a.started_at,
            reconciled=a.reconciled,
        )
    if a.state == "failed":
        return e.ReplyFailed(reply_id=a.effect_id, account_id=a.account_id, reason=a.error or "", code=a.code)
    raise ValueError(f"reply {a.effect_id} is still {a.state}")
