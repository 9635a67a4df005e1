"""schedule: keep every post's slot, give auto-scheduled posts the next free best-time slot, and
dispatch ``PublishPost`` within a second of a post's time.

The rules are :mod:`commands.schedule`; the state is a :class:`SlotStore` shared by every worker.
A crash between send and mark re-sends the same command (same id), which publish recognises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Any

from adapters.accounts import Accounts
from adapters.kafka import Producer, send_all
from adapters.learning import Learning
from adapters.scheduling import SlotStore, SlotTxn
from adapters.sites import SiteDirectory
from commands import schedule as scheduler
from domain.accounts import Site
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope, derived_id, utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams.plumbing import Agent

SOURCE = "socializer/schedule"
DUE_BATCH = 500
log = logging.getLogger("socializer.schedule")


@dataclass
class Scheduling:
    slots: SlotStore
    accounts: Accounts
    sites: SiteDirectory
    out: Producer
    clock: Callable[[], datetime] = utcnow
    learning: Learning | None = None  # None: the platform's default best times, never learned


async def apply(event: e.Event, s: Scheduling) -> e.PostScheduled | None:
    """Fold one lifecycle event into the post's slot; return a PostScheduled to announce, if any."""
    now = s.clock()
    async with s.slots.post(event.post_id) as txn:
        before = txn.state
        state, wants_slot = scheduler.evolve(before, event)
        scheduled = None
        if state is not None and wants_slot:
            state, scheduled = await _reserve(state, txn, s, now)
        if state is not None and state != before:
            await txn.save(state)
    return scheduled


async def _reserve(
    state: scheduler.Slotted, txn: SlotTxn, s: Scheduling, now: datetime
) -> tuple[scheduler.Slotted, e.PostScheduled | None]:
    account = await s.accounts.get(state.account_id)
    policy = None
    if account is not None and account.status != "disconnected":
        policy = (await s.sites.site(account.site_id) or Site(site_id=account.site_id)).policy(account)
    elif state.state == "draft":
        log.warning("post %s: account %s is not connected; left as draft", state.post_id, state.account_id)
    occupied = await txn.occupied(state.account_id, now - scheduler.cooldown_window(policy)) if policy and state.state == "draft" else []
    beliefs = None
    if s.learning is not None and account is not None and policy is not None and state.state == "draft" and not policy.interval_minutes:
        beliefs = await s.learning.beliefs(account.account_id, account.platform, account.site_id, policy.timezone, policy.best_times)
    # Seeded by the post: a redelivered event draws the same sample, so the same slot.
    return scheduler.reserve(state, policy, occupied, now, beliefs=beliefs, rng=Random(state.post_id))


async def handle(decoded: Decoded, s: Scheduling) -> None:
    if isinstance(decoded.message, e.ContentSkipped | e.PostSkipped):  # no post to schedule
        return
    if not isinstance(decoded.message, e.Event) or not hasattr(decoded.message, "post_id"):
        raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {t.POSTS}")
    scheduled = await apply(decoded.message, s)
    if scheduled is not None:
        env = decoded.envelope
        out = registry.envelope(
            scheduled,
            source=SOURCE,
            subject=scheduled.post_id,
            id=derived_id(scheduled.post_id, "slot", scheduled.scheduled_at.isoformat()),
            correlationid=env.correlationid,
            causationid=env.id,
        )
        await send_all(s.out, t.POSTS, [(scheduled.post_id, out)], wait=False)


def _command(state: scheduler.Slotted) -> tuple[str, Envelope]:
    cmd = scheduler.publish_command(state)
    assert state.due_at is not None
    return cmd.post_id, registry.envelope(
        cmd, source=SOURCE, subject=cmd.post_id, id=derived_id(cmd.post_id, "publish", state.due_at.isoformat())
    )


async def dispatch_due(s: Scheduling, limit: int = DUE_BATCH) -> int:
    """Send the due posts' commands, then mark them dispatched (in one claim)."""
    async with s.slots.due(s.clock(), limit) as due:
        if due:
            await send_all(s.out, t.PUBLISH, [_command(p) for p in due])
    return len(due)


def register(agent: Agent) -> None:
    d = agent.deps
    s = Scheduling(slots=d.slots, accounts=d.accounts, sites=d.sites, out=agent.producer, learning=d.learning)

    async def one(message: Any) -> None:
        await handle(registry.decode(message.value or b""), s)

    async def due() -> None:
        while await dispatch_due(s) >= DUE_BATCH:
            pass

    agent.consume(t.POSTS, "schedule", one)
    agent.every(d.settings.due_check_seconds, "schedule.dispatch_due", due)
