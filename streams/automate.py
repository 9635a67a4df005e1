"""automate: people's comments and messages through the site's active automations.

Every comment and message on ``social.inbox`` (never an echo, an item by the account itself or one of
our own replies coming back, nor the replies' events) is matched against the site's active
automations' triggers; a match starts a run (its id per trigger: the person, or the item), and a
message is news to the person's waiting runs (the answer a condition waits for). Each run has one
writer at a time (its row lock, :mod:`adapters.automation_runs`); a stimulus already applied is a
no-op. The interpreter (:mod:`domain.automation.run`) says what happens; sends become reply attempts
(:mod:`adapters.replies`, the inbox's rules and the automation's pacing under the account's lock,
reply ids derived from the run, the node and the stimulus: a redelivery or a second worker gets the
same attempt, never a second send); the run's events go to ``social.automation.runs`` (ids derived
from the stimulus) before its state is saved. A send due now is claimed and sent at once; the rest
wait for :mod:`streams.answer`. A timer resumes the runs whose wait is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from adapters.accounts import Accounts
from adapters.automation_runs import AutomationHooks, AutomationRunStore, AutomationSends, HookResult, remember
from adapters.automations import ActiveAutomation, AutomationDirectory
from adapters.kafka import Producer, send_all
from adapters.replies import AutomationAsk, AutomationFacts, Decided, ItemFacts, ReplyAsk
from commands import reply
from domain.automation import run as r
from domain.automation.pacing import Sends
from domain.inbox import Thread, is_echo, item_id
from domain.publishing import Attempt
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.registry import Decoded, registry
from streams import answer
from streams.plumbing import Agent

SOURCE = "socializer/automate"
BATCH = 100
# Runs' transactions open at the same time in one worker (its partitions' actors and the timer): each
# holds a connection and may take one more for the account's lock; the worker's pool is sized for
# these beside the posts' writer's (socializer.bootstrap.worker_deps). Sends go after, outside them.
AT_ONCE = 2
log = logging.getLogger("socializer.automate")


@dataclass
class Automating:
    automations: AutomationDirectory
    runs: AutomationRunStore
    sends: AutomationSends
    accounts: Accounts
    out: Producer
    hooks: AutomationHooks | None = None
    answering: answer.Answering | None = None  # sends a reply due now at once (None: the answer agent's tick does)
    clock: Callable[[], datetime] = utcnow
    at_once: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(AT_ONCE))


def run_id(a: ActiveAutomation, platform: str, user_id: str, trigger_event_id: str) -> str:
    if a.definition.trigger.once_per_user:
        return derived_id(a.automation_id, "run", platform, user_id)
    return derived_id(a.automation_id, "run", trigger_event_id)


def send_id(run: str, node_id: str, stimulus_id: str) -> str:
    return derived_id(run, node_id, stimulus_id, "send")


async def on_inbox(decoded: Decoded, d: Automating) -> None:
    """One inbox event: a person's comment or message may start runs and answer waiting ones."""
    m = decoded.message
    if not isinstance(m, e.CommentReceived | e.MessageReceived) or m.echo:
        return  # replies' events, and what the platform flags as our own
    comment = isinstance(m, e.CommentReceived)
    author = m.author_id if isinstance(m, e.CommentReceived) else m.sender_id
    pid = m.comment_id if isinstance(m, e.CommentReceived) else m.message_id
    account = await d.accounts.get(m.account_id)
    if account is None or is_echo(author, account.platform_account_id, m.echo) or await d.sends.ours(m.platform, pid):
        return  # the account's own items (our replies among them) never trigger anything
    kind = m.kind  # comment, mention, story_reply (as a comment or a message), message
    eid = item_id(m.platform, m.kind if comment else "message", pid)  # the inbox item's id, as the inbox names it
    now = d.clock()
    answered: set[str] = set()
    prompt: list[str] = []  # reply ids due now, sent once the runs' transactions are done
    if isinstance(m, e.MessageReceived):
        news = r.Answer(eid, m.text, m.created_at, m.conversation_id)
        for w in await d.runs.waiting(m.account_id, m.sender_id):
            if await apply(d, w.run_id, w.automation_id, news, eid, now, None, prompt):
                answered.add(w.automation_id)
    for a in await d.automations.active(m.site_id):
        if a.automation_id in answered:
            continue
        posts = (m.post_id, m.platform_post_id) if isinstance(m, e.CommentReceived) else ()
        keyword = r.triggered(a.definition.trigger, kind, m.account_id, tuple(p for p in posts if p), m.text)
        if keyword is None:
            continue
        rid = run_id(a, m.platform, author, eid)
        facts = r.Facts(
            run_id=rid,
            automation_id=a.automation_id,
            version=a.version,
            site_id=m.site_id,
            account_id=m.account_id,
            platform=m.platform,
            user_id=author,
            user_name=m.author_name if isinstance(m, e.CommentReceived) else m.sender_name,
            trigger_event_id=eid,
            kind=kind,
            keyword=keyword,
            text=m.text,
            thread=(m.platform_post_id or m.post_id) if isinstance(m, e.CommentReceived) else m.conversation_id,
            comment_id=m.comment_id if isinstance(m, e.CommentReceived) else "",
            conversation_id=m.conversation_id if isinstance(m, e.MessageReceived) else "",
            post_id=m.post_id if isinstance(m, e.CommentReceived) else "",
            started_at=now,
            item_at=m.created_at,
        )
        await apply(d, rid, a.automation_id, r.Start(), eid, now, facts, prompt)
    await _send_prompt(d, prompt)


async def tick(d: Automating, limit: int = BATCH) -> int:
    """Resume the runs whose wait is over (a delay, an answer that did not come)."""
    now = d.clock()
    due = await d.runs.due(now, limit)
    prompt: list[str] = []
    for w in due:
        await apply(d, w.run_id, w.automation_id, r.Timer(), "", now, None, prompt)
    await _send_prompt(d, prompt)
    return len(due)


async def apply(
    d: Automating,
    rid: str,
    automation_id: str,
    stimulus: r.Stimulus,
    stimulus_id: str,
    now: datetime,
    facts: r.Facts | None,
    prompt: list[str],
) -> bool:
    """One stimulus on one run, under the run's lock; True when the run was waiting for an answer and
    took this one. A send due now is added to ``prompt``, the caller's to send after the transaction."""
    async with d.at_once, d.runs.run(rid) as txn:
        state = txn.state
        if isinstance(stimulus, r.Start):
            if state is not None or facts is None:
                return False  # once per person: the run exists already
            state = r.start(facts)
        elif state is None or state.status != "waiting":
            return False
        if isinstance(stimulus, r.Timer):
            if state.until is None or state.until > now:
                return False  # another worker resumed it first
            stimulus_id = derived_id(rid, "timer", state.node or "", state.until.isoformat())
        if stimulus_id in txn.applied:
            return False  # a redelivery: applied before
        took = isinstance(stimulus, r.Answer) and state.for_answer
        f = state.facts
        state = replace(state, tags=await d.runs.tags(f.site_id, f.platform, f.user_id))
        active = await d.automations.get(automation_id)
        if active is None:
            step = r.end(state, "the automation was paused or deleted", now)
        else:
            step = r.step(active.definition, state, stimulus, now)
        events: list[e.Event] = []
        for o in step.out:
            if isinstance(o, r.Send):
                assert active is not None
                events.append(await _send(d, active, step.state, o, stimulus_id, now, prompt))
            elif isinstance(o, r.CallWebhook):
                events.append(await _call(d, step.state, o, stimulus_id, now))
            else:
                events.append(o)
                if isinstance(o, e.AutomationUserTagged):
                    await d.runs.tag(f.site_id, f.platform, f.user_id, o.tag, o.removed, now)
        items = [
            (rid, registry.envelope(ev, source=SOURCE, subject=rid, id=derived_id(stimulus_id, rid, str(i)))) for i, ev in enumerate(events)
        ]
        # On the log before the state moves: a crash in between re-decides the stimulus into the
        # same event ids (and the same reply ids: the reply store answers Same).
        await send_all(d.out, t.AUTOMATION_RUNS, items)
        await txn.save(step.state, remember(txn.applied, [stimulus_id]))
    return took


def _item(s: r.RunState, send: r.Send) -> tuple[ItemFacts, str]:
    """The inbox item a send answers, as the run knows it (the read model may not have it yet), and its thread."""
    f = s.facts
    if send.item_id == f.trigger_event_id:
        at = f.item_at or f.started_at
        kind = "message" if f.conversation_id else f.kind  # a story reply sent as a message is a message item
        return ItemFacts(kind, at, f.user_id, False, s.last_message_at), f.thread
    at = s.last_message_at or f.started_at
    return ItemFacts("message", at, f.user_id, False, s.last_message_at), s.conversation_id or f.thread


async def _send(
    d: Automating, a: ActiveAutomation, s: r.RunState, send: r.Send, stimulus_id: str, now: datetime, prompt: list[str]
) -> e.Event:
    f = s.facts
    rid = send_id(f.run_id, send.node_id, stimulus_id)

    def skipped(code: str, reason: str) -> e.Event:
        return e.AutomationSendSkipped(
            run_id=f.run_id,
            automation_id=f.automation_id,
            node_id=send.node_id,
            action=send.action,
            code=code,
            reason=reason,
            at=now,
            trigger_event_id=f.trigger_event_id,
            site_id=f.site_id,
        )

    account = await d.accounts.get(f.account_id)
    if account is None or account.status != "active":
        return skipped("account_unusable", "the account is no longer connected")
    item, thread = _item(s, send)
    cmd = reply.RequestReply(
        site_id=f.site_id,
        account_id=f.account_id,
        platform=f.platform,
        item_id=send.item_id,
        thread=thread,
        action=send.action,
        text=send.text,
        target={k: v for k, v in send.target.items() if v} | ({"conversation_id": thread} if send.action == "message" and thread else {}),
        idempotency_key=rid,
    )
    ask = ReplyAsk(rid, f.site_id, f.account_id, f.platform, send.item_id, thread, send.action, account.platform_account_id)
    p = a.definition.pacing
    auto = AutomationAsk(f.automation_id, send.node_id, f.user_id, item, p.daily_cap, p.dedupe_days)

    def decide(
        existing: Attempt | None, th: Thread, planned: list[datetime], facts: AutomationFacts, at: datetime
    ) -> Decided[reply.Decision]:
        got = reply.decide_automated(existing, cmd, rid, th, planned, Sends(automated=facts.automated, duplicate=facts.duplicate), p, at)
        return Decided(got, (got.attempt, got.event) if isinstance(got, reply.Accepted) else None)

    got = await d.sends.request_automation(ask, auto, now, decide)
    if isinstance(got, reply.Refused):
        return skipped(got.refusal.code, got.refusal.reason)
    attempt = got.attempt
    go_at = datetime.fromisoformat(str(attempt.payload["go_at"]))
    if go_at <= now and attempt.state == "retry":
        prompt.append(rid)
    return e.AutomationSendQueued(
        run_id=f.run_id,
        automation_id=f.automation_id,
        node_id=send.node_id,
        reply_id=rid,
        action=send.action,
        text=str(attempt.payload.get("text", send.text)),
        go_at=go_at,
        trigger_event_id=f.trigger_event_id,
        site_id=f.site_id,
    )


async def _call(d: Automating, s: r.RunState, call: r.CallWebhook, stimulus_id: str, now: datetime) -> e.Event:
    f = s.facts
    msg_id = "msg_" + derived_id(f.run_id, call.node_id, stimulus_id, "webhook").replace("-", "")
    body = orjson.dumps(call.body)
    got = (
        await d.hooks.call(f.site_id, call.url, msg_id, body, now)
        if d.hooks
        else HookResult(None, False, "no webhook caller in this worker")
    )
    return e.AutomationWebhookCalled(
        run_id=f.run_id,
        automation_id=f.automation_id,
        node_id=call.node_id,
        webhook_id=msg_id,
        status=got.status or 0,
        ok=got.ok,
        error=got.error[:500],
        at=now,
    )


async def _send_prompt(d: Automating, due: list[str]) -> None:
    """Send the replies due now that this agent queued, each claimed first (the answer agent's sweep
    skips a claimed row, and this skips one the sweep claimed): never both."""
    s = d.answering
    if s is None:
        return
    try:
        await s.outbox.relay(s.out)  # the ReplyRequested first, as the inbox's API does
    except Exception as err:  # noqa: BLE001 - they wait in the outbox: the relay timer sends them
        log.warning("automation sends wait in the outbox (%s)", type(err).__name__)
    for rid in due:
        now = s.clock()
        a = await d.sends.claim(rid, now, now + s.policy.lease)
        if a is not None:
            await answer.run(a, s)


def register(agent: Agent) -> None:
    deps = agent.deps
    directory = deps.automations
    runs, sends = deps.automation_runs, deps.automation_sends
    if runs is None or sends is None:
        return
    answering = answer.Answering(
        replies=sends, tokens=deps.tokens, platforms=deps.platforms, out=agent.producer, outbox=deps.outbox, policy=deps.settings.publish
    )
    d = Automating(
        automations=directory,
        runs=runs,
        sends=sends,
        accounts=deps.accounts,
        out=agent.producer,
        hooks=deps.automation_hooks,
        answering=answering,
    )

    async def one(message: Any) -> None:
        await on_inbox(registry.decode(message.value or b""), d)

    async def due() -> None:
        while await tick(d) >= BATCH:
            pass

    # One actor per partition: a worker holding several works them side by side, each in order (a
    # person's messages in one conversation keep theirs); runs and sends are locked per run and per
    # account, as between two workers.
    agent.consume(t.INBOX, "automate", one, isolated=True)
    agent.every(deps.settings.automation_tick_seconds, "automate.due", due)
