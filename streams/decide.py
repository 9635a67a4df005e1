"""decide: the single writer of people's commands on posts.

Commands arrive on ``social.posts.commands`` keyed by post id; the post's state is folded from its
own events on ``social.posts`` (whoever wrote them) into a :class:`PostStateStore`, and each command
is decided against it under the post's lock: of two conflicting commands exactly one wins, the
other is refused (a stale ``expected_version`` is a 409 naming the post's current state). What a
command produced, or why it was refused, is recorded by command id for the API to answer with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.accounts import Accounts
from adapters.kafka import Producer, send_all
from adapters.post_states import Folded, Outcome, PostStateStore, remember
from adapters.sites import SiteDirectory
from commands import posts as decider
from commands.exceptions import CommandRefused, InvalidTransition, PostNotFound, ScheduleConflict
from domain.accounts import Site
from domain.lifecycle import PostState
from schemas import events as e
from schemas import topics as t
from schemas.commands import CreatePost, DecidePost, PublishPostNow, SchedulePost
from schemas.envelope import derived_id, utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import Decoded, registry
from streams import plumbing
from streams.plumbing import Agent

SOURCE = "socializer/decide"
log = logging.getLogger("socializer.decide")


@dataclass
class Deciding:
    states: PostStateStore
    out: Producer
    accounts: Accounts | None = None  # None: no cap or cooldown check (unit tests of the rest)
    sites: SiteDirectory | None = None
    clock: Callable[[], datetime] = utcnow
    campaign: str = "socializer"  # utm_campaign on the links people post
    catch_up_seconds: float = 3.0  # how long a command waits for the version its sender read


def placed_at(cmd: DecidePost, now: datetime) -> datetime | None:
    """When a command places the post, if it names a time: publish now, schedule or approve at a time."""
    action = cmd.action
    if isinstance(action, CreatePost):  # created with its time (an import's row)
        return action.schedule.scheduled_at if action.schedule else None
    if isinstance(action, PublishPostNow):
        return now
    if isinstance(action, SchedulePost):  # approve is a schedule too
        return action.scheduled_at
    return None


async def slots_for(cmd: DecidePost, state: PostState | None, d: Deciding, now: datetime) -> decider.Slots | None:
    """The account's rules and its other posts' times: what every command that places the post at a
    time is checked against (the one place they are gathered)."""
    at = placed_at(cmd, now)
    account_id = state.account_id if state else cmd.create.account_id if cmd.create else None
    if account_id is None or d.accounts is None or at is None:
        return None
    account = await d.accounts.get(account_id)
    if account is None:
        return None
    site = (await d.sites.site(account.site_id) if d.sites else None) or Site(site_id=account.site_id)
    policy = site.policy(account)
    reach = timedelta(hours=max(policy.cooldown_hours, 24) + 24)
    return decider.Slots(policy, tuple(await d.states.occupied(account_id, at - reach, at + reach)))


def refusal(err: CommandRefused, cmd: DecidePost) -> Outcome:
    status = 404 if isinstance(err, PostNotFound) else 409 if isinstance(err, InvalidTransition) else 422  # InvalidContent, InvalidSchedule
    return Outcome(
        status,
        {
            "post_id": cmd.post_id,
            "site_id": cmd.site_id,
            "code": err.code,
            "title": type(err).__name__,
            "detail": err.detail,
            "field": err.field,
            **({"conflict": err.conflict} if isinstance(err, ScheduleConflict) else {}),
        },
    )


async def decide(decoded: Decoded, d: Deciding) -> Outcome:
    cmd = decoded.message
    if not isinstance(cmd, DecidePost):
        raise InvalidEvent(f"envelope.type: expected DecidePost, got {decoded.envelope.type!r}")
    if cmd.expected_version is not None:
        await caught_up(d, cmd.post_id, cmd.expected_version)
    async with d.states.post(cmd.post_id) as txn:
        known = await txn.outcome(cmd.command_id)
        if known is not None:
            return known  # a redelivered or retried command: the first answer
        try:
            now = d.clock()
            slots = await slots_for(cmd, txn.folded.state, d, now)
            site = await d.sites.site(cmd.site_id) if d.sites else None
            campaign = site.utm_campaign if site and site.utm_campaign else d.campaign
            events = decider.handle(txn.folded.state, cmd, now, campaign=campaign, slots=slots)
        except CommandRefused as err:
            outcome = refusal(err, cmd)
        else:
            env = decoded.envelope
            items = [
                (
                    cmd.post_id,
                    registry.envelope(
                        ev,
                        source=SOURCE,
                        subject=cmd.post_id,
                        id=derived_id(cmd.command_id, str(i)),
                        correlationid=env.correlationid or env.id,
                        causationid=env.id,
                    ),
                )
                for i, ev in enumerate(events)
            ]
            # On the log before the state moves: a crash in between re-decides the same command into
            # the same event ids, which every consumer (and the fold below) drops as repeats.
            positions = await send_all(d.out, t.POSTS, items)
            state = txn.folded.state
            for ev in events:
                state = decider.fold(state, ev)
            await txn.save(Folded(state, remember(txn.folded.applied, [env_.id for _, env_ in items])))
            outcome = Outcome(
                202,
                {
                    **({"attempt_id": cmd.start.attempt_id} if cmd.start else {}),
                    "post_id": cmd.post_id,
                    "site_id": cmd.site_id,
                    "version": state.version if state else 0,
                    "status": state.status if state else None,
                    "events": [
                        {"event_id": env_.id, "type": env_.type, "topic": p.topic, "partition": p.partition, "offset": p.offset}
                        for (_, env_), p in zip(items, positions, strict=True)
                    ],
                },
            )
        await txn.record(cmd.command_id, outcome)
    return outcome


async def caught_up(d: Deciding, post_id: str, version: int) -> None:
    await plumbing.caught_up(lambda: d.states.version(post_id), version, d.catch_up_seconds)


async def fold(decoded: Decoded, d: Deciding) -> None:
    """Fold one lifecycle event, whoever wrote it, into its post's state (once per event id)."""
    event = decoded.message
    if isinstance(event, e.ContentSkipped | e.PostSkipped):  # no post to decide about: only the read side records it
        return
    if not isinstance(event, e.Event) or not hasattr(event, "post_id"):
        raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {t.POSTS}")
    async with d.states.post(event.post_id) as txn:
        if decoded.envelope.id in txn.folded.applied:
            return
        state = decider.fold(txn.folded.state, event)
        if state is not None:
            await txn.save(Folded(state, remember(txn.folded.applied, [decoded.envelope.id])))


def register(agent: Agent) -> None:
    deps = agent.deps
    d = Deciding(states=deps.post_states, out=agent.producer, accounts=deps.accounts, sites=deps.sites, campaign=deps.settings.utm_campaign)

    async def one_command(message: Any) -> None:
        await decide(registry.decode(message.value or b""), d)

    async def one_event(message: Any) -> None:
        await fold(registry.decode(message.value or b""), d)

    # Each partition decided side by side: a post's commands share a partition, so they stay in order,
    # and the post's lock orders them against its events folded meanwhile.
    agent.consume(t.POST_COMMANDS, "decide", one_command, isolated=True)
    agent.consume(t.POSTS, "decide.fold", one_event)
