"""engagement: poll the metrics of posts published in the last N days, every interval (default 6 h),
and record them as ``EngagementRecorded``. Runs on the leader only: one poll per interval, not one per worker."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from adapters.exceptions import AdapterError, AuthExpired
from schemas.envelope import derived_id
from schemas.events import EngagementRecorded
from schemas.registry import registry
from streams.app import SOURCE
from streams.plumbing import send_all

log = logging.getLogger("socializer.engagement")


async def collect(deps: Any, engagement_topic: Any, now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    pool = await deps.db()
    rows = await pool.fetch(
        "SELECT post_id, account_id, site_id, platform, platform_post_id FROM publish_attempts"
        " WHERE state = 'published' AND published_at > $1",
        now - timedelta(days=deps.settings.engagement_window_days),
    )
    by_account: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_account[r["account_id"]].append(r)
    sent = 0
    tokens = await deps.tokens()
    for account_id, posts in by_account.items():
        try:
            account = await tokens.authorized(account_id)
        except AdapterError as err:  # not connected any more, or needs re-authorisation
            log.info("metrics for %s skipped: %s", account_id, err)
            continue
        client = deps.platforms[account.platform]
        ids = [p["platform_post_id"] for p in posts]
        try:
            try:
                metrics = await client.fetch_metrics(account, ids)
            except AuthExpired as err:  # refresh once (single-flight with publishing), or the account needs re-authorisation
                metrics = await client.fetch_metrics(await tokens.rejected(account, str(err)), ids)
        except AdapterError as err:
            log.warning("metrics for %s failed: %s", account_id, err)
            continue
        out = []
        for p in posts:
            m = metrics.get(p["platform_post_id"])
            if m is None:
                continue
            ev = EngagementRecorded(
                post_id=p["post_id"], site_id=p["site_id"], account_id=account_id, platform=p["platform"],
                platform_post_id=p["platform_post_id"], likes=m.likes, comments=m.comments, shares=m.shares,
                impressions=m.impressions, clicks=m.clicks, engagement_rate=m.engagement_rate, fetched_at=now, raw=m.raw,
            )
            out.append((p["post_id"], registry.envelope(ev, source=SOURCE, subject=p["post_id"],
                                                        id=derived_id(p["post_id"], "engagement", now.isoformat()))))
        await send_all(engagement_topic, out)
        sent += len(out)
    return sent


def register(app: Any, topics: Any, deps: Any) -> None:
    @app.timer(deps.settings.engagement_interval_seconds, on_leader=True, name="engagement.collect")
    async def collect_engagement() -> None:
        try:
            n = await collect(deps, topics.engagement)
            log.info("recorded engagement of %d posts", n)
        except Exception as err:  # an outage (or a tick before the producer started) waits for the next tick
            log.warning("engagement collection failed: %s", err)
