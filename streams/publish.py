"""publish: call the platform at most once per post and account, whatever crashes in between.

The rules are :mod:`commands.publish`; this shell records the attempt (:class:`AttemptStore`)
*before* the call, makes the call, and turns what happened into an outcome for the decider. A
redelivered command, or an attempt whose worker died, is reconciled by the sweeper: looked up on
the platform first, created again only when verified absent. How an attempt ended is kept with it
in one transaction (the outbox) and relayed from there: a worker killed right after the call
cannot leave a published post that never says so.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from adapters import exceptions as x
from adapters.accounts import Tokens
from adapters.kafka import Producer, send_all
from adapters.metrics import PUBLISH_OUTCOMES
from adapters.outbox import OutboxRelay
from adapters.outcomes import PostCommands
from adapters.platforms.base import OutgoingPost, PlatformClient
from adapters.post_states import Outcome, PostStateStore
from adapters.publishing import AttemptStore
from adapters.uploads import OutgoingVideo, tag_for
from commands import publish as attempt
from domain.lifecycle import PostState
from schemas import events as e
from schemas import topics as t
from schemas.commands import DecidePost, PublishPost, StartPublishing
from schemas.envelope import Envelope, derived_id, utcnow
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/publish"
SWEEP_BATCH = 20
log = logging.getLogger("socializer.publish")


@dataclass
class Publishing:
    """The ports one publish needs."""

    attempts: AttemptStore
    tokens: Tokens
    platforms: Mapping[str, PlatformClient]
    out: Producer
    policy: attempt.Policy
    outbox: OutboxRelay  # where a save puts an ending's events, relayed right after it
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    states: PostStateStore | None = None  # the posts' single-writer state, read only: what the post says at the call
    writer: Writer | None = None  # the posts' single writer, asked before each call: a cancel or edit before it wins


class Writer(Protocol):
    async def ask(self, cmd: DecidePost) -> Outcome | None: ...


async def start_publishing(p: Publishing, cmd: PublishPost, attempt_id: str) -> str | None:
    """Ask the post's single writer to record the call as begun, just before it: the attempt id to
    go on with (the first asked, when this is a redelivery), or None if a cancel came first."""
    assert p.writer is not None
    start = StartPublishing(account_id=cmd.account_id, attempt_id=attempt_id)
    ask = DecidePost(
        # One question per dispatch: asked again after a crash, the writer answers with its first outcome.
        command_id=derived_id(cmd.post_id, cmd.account_id, "start", cmd.due_at.isoformat()),
        post_id=cmd.post_id,
        site_id=cmd.site_id,
        requested_by="publish",
        start=start,
    )
    outcome = await p.writer.ask(ask)
    if outcome is None:
        raise x.Unavailable(f"post {cmd.post_id}: its writer did not answer in time")  # held and asked again
    if outcome.status != 202:
        log.info("post %s not published: %s", cmd.post_id, outcome.body.get("detail"))
        return None
    return str(outcome.body.get("attempt_id") or attempt_id)


def latest(cmd: PublishPost, state: PostState) -> PublishPost:
    """The command with what the post says now: an edit decided after dispatch, before the call, wins."""
    return cmd.model_copy(
        update={
            "text": state.text,
            "thread": list(state.thread) if state.thread else None,
            "hashtags": list(state.hashtags),
            "link_url": state.link_url,
            "media_urls": list(state.media_urls) or cmd.media_urls,
        }
    )


def publishing_id(post_id: str, attempt_id: str) -> str:
    """The id of an attempt's ``PostPublishing``: the post's single writer folds it once by this id."""
    return derived_id(post_id, "publishing", attempt_id)


def _envelopes(decision: attempt.Decision) -> list[tuple[str, Envelope]]:
    a = decision.attempt
    items = []
    for event in decision.events:
        if isinstance(event, e.PostPublishing):
            event_id = publishing_id(a.effect_id, a.attempt_id)
        else:  # the outcome: the same id on every redelivery
            event_id = derived_id(a.effect_id, a.account_id, a.state, a.due_at.isoformat() if a.due_at else "")
        items.append((a.effect_id, registry.envelope(event, source=SOURCE, subject=a.effect_id, id=event_id)))
    return items


async def _emit(p: Publishing, decision: attempt.Decision) -> None:
    await send_all(p.out, t.POSTS, _envelopes(decision))


async def handle(cmd: PublishPost, p: Publishing) -> None:
    """One ``PublishPost``: start an attempt and run it, or say again how an earlier one ended."""
    known = await p.attempts.get(cmd.post_id, cmd.account_id, cmd.due_at)
    if known is None:
        attempt_id = p.new_id()
        begun = False
        if p.writer is not None and p.states is not None:
            started_as = await start_publishing(p, cmd, attempt_id)
            if started_as is None:
                return
            attempt_id, begun = started_as, True
            state = await p.states.state(cmd.post_id)  # read only: from here on nobody may change it
            if state is not None and state.text:
                cmd = latest(cmd, state)
        started = attempt.start(cmd, attempt_id=attempt_id, now=p.clock(), policy=p.policy)
        if begun:  # the writer has put PostPublishing on the log: not a second time
            started = attempt.Decision(started.attempt, [ev for ev in started.events if not isinstance(ev, e.PostPublishing)])
        if await p.attempts.begin(started.attempt):
            await _emit(p, started)
            await run(started.attempt, p, reconcile=False)
            return
        known = await p.attempts.get(cmd.post_id, cmd.account_id, cmd.due_at)  # another worker began it meanwhile
    if known is not None and known.state in attempt.DONE:
        await _emit(p, attempt.Decision(known, [attempt.announce(known)]))  # a redelivery: the same event id
    # Otherwise someone holds it; the sweeper takes it over when the lease ends.


async def sweep(p: Publishing, limit: int = SWEEP_BATCH) -> int:
    """Take over attempts whose lease ended and whose next try is due; reconcile or retry them."""
    now = p.clock()
    due = await p.attempts.claim_due(now, now + p.policy.lease, limit)
    for a in due:
        await run(a, p, reconcile=attempt.must_look_up(a))
    return len(due)


def outcome_name(outcome: attempt.Outcome) -> str:
    """``RateLimited`` -> ``rate_limited``: the outcome label of ``socializer_publish_outcomes_total``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(outcome).__name__).lower()


async def _settle(p: Publishing, a: attempt.Attempt, outcome: attempt.Outcome) -> attempt.Attempt:
    PUBLISH_OUTCOMES.labels(a.platform, outcome_name(outcome)).inc()
    decision = attempt.decide(a, outcome, p.clock(), p.policy)
    if decision.attempt != a:
        # The ending and its event in one transaction: after it nothing runs this attempt again, so
        # the event must not wait on this process surviving until the send.
        await p.attempts.save(decision.attempt, [(t.POSTS, key, env) for key, env in _envelopes(decision)])
    if decision.events:
        try:
            await p.outbox.relay(p.out)
        except Exception as err:  # noqa: BLE001 - the event is safe in the outbox: the relay timer sends it
            log.warning("post %s: its outcome waits in the outbox (%s)", a.effect_id, type(err).__name__)
    return decision.attempt


async def run(a: attempt.Attempt, p: Publishing, *, reconcile: bool) -> None:
    cmd = PublishPost.model_validate(a.payload)
    try:
        account = await p.tokens.authorized(cmd.account_id)
    except x.AccountUnusable as err:  # needs_reauth, disconnected: publishing stops, with the reason on the post
        await _settle(p, a, attempt.Rejected(str(err), err.code))
        return
    except x.Unavailable as err:  # the token endpoint is down: nothing was sent, try again later
        await _settle(p, a, attempt.Unavailable(str(err)))
        return
    client = p.platforms[cmd.platform]
    post = OutgoingPost(
        post_id=cmd.post_id,
        text=cmd.text,
        link_url=cmd.link_url,
        media_urls=tuple(cmd.media_urls),
        thread=tuple(cmd.thread) if cmd.thread else None,
        first_comment=cmd.first_comment,
        video=outgoing_video(cmd),
    )
    if reconcile:
        try:
            ref = await client.find_post(account, post, since=a.started_at - timedelta(seconds=5))
        except x.ScopeMissing as err:  # the lookup needs a scope the grant lacks: reconnect, then look again
            await p.tokens.scope_missing(account, err.scope, str(err))
            await _settle(p, a, attempt.LookupFailed(str(err)))
            return
        except x.PlatformError as err:
            await _settle(p, a, attempt.LookupFailed(str(err)))
            return
        if ref is not None:
            await _settle(p, a, attempt.Found(ref.platform_post_id, ref.url, ref.warnings))
            return
        # Verified absent: creating now cannot make a second post.
    elif not attempt.must_look_up(a):  # a retry: if this worker dies while the create is out, the next one looks first
        await p.attempts.save(attempt.creating(a))
    # After a first try, part of a multi-part post (an X thread) may have landed: resume after it.
    resume = a.started_at - timedelta(seconds=5) if reconcile or a.tries > 1 else None
    await _settle(p, a, await _create(p, client, account, post, resume))


async def _create(p: Publishing, client: PlatformClient, account: Any, post: OutgoingPost, resume: datetime | None) -> attempt.Outcome:
    try:
        try:
            ref = await client.create_post(account, post, resume_since=resume)
        except x.AuthExpired as err:
            # A 401 means nothing was created: refresh (once, across every worker) and create again.
            ref = await client.create_post(await p.tokens.rejected(account, str(err)), post, resume_since=resume)
    except x.AccountUnusable as err:
        return attempt.Rejected(str(err), err.code)
    except x.ScopeMissing as err:  # nothing was created; the account needs re-authorisation with the scope
        await p.tokens.scope_missing(account, err.scope, str(err))
        return attempt.Rejected(str(err), "needs_reauth")
    except x.RateLimited as err:
        return attempt.RateLimited(str(err), err.retry_after)
    except x.Unavailable as err:
        return attempt.Unavailable(str(err))
    except x.AuthExpired as err:
        return attempt.Rejected(str(err), "needs_reauth")
    except x.Rejected as err:
        return attempt.Rejected(str(err), err.code or str(err.status or ""))
    except x.OutcomeUnknown as err:
        log.warning("post %s: outcome unknown (%s); will look it up before any new attempt", post.post_id, err)
        return attempt.Unknown(str(err))
    return attempt.Created(ref.platform_post_id, ref.url, ref.warnings)


def outgoing_video(cmd: PublishPost) -> OutgoingVideo | None:
    v = cmd.video
    if v is None:
        return None
    return OutgoingVideo(
        effect_id=cmd.post_id,
        tag=tag_for(cmd.post_id, cmd.account_id),
        title=v.title,
        description=cmd.text,
        video_url=v.video_url,
        tags=tuple(v.tags),
        thumbnail_url=v.thumbnail_url,
        captions_url=v.captions_url,
        language=v.language,
        made_for_kids=v.made_for_kids,
        privacy=v.privacy,
    )


def decode(value: bytes | None) -> PublishPost:
    decoded = registry.decode(value or b"")
    if not isinstance(decoded.message, PublishPost):
        raise InvalidEvent(f"envelope.type: expected PublishPost, got {decoded.envelope.type!r}")
    return decoded.message


def register(agent: Agent) -> None:
    d = agent.deps
    p = Publishing(
        attempts=d.attempts,
        tokens=d.tokens,
        platforms=d.platforms,
        out=agent.producer,
        policy=d.settings.publish,
        outbox=d.outbox,
        states=d.post_states,
        writer=PostCommands(agent.producer, d.outcomes, source=SOURCE),
    )

    async def one(message: Any) -> None:
        await handle(decode(message.value), p)

    # Posts are independent of each other: a few in flight at once hide the platforms' latency.
    agent.consume(t.PUBLISH, "publish", one, concurrency=4)
    agent.every(1.0, "publish.sweep", lambda: _sweep_all(p))


async def _sweep_all(p: Publishing) -> None:
    while await sweep(p) >= SWEEP_BATCH:
        pass
