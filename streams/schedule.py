"""schedule: keep every post's slot, give auto-scheduled posts the next free best-time slot, and
dispatch ``PublishPost`` within a second of a post's time.

State lives in Postgres (``scheduler_posts``) so it survives restarts and is shared by every worker:
slotting takes a per-account advisory lock, and the due loop claims rows with SKIP LOCKED, sends,
then marks them dispatched. A crash between send and mark re-sends the same command (same id),
which the publish agent recognises.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from adapters.accounts import Site
from commands.slots import next_slot
from schemas import events as e
from schemas.commands import PublishPost
from schemas.envelope import Envelope, derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.app import SOURCE
from streams.plumbing import each, send_all

log = logging.getLogger("socializer.schedule")
PAYLOAD_FIELDS = ("site_id", "account_id", "platform", "text", "link_url", "hashtags", "media_urls", "thread", "first_comment")


async def reserve_slot(conn: asyncpg.Connection, deps: Any, post_id: str, now: datetime) -> e.PostScheduled | None:
    """Give a draft its account's next free slot (idempotent: a post already slotted keeps its slot)."""
    async with conn.transaction():
        row = await conn.fetchrow("SELECT * FROM scheduler_posts WHERE post_id = $1 FOR UPDATE", post_id)
        if row is None:
            return None
        slot_kind = "best_time"
        account = await (await deps.accounts()).get(row["account_id"])
        if row["state"] == "draft":
            if account is None or account.status == "disconnected":
                log.warning("post %s: account %s is not connected; left as draft", post_id, row["account_id"])
                return None
            site = deps.sites.site(account.site_id) or Site(site_id=account.site_id)
            policy = site.policy(account)
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", row["account_id"])
            window = timedelta(hours=max(policy.cooldown_hours, 24))
            occupied = [
                r["due_at"]
                for r in await conn.fetch(
                    "SELECT due_at FROM scheduler_posts WHERE account_id = $1 AND state IN ('pending','dispatched','published')"
                    " AND due_at > $2", row["account_id"], now - window,
                )
            ]
            at = next_slot(policy, row["platform"], occupied, now)
            await conn.execute(
                "UPDATE scheduler_posts SET state = 'pending', due_at = $2, updated_at = now() WHERE post_id = $1", post_id, at
            )
        elif row["state"] == "pending" and row["due_at"] is not None:
            at = row["due_at"]
        else:
            return None
        if account and account.settings.interval_minutes:
            slot_kind = "interval"
        return e.PostScheduled(post_id=post_id, account_id=row["account_id"], platform=row["platform"], scheduled_at=at, slot=slot_kind)


async def apply(conn: asyncpg.Connection, deps: Any, event: Any, now: datetime) -> e.PostScheduled | None:
    """Fold one lifecycle event into the scheduler's state; return a PostScheduled to emit, if any."""
    match event:
        case e.PostDrafted():
            payload = {k: getattr(event, k) for k in PAYLOAD_FIELDS}
            await conn.execute(
                "INSERT INTO scheduler_posts (post_id, site_id, account_id, platform, state, payload)"
                " VALUES ($1, $2, $3, $4, 'draft', $5) ON CONFLICT (post_id) DO NOTHING",
                event.post_id, event.site_id, event.account_id, event.platform, payload,
            )
            if event.auto_schedule:
                return await reserve_slot(conn, deps, event.post_id, now)
        case e.PostQueued():
            return await reserve_slot(conn, deps, event.post_id, now)
        case e.PostScheduled() | e.PostRescheduled():
            await conn.execute(
                "UPDATE scheduler_posts SET state = 'pending', due_at = $2, updated_at = now()"
                " WHERE post_id = $1 AND state IN ('draft', 'pending', 'failed')",
                event.post_id, event.scheduled_at,
            )
        case e.PostEdited():
            changes = event.model_dump(exclude_none=True, exclude={"post_id"})
            await conn.execute(
                "UPDATE scheduler_posts SET payload = payload || $2::jsonb, updated_at = now()"
                " WHERE post_id = $1 AND state IN ('draft', 'pending', 'failed')",
                event.post_id, changes,
            )
        case e.PostCancelled():
            await conn.execute(
                "UPDATE scheduler_posts SET state = 'cancelled', updated_at = now() WHERE post_id = $1 AND state <> 'published'",
                event.post_id,
            )
        case e.PostPublished():
            await conn.execute("UPDATE scheduler_posts SET state = 'published', updated_at = now() WHERE post_id = $1", event.post_id)
        case e.PostPublishFailed() if not event.retryable:
            await conn.execute(
                "UPDATE scheduler_posts SET state = 'failed', updated_at = now() WHERE post_id = $1 AND state = 'dispatched'",
                event.post_id,
            )
    return None


def publish_command(row: asyncpg.Record) -> tuple[str, Envelope]:
    p = row["payload"]
    cmd = PublishPost(post_id=row["post_id"], due_at=row["due_at"], **{k: p.get(k) for k in PAYLOAD_FIELDS if p.get(k) is not None})
    env = registry.envelope(cmd, source=SOURCE, subject=cmd.post_id, id=derived_id(cmd.post_id, "publish", row["due_at"].isoformat()))
    return cmd.post_id, env


async def dispatch_due(pool: asyncpg.Pool, publish_topic: Any, limit: int = 500) -> int:
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT post_id, due_at, payload FROM scheduler_posts WHERE state = 'pending' AND due_at <= now()"
            " ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit,
        )
        if not rows:
            return 0
        await send_all(publish_topic, [publish_command(r) for r in rows])
        await conn.execute(
            "UPDATE scheduler_posts SET state = 'dispatched', updated_at = now() WHERE post_id = ANY($1::text[])",
            [r["post_id"] for r in rows],
        )
    return len(rows)


def register(app: Any, topics: Any, deps: Any) -> None:
    @app.agent(topics.posts, name="schedule")
    async def schedule(stream: Any) -> None:
        async def handle(message: Any) -> None:
            decoded = registry.decode(message.value or b"")
            if not isinstance(decoded.message, e.Event):
                raise InvalidEvent(f"envelope.type: {decoded.envelope.type!r} does not belong on {message.topic}")
            pool = await deps.db()
            async with pool.acquire() as conn:
                scheduled = await apply(conn, deps, decoded.message, datetime.now(timezone.utc))
            if scheduled is not None:
                env = decoded.envelope
                out = registry.envelope(scheduled, source=SOURCE, subject=scheduled.post_id,
                                        id=derived_id(scheduled.post_id, "slot", scheduled.scheduled_at.isoformat()),
                                        correlationid=env.correlationid, causationid=env.id)
                await send_all(topics.posts, [(scheduled.post_id, out)], wait=False)

        await each(stream, agent="schedule", dlq_topic=topics.dlq[topics.posts.get_topic_name()], handle=handle)

    @app.timer(deps.settings.due_check_seconds, name="schedule.dispatch_due")
    async def due() -> None:
        try:
            while await dispatch_due(await deps.db(), topics.publish) >= 500:
                pass
        except Exception as err:  # an outage must not kill the timer; the next tick tries again
            log.error("dispatch_due failed: %s", err)
