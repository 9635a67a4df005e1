"""Where publish attempts are kept: one row per (effect, account), written before the platform call.

:class:`AttemptStore` is the port the publish agent uses; :class:`PostgresAttempts` keeps them in
``publish_attempts`` (shared by every worker: claims use ``FOR UPDATE SKIP LOCKED``);
:class:`MemoryAttempts` is the fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from adapters import outbox
from adapters.outbox import MemoryOutbox
from domain.publishing import OPEN, Attempt
from schemas.envelope import Envelope

# What a finished attempt announces: (topic, key, envelope), kept in the outbox with the attempt.
Announcement = tuple[str, str, Envelope]


class AttemptStore(Protocol):
    async def begin(self, attempt: Attempt) -> bool:
        """Record a new attempt; False when one exists for the effect and account already."""
        ...

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None) -> Attempt | None: ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        """Open attempts whose lease ended and whose next try is due, leased to the caller."""
        ...

    async def save(self, attempt: Attempt, announce: Sequence[Announcement] = ()) -> None:
        """Keep the attempt, and in the same transaction put ``announce`` in the outbox: an attempt that
        ends here (published, failed) is never looked at again, so its outcome must not depend on
        the worker living until it is sent."""
        ...


def _from_row(r: asyncpg.Record) -> Attempt:
    payload = dict(r["payload"])
    code = payload.pop("_code", "")
    reconciled = bool(payload.pop("_reconciled", False))
    warnings = tuple(payload.pop("_warnings", ()))
    return Attempt(
        effect_id=r["post_id"],
        account_id=r["account_id"],
        attempt_id=r["attempt_id"],
        platform=r["platform"],
        site_id=r["site_id"],
        state=r["state"],
        started_at=r["started_at"],
        lease_until=r["lease_until"],
        payload=payload,
        due_at=r["due_at"],
        tries=r["tries"],
        next_try_at=r["next_try_at"],
        error=r["error"],
        code=code,
        platform_post_id=r["platform_post_id"],
        platform_post_url=r["platform_post_url"],
        published_at=r["published_at"],
        reconciled=reconciled,
        warnings=warnings,
    )


class PostgresAttempts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def begin(self, attempt: Attempt) -> bool:
        a = attempt
        inserted = await self.pool.fetchval(
            "INSERT INTO publish_attempts (post_id, account_id, attempt_id, platform, site_id, state, started_at, lease_until, payload, due_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (post_id, account_id, due_at) DO NOTHING RETURNING true",
            a.effect_id,
            a.account_id,
            a.attempt_id,
            a.platform,
            a.site_id,
            a.state,
            a.started_at,
            a.lease_until,
            a.payload,
            a.due_at,
        )
        return bool(inserted)

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None) -> Attempt | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM publish_attempts WHERE post_id = $1 AND account_id = $2 AND due_at = $3", effect_id, account_id, due_at
        )
        return _from_row(row) if row else None

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "UPDATE publish_attempts SET lease_until = $3 WHERE (post_id, account_id, due_at) IN ("
                " SELECT post_id, account_id, due_at FROM publish_attempts WHERE state = ANY($4::text[]) AND lease_until < $1"
                " AND coalesce(next_try_at, '-infinity') <= $1 ORDER BY next_try_at NULLS FIRST LIMIT $2 FOR UPDATE SKIP LOCKED)"
                " RETURNING *",
                now,
                limit,
                lease_until,
                sorted(OPEN),
            )
        return [_from_row(r) for r in rows]

    async def save(self, attempt: Attempt, announce: Sequence[Announcement] = ()) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await self._update(conn, attempt)
            for topic, key, env in announce:
                await outbox.add(conn, topic, key, env)

    async def _update(self, conn: asyncpg.Connection, attempt: Attempt) -> None:
        a = attempt
        extra: dict[str, Any] = {"_code": a.code, "_reconciled": a.reconciled, "_warnings": list(a.warnings)}
        await conn.execute(
            "UPDATE publish_attempts SET state = $3, tries = $4, lease_until = $5, next_try_at = $6, error = $7,"
            " platform_post_id = $8, platform_post_url = $9, published_at = $10, payload = $11::jsonb || $12::jsonb,"
            " updated_at = now() WHERE post_id = $1 AND account_id = $2 AND due_at = $13",
            a.effect_id,
            a.account_id,
            a.state,
            a.tries,
            a.lease_until,
            a.next_try_at,
            a.error,
            a.platform_post_id,
            a.platform_post_url,
            a.published_at,
            a.payload,
            extra,
            a.due_at,
        )


class MemoryAttempts:
    """The fake: the same rules in a dict; what a save announces waits in ``outbox``."""

    def __init__(self, outbox: MemoryOutbox | None = None) -> None:
        self.rows: dict[tuple[str, str, datetime | None], Attempt] = {}
        self.outbox = outbox if outbox is not None else MemoryOutbox()

    async def begin(self, attempt: Attempt) -> bool:
        key = (attempt.effect_id, attempt.account_id, attempt.due_at)
        if key in self.rows:
            return False
        self.rows[key] = attempt
        return True

    async def get(self, effect_id: str, account_id: str, due_at: datetime | None) -> Attempt | None:
        return self.rows.get((effect_id, account_id, due_at))

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Attempt]:
        due = [a for a in self.rows.values() if a.state in OPEN and a.lease_until < now and (a.next_try_at or now) <= now]
        due.sort(key=lambda a: (a.next_try_at is not None, a.next_try_at or now))
        claimed = [replace(a, lease_until=lease_until) for a in due[:limit]]
        for a in claimed:
            self.rows[(a.effect_id, a.account_id, a.due_at)] = a
        return claimed

    async def save(self, attempt: Attempt, announce: Sequence[Announcement] = ()) -> None:
        self.rows[(attempt.effect_id, attempt.account_id, attempt.due_at)] = attempt
        self.outbox.pending.extend(announce)
