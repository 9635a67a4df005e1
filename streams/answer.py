"""answer: send the inbox's replies, DMs and hides at most once each, when their time comes.

A reply was recorded (``reply_attempts``) and put on the log (``ReplyRequested``) by the API, queued
until ``go_at`` when the account's send budget is spent. Every worker looks for replies due
(claims skip each other's rows) and runs each through the publishing attempt's rules
(:mod:`commands.publish`, via :mod:`commands.reply`): a reply taken over after a crash or an unknown
outcome is looked up on the platform first (its thread listed for our text) and sent only when
verified absent. How it ended (``ReplySent``/``ReplyFailed``) is kept with the row (the outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters import exceptions as x
from adapters.accounts import Tokens
from adapters.kafka import Producer
from adapters.outbox import OutboxRelay
from adapters.ports import OutgoingReply, Responder, responder
from adapters.publishing import AttemptStore
from commands import publish as attempt
from commands import reply
from domain.publishing import Attempt, Policy
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/answer"
BATCH = 20
log = logging.getLogger("socializer.answer")


@dataclass
class Answering:
    replies: AttemptStore
    tokens: Tokens
    platforms: Mapping[str, Any]
    out: Producer
    outbox: OutboxRelay
    policy: Policy
    clock: Callable[[], datetime] = utcnow


def ended_id(a: Attempt) -> str:
    """The id of how a reply ended: the same on every redelivery."""
    return derived_id(a.effect_id, "reply", a.state)


async def sweep(s: Answering, limit: int = BATCH) -> int:
    now = s.clock()
    due = await s.replies.claim_due(now, now + s.policy.lease, limit)
    for a in due:
        await run(a, s)
    return len(due)


async def _settle(s: Answering, a: Attempt, result: attempt.Outcome) -> Attempt:
    done, events = reply.outcome(a, result, s.clock(), s.policy)
    if done != a:
        thread = str(a.payload.get("thread") or a.effect_id)
        envs = [(t.INBOX, thread, registry.envelope(ev, source=SOURCE, subject=thread, id=ended_id(done))) for ev in events]
        await s.replies.save(done, envs)
    if events:
        try:
            await s.outbox.relay(s.out)
        except Exception as err:  # noqa: BLE001 - the event is safe in the outbox: the relay timer sends it
            log.warning("reply %s: its outcome waits in the outbox (%s)", a.effect_id, type(err).__name__)
    return done


async def run(a: Attempt, s: Answering) -> None:
    p = a.payload
    out = OutgoingReply(reply_id=a.effect_id, action=str(p["action"]), text=str(p.get("text", "")), target=dict(p.get("target") or {}))
    client = responder(s.platforms.get(a.platform))
    if client is None:
        await _settle(s, a, attempt.Rejected(f"{a.platform} takes no replies from us", "unsupported"))
        return
    try:
        account = await s.tokens.authorized(a.account_id)
    except x.AccountUnusable as err:
        await _settle(s, a, attempt.Rejected(str(err), err.code))
        return
    except x.Unavailable as err:
        await _settle(s, a, attempt.Unavailable(str(err)))
        return
    if attempt.must_look_up(a):  # taken over, or the last call's outcome is unknown: look before sending
        try:
            found = await client.find_reply(account, out, since=a.started_at - timedelta(seconds=5))
        except x.PlatformError as err:
            await _settle(s, a, attempt.LookupFailed(str(err)))
            return
        if found is not None:
            await _settle(s, a, attempt.Found(found.platform_post_id, found.url))
            return
    else:
        await s.replies.save(attempt.creating(a))  # whoever takes it over from here looks first
    await _settle(s, a, await _send(s, client, account, out))


async def _send(s: Answering, client: Responder, account: Any, out: OutgoingReply) -> attempt.Outcome:
    try:
        try:
            ref = await client.send_reply(account, out)
        except x.AuthExpired as err:  # a 401 sent nothing: refresh once and send
            ref = await client.send_reply(await s.tokens.rejected(account, str(err)), out)
    except x.AccountUnusable as err:
        return attempt.Rejected(str(err), err.code)
    except x.ScopeMissing as err:  # the account was connected without the inbox: this reply fails, the account stays
        return attempt.Rejected(f"the account was not granted {err.scope} (connect it with the inbox feature): {err}", "scope_missing")
    except x.RateLimited as err:
        return attempt.RateLimited(str(err), err.retry_after)
    except x.Unavailable as err:
        return attempt.Unavailable(str(err))
    except x.AuthExpired as err:
        return attempt.Rejected(str(err), "needs_reauth")
    except x.Rejected as err:
        return attempt.Rejected(str(err), err.code or str(err.status or ""))
    except x.OutcomeUnknown as err:
        log.warning("reply %s: outcome unknown (%s); it is looked up before any new call", out.reply_id, err)
        return attempt.Unknown(str(err))
    return attempt.Created(ref.platform_post_id, ref.url)


def register(agent: Agent) -> None:
    d = agent.deps
    if d.replies is None:
        return
    s = Answering(replies=d.replies, tokens=d.tokens, platforms=d.platforms, out=agent.producer, outbox=d.outbox, policy=d.settings.publish)

    async def tick() -> None:
        while await sweep(s) >= BATCH:
            pass

    agent.every(d.settings.inbox_tick_seconds, "answer.due", tick)
