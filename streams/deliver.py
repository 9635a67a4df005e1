"""deliver: a site's outbound webhooks (Standard Webhooks). Reads the posts', accounts', videos',
engagement and alerts' topics; for each event that becomes a webhook type (:mod:`domain.webhooks`)
it inserts one delivery row per subscribed, enabled endpoint of the event's site, with a
``webhook-id`` derived from the event id and the endpoint id. The rows are written before the
message is acked (so before its offset is committed): a worker killed after that loses nothing, one
killed before reads the message again and the primary key (endpoint, event) inserts nothing twice.

A timer on every worker sends the due rows: it leases them (``FOR UPDATE SKIP LOCKED`` with a
lease, so two workers never send one row at once and a killed worker's lease runs out), posts them
with a bounded concurrency, and records each attempt: a 2xx delivered, a 410 disables the endpoint
at once, anything else is retried on the Standard Webhooks schedule (immediately, 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h); an endpoint failing for 5 days is disabled. A disabled endpoint's
``WebhookEndpointDisabled`` goes to ``social.alerts`` through the outbox, with the change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.accounts import Accounts
from adapters.webhooks import Due, NewDelivery, WebhookSender, WebhookStore
from domain import webhooks as w
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope, derived_id, utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams.plumbing import Agent

SOURCE = "socializer/deliver"
TOPICS = (t.POSTS, t.ACCOUNTS, t.VIDEO_PROJECTS, t.ENGAGEMENT, t.ALERTS)
log = logging.getLogger("socializer.deliver")


@dataclass
class Delivering:
    store: WebhookStore
    accounts: Accounts | None = None
    clock: Callable[[], datetime] = utcnow


async def _site(ob: w.Outbound, d: Delivering) -> str | None:
    if ob.site_id:
        return ob.site_id
    if ob.subject and (site := await d.store.site_of(ob.subject)):
        return site
    if ob.account_id and d.accounts is not None:
        account = await d.accounts.get(ob.account_id)
        return account.site_id if account else None
    return None


async def enqueue(decoded: Decoded, d: Delivering) -> int:
    """The delivery rows one event makes (how many were new)."""
    event = decoded.message
    if not isinstance(event, e.Event):
        return 0
    if (subject := w.remember(event)) is not None:
        await d.store.remember(*subject)
    ob = w.outbound(event)
    if ob is None:
        return 0
    site = await _site(ob, d)
    if not site:
        return 0
    endpoints = [ep for ep in await d.store.subscribers(site) if w.subscribed(ep.event_types, ob.type)]
    if not endpoints:
        return 0
    env = decoded.envelope
    body = w.body(ob.type, env.time, ob.data)
    rows = [NewDelivery(ep.endpoint_id, env.id, w.message_id(env.id, ep.endpoint_id), ob.type, body) for ep in endpoints]
    return await d.store.enqueue(rows, d.clock())


def disabled_alert(due: Due, reason: str, now: datetime) -> Envelope:
    ev = e.WebhookEndpointDisabled(endpoint_id=due.endpoint_id, site_id=due.site_id, url=due.url, reason=reason, disabled_at=now)
    return registry.envelope(ev, source=SOURCE, subject=due.endpoint_id, id=derived_id(due.endpoint_id, "disabled", now.isoformat()))


async def send_due(
    store: WebhookStore,
    sender: WebhookSender,
    *,
    limit: int = 64,
    concurrency: int = 16,
    lease_seconds: float = 60.0,
    scale: float = 1.0,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """Lease up to ``limit`` due deliveries and send them, ``concurrency`` at a time; returns how many were tried."""
    due = await store.lease(clock(), limit, lease_seconds)
    gate = asyncio.Semaphore(concurrency)

    async def one(row: Due) -> None:
        async with gate:
            result = await sender.send(row, clock())
            now = clock()
            after = w.after_attempt(result.status, row.attempt + 1, row.failing_since, now, scale)
            alert = disabled_alert(row, after.disable, now) if after.disable else None
            if await store.record(row, result, after, now, alert):
                log.warning("webhook endpoint %s disabled: %s", row.endpoint_id, after.disable)

    await asyncio.gather(*(one(row) for row in due))
    return len(due)


def register(agent: Agent) -> None:
    deps = agent.deps
    if deps.webhooks is None or deps.webhook_sender is None:
        return
    s = deps.settings
    d = Delivering(deps.webhooks, deps.accounts)
    store, sender = deps.webhooks, deps.webhook_sender
    batch = max(1, s.webhook_concurrency * 4)

    async def one(message: Any) -> None:
        if not message.value:
            return
        try:
            decoded = registry.decode(message.value)
        except InvalidEvent:
            return  # not ours to judge: the topic's own agents dead-letter what cannot be read
        await enqueue(decoded, d)

    async def tick() -> None:
        while (
            await send_due(
                store,
                sender,
                limit=batch,
                concurrency=s.webhook_concurrency,
                lease_seconds=s.webhook_lease_seconds,
                scale=s.webhook_retry_scale,
            )
            >= batch
        ):
            pass

    for topic in TOPICS:
        agent.consume(topic, f"deliver.{topic.replace('.', '_')}", one)
    agent.every(s.webhook_tick_seconds, "deliver.send", tick, first_at_start=True)
