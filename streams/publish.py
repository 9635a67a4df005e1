"""publish: call the platform at most once per post and account, whatever crashes in between.

1. Record the attempt durably (``publish_attempts``, unique per post and account) with a lease,
   *before* calling the platform.
2. Call. A clear answer is recorded and announced (PostPublished / PostPublishFailed).
3. No answer (timeout, dropped connection, 5xx) is an unknown outcome: never retried blindly. The
   sweeper looks the post up on the platform; found → published, absent → safe to create again.
4. A redelivered command, or an attempt whose worker died (lease expired), is reconciled the same way.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from adapters.accounts.tokens import AccountUnusable
from adapters.exceptions import AuthExpired, OutcomeUnknown, PlatformError, RateLimited, Rejected, Unavailable
from adapters.platforms.base import OutgoingPost, PublishedRef
from schemas import events as e
from schemas.commands import PublishPost
from schemas.envelope import derived_id
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams.app import SOURCE
from streams.plumbing import each, send_all

log = logging.getLogger("socializer.publish")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Publisher:
    def __init__(self, deps: Any, posts_topic: Any) -> None:
        self.deps = deps
        self.posts_topic = posts_topic
        s = deps.settings
        self.lease = timedelta(seconds=s.publish_lease_seconds or s.publish_timeout_seconds * 4 + 10)
        self.reconcile_delay = timedelta(seconds=s.reconcile_delay_seconds)
        self.max_tries = s.publish_max_tries

    async def _emit(self, event: e.Event, event_id: str) -> None:
        env = registry.envelope(event, source=SOURCE, subject=event.post_id, id=event_id)  # type: ignore[attr-defined]
        await send_all(self.posts_topic, [(event.post_id, env)])  # type: ignore[attr-defined]

    async def handle(self, cmd: PublishPost) -> None:
        pool = await self.deps.db()
        attempt_id = str(uuid.uuid4())
        async with pool.acquire() as conn:
            inserted = await conn.fetchrow(
                "INSERT INTO publish_attempts (post_id, account_id, attempt_id, platform, site_id, state, lease_until, payload)"
                " VALUES ($1, $2, $3, $4, $5, 'started', $6, $7) ON CONFLICT (post_id, account_id) DO NOTHING RETURNING *",
                cmd.post_id, cmd.account_id, attempt_id, cmd.platform, cmd.site_id, _now() + self.lease, cmd.model_dump(mode="json"),
            )
            if inserted is not None:
                await self._emit(e.PostPublishing(post_id=cmd.post_id, account_id=cmd.account_id, attempt_id=attempt_id),
                                 derived_id(cmd.post_id, "publishing", attempt_id))
                await self.run(conn, inserted, reconcile=False)
                return
            row = await conn.fetchrow("SELECT * FROM publish_attempts WHERE post_id = $1 AND account_id = $2", cmd.post_id, cmd.account_id)
        if row["state"] in ("published", "failed"):
            await self.announce(row)  # a redelivery: say again what happened, with the same event id
            return
        # started / unknown / retry: someone may hold it; the sweeper takes it over when the lease ends.

    async def sweep(self, limit: int = 20) -> int:
        """Take over attempts whose lease ended and whose next try is due; reconcile or retry them."""
        pool = await self.deps.db()
        async with pool.acquire() as conn:
            async with conn.transaction():
                rows = await conn.fetch(
                    "SELECT * FROM publish_attempts WHERE state IN ('started', 'unknown', 'retry') AND lease_until < now()"
                    " AND coalesce(next_try_at, '-infinity') <= now() ORDER BY next_try_at NULLS FIRST LIMIT $1 FOR UPDATE SKIP LOCKED",
                    limit,
                )
                if rows:
                    await conn.execute(
                        "UPDATE publish_attempts SET lease_until = $3 WHERE post_id = ANY($1::text[]) AND account_id = ANY($2::text[])",
                        [r["post_id"] for r in rows], [r["account_id"] for r in rows], _now() + self.lease,
                    )
            for row in rows:
                await self.run(conn, row, reconcile=row["state"] in ("started", "unknown"))
        return len(rows)

    async def run(self, conn: asyncpg.Connection, row: asyncpg.Record, *, reconcile: bool) -> None:
        cmd = PublishPost.model_validate(row["payload"])
        tokens = await self.deps.tokens()
        try:
            account = await tokens.authorized(cmd.account_id)
        except AccountUnusable as err:  # needs_reauth, disconnected: publishing stops, with the reason on the post
            await self.finish(conn, row, "failed", error=str(err), code=err.code)
            return
        except Unavailable as err:  # the token endpoint is down: nothing was sent, try again later
            await self.later(conn, row, "retry", str(err), self.reconcile_delay * 2 ** min(row["tries"], 6))
            return
        client = self.deps.platforms[cmd.platform]
        post = OutgoingPost(post_id=cmd.post_id, text=cmd.text, link_url=cmd.link_url,
                            media_urls=tuple(cmd.media_urls), thread=tuple(cmd.thread) if cmd.thread else None,
                            first_comment=cmd.first_comment)
        if reconcile:
            try:
                ref = await client.find_post(account, post, since=row["started_at"] - timedelta(seconds=5))
            except PlatformError as err:
                await self.later(conn, row, "unknown", f"lookup failed: {err}", self.reconcile_delay * 2)
                return
            if ref is not None:
                await self.finish(conn, row, "published", ref=ref, reconciled=True)
                return
            # Verified absent: creating now cannot make a second post.
        try:
            try:
                ref = await client.create_post(account, post)
            except AuthExpired as err:
                # A 401 means nothing was created: refresh (once, across every worker) and create again.
                account = await tokens.rejected(account, str(err))
                ref = await client.create_post(account, post)
        except AccountUnusable as err:
            await self.finish(conn, row, "failed", error=str(err), code=err.code)
        except RateLimited as err:
            await self.later(conn, row, "retry", str(err), timedelta(seconds=max(1.0, err.retry_after)))
        except Unavailable as err:
            await self.later(conn, row, "retry", str(err), self.reconcile_delay * 2 ** min(row["tries"], 6))
        except AuthExpired as err:
            await self.finish(conn, row, "failed", error=str(err), code="needs_reauth")
        except Rejected as err:
            await self.finish(conn, row, "failed", error=str(err), code=err.code or str(err.status or ""))
        except OutcomeUnknown as err:
            log.warning("post %s: outcome unknown (%s); will look it up before any new attempt", cmd.post_id, err)
            await self.later(conn, row, "unknown", str(err), self.reconcile_delay)
        else:
            await self.finish(conn, row, "published", ref=ref)

    async def later(self, conn: asyncpg.Connection, row: asyncpg.Record, state: str, error: str, delay: timedelta) -> None:
        """Every create call counts as a try; each one after the first follows a lookup that found nothing."""
        tries = row["tries"] + 1
        if tries > self.max_tries:
            await self.finish(conn, row, "failed", error=f"gave up after {row['tries']} tries: {error}", code="exhausted")
            return
        await conn.execute(
            "UPDATE publish_attempts SET state = $3, error = $4, tries = $5, next_try_at = $6, lease_until = now(), updated_at = now()"
            " WHERE post_id = $1 AND account_id = $2",
            row["post_id"], row["account_id"], state, error, tries, _now() + delay,
        )

    async def finish(self, conn: asyncpg.Connection, row: asyncpg.Record, state: str, *, ref: PublishedRef | None = None,
                     error: str | None = None, code: str = "", reconciled: bool = False) -> None:
        done = await conn.fetchrow(
            "UPDATE publish_attempts SET state = $3, platform_post_id = $4, platform_post_url = $5, published_at = $6,"
            " error = $7, next_try_at = NULL, updated_at = now(), payload = payload || $8::jsonb"
            " WHERE post_id = $1 AND account_id = $2 RETURNING *",
            row["post_id"], row["account_id"], state, ref.platform_post_id if ref else None, ref.url if ref else None,
            _now() if ref else None, error, {"_code": code, "_reconciled": reconciled},
        )
        await self.announce(done)

    async def announce(self, row: asyncpg.Record) -> None:
        p = row["payload"]
        if row["state"] == "published":
            event: e.Event = e.PostPublished(
                post_id=row["post_id"], account_id=row["account_id"], platform=row["platform"],
                platform_post_id=row["platform_post_id"], platform_post_url=row["platform_post_url"] or "",
                published_at=row["published_at"], reconciled=bool(p.get("_reconciled")),
            )
        else:
            event = e.PostPublishFailed(post_id=row["post_id"], account_id=row["account_id"], reason=row["error"] or "",
                                        code=p.get("_code", ""), retryable=False)
        await self._emit(event, derived_id(row["post_id"], row["account_id"], row["state"]))


def register(app: Any, topics: Any, deps: Any) -> None:
    publisher = Publisher(deps, topics.posts)
    app.socializer_publisher = publisher

    # Posts are independent of each other: a few in flight at once hide the platforms' latency.
    @app.agent(topics.publish, name="publish", concurrency=4)
    async def publish(stream: Any) -> None:
        async def handle(message: Any) -> None:
            decoded = registry.decode(message.value or b"")
            if not isinstance(decoded.message, PublishPost):
                raise InvalidEvent(f"envelope.type: expected PublishPost, got {decoded.envelope.type!r}")
            await publisher.handle(decoded.message)

        await each(stream, agent="publish", dlq_topic=topics.dlq[topics.publish.get_topic_name()], handle=handle)

    @app.timer(1.0, name="publish.sweep")
    async def sweep() -> None:
        try:
            while await publisher.sweep() >= 20:
                pass
        except Exception as err:
            log.error("publish sweep failed: %s", err)
