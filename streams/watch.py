"""watch: the watchdog. Every due post must be published, or failed with its reason, within the
grace after its time (``SOCIALIZER_OVERDUE_SECONDS``, 5 minutes by default); the leader looks every
few seconds and reports each one that is not as a ``PostOverdue`` on ``social.alerts``, once per
(post, due time): the event id derives from both, and the report is remembered after it is on the
log (a crash in between repeats the same event, which the notifier folds once).

The rule is :func:`domain.notifications.overdue`; the rows are the scheduler's slots beside their
publish attempts (:class:`adapters.notifications.OverdueWatch`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from adapters.kafka import Producer, send_all
from adapters.notifications import OverdueWatch
from domain.notifications import overdue, overdue_alert
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/watch"
BATCH = 500
log = logging.getLogger("socializer.watch")


def alert_id(post_id: str, due_at: datetime) -> str:
    return derived_id(post_id, "overdue", due_at.isoformat())


async def check(watch: OverdueWatch, out: Producer, *, now: datetime, grace: timedelta, limit: int = BATCH) -> list[e.PostOverdue]:
    """One look: report the posts overdue at ``now``, then remember them as reported."""
    found = overdue(await watch.candidates(now - grace, limit), now, grace)
    if not found:
        return []
    alerts = [overdue_alert(d, now) for d in found]
    items = [(a.post_id, registry.envelope(a, source=SOURCE, subject=a.post_id, id=alert_id(a.post_id, a.due_at))) for a in alerts]
    await send_all(out, t.ALERTS, items)  # on the log before it counts as reported
    await watch.reported(found, now)
    for a in alerts:
        log.warning("post %s (%s) due at %s is overdue (%s)", a.post_id, a.platform, a.due_at.isoformat(), a.state)
    return alerts


def register(agent: Agent) -> None:
    d, s = agent.deps, agent.deps.settings
    if d.overdue is None:
        return
    watch = d.overdue
    grace = timedelta(seconds=s.overdue_seconds)

    async def tick() -> None:
        await check(watch, agent.producer, now=utcnow(), grace=grace)

    agent.every(s.overdue_check_seconds, "watch.overdue", tick, on_leader=True, first_at_start=True)
