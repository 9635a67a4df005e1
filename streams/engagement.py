"""engagement: read each published post's engagement at the fixed ages of its platform's ladder
(``PlatformProfile.ladder``; videos their own) and record each reading as ``EngagementRecorded``,
stamped with its label and the post's age. Runs on the leader only, a short tick (the first at
start) that polls only the posts with a snapshot due, one call per account and batch (the adapters
cut the ids into the platform's batches: X 100, TikTok 20). What was polled when is kept
(``engagement_polls``, written once the readings are on the log): a restart repeats none, and a
snapshot that fell due while nothing ran is polled at the first tick. What was published comes
from the posts read model (:class:`PublishedPosts`)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.accounts import Accounts, Tokens
from adapters.exceptions import AdapterError, AuthExpired, ScopeMissing
from adapters.kafka import Producer, send_all
from adapters.platforms.base import PlatformClient
from adapters.ports import follower_counter
from adapters.published import Poll, PublishedPost, PublishedPosts
from domain.accounts import Account
from domain.engagement import Due, due_snapshots
from domain.platforms import PROFILES, profile
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.events import EngagementRecorded, FollowersCounted
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/engagement"
log = logging.getLogger("socializer.engagement")


def horizon(scale: float) -> timedelta:
    """How far back a post may still have a reading due: the longest ladder, and one step more for a
    last reading that fell due while nothing ran."""
    ages = [ladder.until + ladder.step for p in PROFILES.values() for ladder in (p.ladder, p.video_ladder)]
    return timedelta(seconds=max(ages) * scale)


def analytics_granted(account: Account) -> bool:
    """Whether the account was connected for analytics: an account connected to publish only
    (``features: ["publish"]``) is not asked for metrics its grant does not cover."""
    known = PROFILES.get(account.platform)
    table = known.scopes.get(account.account_type, {}) if known else {}
    return not account.scopes or all(s in account.scopes for s in table.get("analytics", ()))


async def collect(
    published: PublishedPosts,
    tokens: Tokens,
    platforms: Mapping[str, PlatformClient],
    out: Producer,
    *,
    now: datetime,
    scale: float = 1.0,
    grace: float = 120.0,
) -> int:
    """One tick: the readings due at ``now``, polled per account; returns how many were recorded.
    ``grace``: how late (seconds) a reading may come and still be on time (about two ticks)."""
    by_account: dict[str, list[tuple[PublishedPost, Due, list[Due]]]] = defaultdict(list)
    for p in await published.since(now - horizon(scale)):
        due = due_snapshots(p.published_at, now, profile(p.platform).ladder_for(p.post_type), p.taken, scale=scale, grace=grace)
        take = [d for d in due if d.take]
        if take:
            by_account[p.account_id].append((p, take[0], [d for d in due if not d.take]))
        elif due:  # only past readings (older than one already taken): never due again
            await published.polled([Poll(p.post_id, d.label, d.due_at, now, skipped=True) for d in due])
    sent = 0
    for account_id, posts in by_account.items():
        try:
            account = await tokens.authorized(account_id)
        except AdapterError as err:  # not connected any more, or needs re-authorisation
            log.info("metrics for %s skipped: %s", account_id, err)
            continue
        if not analytics_granted(account):
            log.info("metrics for %s skipped: connected without analytics", account_id)
            continue
        client = platforms[account.platform]
        ids = [p.platform_post_id for p, _, _ in posts]
        try:
            try:
                metrics = await client.fetch_metrics(account, ids)
            except AuthExpired as err:  # refresh once (single-flight with publishing), or the account needs re-authorisation
                metrics = await client.fetch_metrics(await tokens.rejected(account, str(err)), ids)
        except ScopeMissing as err:  # an insight scope the grant lacks: needs_reauth naming it (refreshing cannot add it)
            await tokens.scope_missing(account, err.scope, str(err))
            continue
        except AdapterError as err:
            log.warning("metrics for %s failed: %s", account_id, err)
            continue
        items, polls = [], []
        for p, due, skipped in posts:
            polls += [Poll(p.post_id, d.label, d.due_at, now, skipped=True) for d in skipped]
            m = metrics.get(p.platform_post_id)
            polls.append(Poll(p.post_id, due.label, due.due_at, now, found=m is not None))
            if m is None:  # gone from the platform (or not readable): this reading stays empty
                continue
            ev = EngagementRecorded(
                post_id=p.post_id,
                site_id=p.site_id,
                account_id=account_id,
                platform=p.platform,  # type: ignore[arg-type]
                platform_post_id=p.platform_post_id,
                likes=m.likes,
                comments=m.comments,
                shares=m.shares,
                impressions=m.impressions,
                clicks=m.clicks,
                reach=m.reach,
                saves=m.saves,
                views=m.views,
                engagement_rate=m.engagement_rate,
                fetched_at=now,
                label=due.label,
                age_seconds=round((now - p.published_at).total_seconds(), 3),
                late=due.late,
                raw=m.raw,
            )
            env = registry.envelope(ev, source=SOURCE, subject=p.post_id, id=derived_id(p.post_id, "engagement", due.label))
            items.append((p.post_id, env))
        await send_all(out, t.ENGAGEMENT, items)
        await published.polled(polls)  # after the readings are on the log: a crash between repeats one, never loses one
        sent += len(items)
    return sent


async def count_followers(accounts: Accounts, tokens: Tokens, platforms: Mapping[str, object], out: Producer, *, now: datetime) -> int:
    """One tick: how many follow each active account connected for analytics, where its platform
    reports it, recorded as ``FollowersCounted`` (one per account and tick; a redelivery is the same
    event id). A refusal skips the account this time: a follower count never marks it for re-authorisation."""
    items = []
    for listed in await accounts.active():
        counter = follower_counter(platforms.get(listed.platform))
        if counter is None:
            continue
        try:
            account = await tokens.authorized(listed.account_id)
            if not analytics_granted(account):
                continue
            try:
                n = await counter.count_followers(account)
            except AuthExpired as err:
                n = await counter.count_followers(await tokens.rejected(account, str(err)))
        except AdapterError as err:  # not connected any more, a scope the grant lacks, the platform down
            log.info("followers of %s not counted: %s", listed.account_id, err)
            continue
        if n is None:
            continue
        ev = FollowersCounted(
            site_id=account.site_id, account_id=account.account_id, platform=account.platform, followers=n, counted_at=now
        )
        env = registry.envelope(
            ev, source=SOURCE, subject=account.account_id, id=derived_id(account.account_id, "followers", now.isoformat())
        )
        items.append((account.account_id, env))
    await send_all(out, t.ENGAGEMENT, items)
    return len(items)


def register(agent: Agent) -> None:
    d = agent.deps
    s = d.settings

    async def tick() -> None:
        n = await collect(
            d.published,
            d.tokens,
            d.platforms,
            agent.producer,
            now=utcnow(),
            scale=s.engagement_age_scale,
            grace=2 * s.engagement_tick_seconds,
        )
        if n:
            log.info("recorded %d engagement snapshots", n)

    agent.every(s.engagement_tick_seconds, "engagement.collect", tick, on_leader=True, first_at_start=True)

    async def followers() -> None:
        n = await count_followers(d.accounts, d.tokens, d.platforms, agent.producer, now=utcnow())
        if n:
            log.info("counted the followers of %d accounts", n)

    agent.every(s.followers_tick_seconds, "engagement.followers", followers, on_leader=True, first_at_start=True)
