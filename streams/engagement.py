"""engagement: poll the metrics of posts published in the last N days, every interval (default 6 h;
videos every 12 h, the seed's cadence), and record them as ``EngagementRecorded``. Runs on the leader only: one poll per interval, not one
per worker. What was published comes from the posts read model (:class:`PublishedPosts`)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.accounts import Tokens
from adapters.exceptions import AdapterError, AuthExpired, ScopeMissing
from adapters.kafka import Producer, send_all
from adapters.platforms.base import PlatformClient
from adapters.published import PublishedPost, PublishedPosts
from domain.accounts import Account
from domain.platforms import PROFILES
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.events import EngagementRecorded
from schemas.registry import registry
from streams.plumbing import Agent

SOURCE = "socializer/engagement"
log = logging.getLogger("socializer.engagement")


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
    window_days: int,
    now: datetime,
    videos: bool | None = None,
) -> int:
    """One poll; ``videos``: True only video posts, False all but them, None every post."""
    by_account: dict[str, list[PublishedPost]] = defaultdict(list)
    for p in await published.since(now - timedelta(days=window_days)):
        if videos is None or (p.post_type == "video") == videos:
            by_account[p.account_id].append(p)
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
        ids = [p.platform_post_id for p in posts]
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
        items = []
        for p in posts:
            m = metrics.get(p.platform_post_id)
            if m is None:
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
                engagement_rate=m.engagement_rate,
                fetched_at=now,
                raw=m.raw,
            )
            items.append(
                (
                    p.post_id,
                    registry.envelope(ev, source=SOURCE, subject=p.post_id, id=derived_id(p.post_id, "engagement", now.isoformat())),
                )
            )
        await send_all(out, t.ENGAGEMENT, items)
        sent += len(items)
    return sent


def register(agent: Agent) -> None:
    d = agent.deps

    s = d.settings

    async def tick() -> None:
        n = await collect(
            d.published, d.tokens, d.platforms, agent.producer, window_days=s.engagement_window_days, now=utcnow(), videos=False
        )
        log.info("recorded engagement of %d posts", n)

    async def tick_videos() -> None:  # videos on their own cadence (the seed's: every 12 hours)
        n = await collect(
            d.published, d.tokens, d.platforms, agent.producer, window_days=s.engagement_window_days, now=utcnow(), videos=True
        )
        log.info("recorded engagement of %d videos", n)

    agent.every(s.engagement_interval_seconds, "engagement.collect", tick, on_leader=True)
    agent.every(s.video_engagement_interval_seconds, "engagement.videos", tick_videos, on_leader=True)
