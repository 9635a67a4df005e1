"""notify: the notifications' one writer. Alerts (``social.alerts``) and lifecycle events (posts,
accounts, video projects) fold into incidents, one per (kind, subject): an incident raises one
``NotificationRaised`` however often its cause repeats (a retry, a redelivery, the watchdog finding
it again) and one ``NotificationResolved`` when it clears. The rules are
:func:`domain.notifications.fold`; the state is the notifier's own (:class:`IncidentStore`),
decided on under its lock. What a fold announces is on the log before the state is saved: a crash
in between folds the event again to the same notification ids (derived from kind, subject and the
incident's start), which the read model and the mailer take once."""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.accounts import Accounts
from adapters.kafka import Producer, send_all
from adapters.notifications import IncidentStore
from domain.notifications import Notice, Signal, fold, signals
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import SchemaError
from schemas.registry import Decoded, registry
from streams.plumbing import Agent

SOURCE = "socializer/notify"
TOPICS = (t.ALERTS, t.POSTS, t.ACCOUNTS, t.VIDEO_PROJECTS)


def envelope(notice: Notice, cause: Envelope) -> Envelope:
    step = "raised" if isinstance(notice, e.NotificationRaised) else "resolved"
    return registry.envelope(
        notice,
        source=SOURCE,
        subject=notice.notification_id,
        id=derived_id(notice.notification_id, step),
        correlationid=cause.correlationid,
        causationid=cause.id,
    )


async def apply(s: Signal, cause: Envelope, incidents: IncidentStore, accounts: Accounts, out: Producer) -> list[Notice]:
    async with incidents.incident(s.kind, s.subject) as txn:
        before = txn.incident
        if s.action == "fail" and not (before.site_id or s.site_id):  # the failure events name no site: the account does
            account = await accounts.get(s.subject)
            s = dataclasses.replace(s, site_id=account.site_id if account else "")
        after, notices = fold(before, s, cause.id)
        if notices:
            await send_all(out, t.NOTIFICATIONS, [(n.notification_id, envelope(n, cause)) for n in notices])
        if after != before:
            await txn.save(after)
    return notices


async def handle(decoded: Decoded, incidents: IncidentStore, accounts: Accounts, out: Producer) -> list[Notice]:
    m, env = decoded.message, decoded.envelope
    if not isinstance(m, e.Event):
        return []
    notices: list[Notice] = []
    for s in signals(m, env.time):
        notices += await apply(s, env, incidents, accounts, out)
    return notices


def register(agent: Agent) -> None:
    d = agent.deps
    if d.incidents is None:
        return
    incidents = d.incidents

    async def one(message: Any) -> None:
        try:
            decoded = registry.decode(message.value or b"")
        except SchemaError:
            return  # the topic's own agent dead-letters what is malformed; here it says nothing
        await handle(decoded, incidents, d.accounts, agent.producer)

    for topic in TOPICS:
        agent.consume(topic, f"notify.{topic.split('.')[-1]}", one)
