"""recur: a queue's due occurrences into posts.

On the leader, every ``queue_tick_seconds``, each active queue's next occurrence within the lead
(``queue_lead_seconds`` ahead, so the post is in the calendar before its time) is sent to the queues'
writer as a ``fire`` command, with the article's best-performing posts for an evergreen queue (the
engagement read model's figures). The command's id is derived from the queue and the occurrence: a
second tick, a redelivery or a new leader sends the same command, and the writer answers it once.

What the writer fired (``QueueOccurrenceFired`` on ``social.queues``) becomes a ``DecidePost`` create
with its schedule, for the posts' single writer: the post id is derived from the queue and the
occurrence, so a redelivered event or a restart creates no second post. Missed occurrences (the
system was down) are not caught up: the latest one due is posted, once, now.

The agent then waits for the posts' writer's answer (by command id): a refusal (the item's text is
more than the platform takes, say) goes back to the queues' writer as a ``refuse`` command with the
writer's reason, so the queue does not count a post that never was, and keeps the item, held. No
answer yet is an outage: the event is held and tried again, sending the same command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.kafka import Producer, send_all
from adapters.outcomes import OutcomeWaiter
from adapters.queues import Engagements, QueueStateStore
from commands import queues as decider
from domain.queues import Recurrence
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.registry import Decoded, registry
from streams.plumbing import Agent

SOURCE = "socializer/recur"
log = logging.getLogger("socializer.recur")
CANDIDATES = 10  # an evergreen queue chooses among the article's best this many posts


@dataclass
class Recurring:
    states: QueueStateStore
    engagements: Engagements
    out: Producer
    outcomes: OutcomeWaiter | None = None  # the posts' writer's answers (None: fire and forget)
    lead: timedelta = timedelta(minutes=10)
    answer_seconds: float = 30.0
    clock: Callable[[], datetime] = utcnow


def due(q: decider.Queue, now: datetime, lead: timedelta) -> datetime | None:
    """The latest occurrence not yet done up to ``now + lead`` (None: nothing due)."""
    rule = Recurrence(q.rrule, q.tzid, q.starts_at)
    start = q.starts_at - timedelta(microseconds=1)  # an occurrence at starts_at counts; one before it does not
    after = max(q.since, start) if q.since else start
    found = rule.between(after, now + lead)
    return found[-1] if found else None


def fire_command(q: decider.Queue, at: datetime, candidates: list[c.EvergreenCandidate]) -> c.DecideQueue:
    return c.DecideQueue(
        command_id=derived_id("queue-fire", q.queue_id, at.isoformat()),
        queue_id=q.queue_id,
        site_id=q.site_id,
        requested_by="recur",
        fire=c.FireOccurrence(occurrence=at, candidates=candidates),
    )


async def tick(r: Recurring) -> int:
    """Send every active queue's due occurrence to its writer; how many were sent."""
    now, sent = r.clock(), 0
    for raw in await r.states.active():
        q = decider.from_json(raw)
        try:
            at = due(q, now, r.lead)
        except (ValueError, OverflowError):  # checked when it was created; a rule that fails now must not stop the others
            log.exception("queue %s: its rule cannot be evaluated", q.queue_id)
            continue
        if at is None:
            continue
        cands: list[c.EvergreenCandidate] = []
        if q.kind == "evergreen" and q.content_id:
            cands = [
                c.EvergreenCandidate(post_id=p.post_id, text=p.text, score=p.score, link_url=p.link_url)
                for p in await r.engagements.best_posts(q.site_id, q.content_id, q.platform, CANDIDATES)
            ]
        cmd = fire_command(q, at, cands)
        env = registry.envelope(cmd, source=SOURCE, subject=q.queue_id, id=derived_id(cmd.command_id, "envelope"))
        await send_all(r.out, t.QUEUE_COMMANDS, [(q.queue_id, env)])
        sent += 1
    return sent


def post_command(ev: e.QueueOccurrenceFired, now: datetime) -> c.DecidePost:
    """The post an occurrence becomes, placed at the occurrence (now, if that has passed): placed even
    where the account's cap or cooldown would refuse it, since a person planned this time (recorded)."""
    return c.DecidePost(
        command_id=derived_id("queue", ev.post_id),
        post_id=ev.post_id,
        site_id=ev.site_id,
        requested_by=f"queue:{ev.queue_id}",
        platform=ev.platform,
        create=c.CreatePost(
            account_id=ev.account_id,
            text=ev.text,
            site_id=ev.site_id,
            link_url=ev.link_url,
            media_urls=list(ev.media_urls),
            schedule=c.SchedulePost(scheduled_at=max(ev.occurrence, now), override=True),
        ),
    )


async def post(decoded: Decoded, r: Recurring) -> c.DecidePost | None:
    """A fired occurrence into the posts' writer's command (other queue events are not this agent's)."""
    ev = decoded.message
    if not isinstance(ev, e.QueueOccurrenceFired):
        return None
    cmd = post_command(ev, r.clock())
    await send_all(r.out, t.POST_COMMANDS, [(ev.post_id, _caused(cmd, cmd.command_id, ev.post_id, decoded))], wait=False)
    if r.outcomes is not None:
        await _answered(decoded, ev, cmd, r.outcomes, r)
    return cmd


def refuse_command(ev: e.QueueOccurrenceFired, body: dict[str, Any]) -> c.DecideQueue:
    """The queue's writer told that the post ``ev`` fired was refused, with the posts' writer's words."""
    field = body.get("field")
    return c.DecideQueue(
        command_id=derived_id("queue-refuse", ev.queue_id, ev.post_id),
        queue_id=ev.queue_id,
        site_id=ev.site_id,
        requested_by="recur",
        refuse=c.RefuseOccurrence(
            occurrence=ev.occurrence,
            post_id=ev.post_id,
            code=str(body.get("code") or ""),
            reason=str(body.get("detail") or body.get("title") or "refused")[:2000],
            field=str(field) if field else None,
        ),
    )


async def _answered(decoded: Decoded, ev: e.QueueOccurrenceFired, cmd: c.DecidePost, outcomes: OutcomeWaiter, r: Recurring) -> None:
    got = (await outcomes.wait([cmd.command_id], r.answer_seconds)).get(cmd.command_id)
    if got is None:  # the writer is down or behind: held and tried again (the same command, answered once)
        raise TimeoutError(f"no answer from the posts' writer to {cmd.command_id} within {r.answer_seconds:.0f} s")
    if got.status < 400:
        return
    refuse = refuse_command(ev, got.body)
    log.info("queue %s: the post of %s was refused (%s)", ev.queue_id, ev.occurrence.isoformat(), refuse.refuse and refuse.refuse.code)
    await send_all(r.out, t.QUEUE_COMMANDS, [(ev.queue_id, _caused(refuse, refuse.command_id, ev.queue_id, decoded))])


def _caused(cmd: Any, command_id: str, subject: str, cause: Decoded) -> Any:
    """A command this agent sends because of ``cause``: its envelope's id derived from the command's
    (a redelivery sends the same), correlated with what caused it."""
    return registry.envelope(
        cmd,
        source=SOURCE,
        subject=subject,
        id=derived_id(command_id, "envelope"),
        correlationid=cause.envelope.correlationid or cause.envelope.id,
        causationid=cause.envelope.id,
    )


def register(agent: Agent) -> None:
    deps = agent.deps
    if deps.queue_states is None or deps.engagements is None:
        return
    s = deps.settings
    r = Recurring(deps.queue_states, deps.engagements, agent.producer, deps.outcomes, lead=timedelta(seconds=s.queue_lead_seconds))

    async def one_event(message: Any) -> None:
        await post(registry.decode(message.value or b""), r)

    agent.every(s.queue_tick_seconds, "recur.due", lambda: tick(r), on_leader=True)
    agent.consume(t.QUEUES, "recur", one_event)
