"""Where the scheduler keeps each post's slot: ``scheduler_posts`` in Postgres, shared by every worker.

:class:`SlotStore` is the port. ``post(post_id)`` is a unit of work: the post's row is locked
until it ends, ``occupied`` takes the account's lock so two posts of one account never get the same
slot, and ``save`` writes within it. ``due(now)`` claims the due posts (``SKIP LOCKED``) and marks
them dispatched only if the block that sends them succeeds. :class:`MemorySlots` is the fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from domain.schedule import Slotted

# States whose time still binds the account's caps and cooldowns.
BINDING = ("pending", "dispatched", "published")


class SlotTxn(Protocol):
    state: Slotted | None

    async def occupied(self, account_id: str, since: datetime) -> list[datetime]: ...

    async def save(self, state: Slotted) -> None: ...


class SlotStore(Protocol):
    def post(self, post_id: str) -> Any:
        """``async with store.post(id) as txn``: the post's state, locked (a :class:`SlotTxn`)."""
        ...

    def due(self, now: datetime, limit: int) -> Any:
        """``async with store.due(now, limit) as posts``: due posts, dispatched if the block succeeds."""
        ...


def _from_row(r: asyncpg.Record) -> Slotted:
    return Slotted(r["post_id"], r["site_id"], r["account_id"], r["platform"], r["state"], r["due_at"], r["payload"])


class _PgTxn:
    def __init__(self, conn: asyncpg.Connection, state: Slotted | None) -> None:
        self.conn, self.state = conn, state

    async def occupied(self, account_id: str, since: datetime) -> list[datetime]:
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", account_id)
        rows = await self.conn.fetch(
            "SELECT due_at FROM scheduler_posts WHERE account_id = $1 AND state = ANY($2::text[]) AND due_at > $3",
            account_id,
            list(BINDING),
            since,
        )
        return [r["due_at"] for r in rows]

    async def save(self, state: Slotted) -> None:
        await self.conn.execute(
            "INSERT INTO scheduler_posts (post_id, site_id, account_id, platform, state, due_at, payload) VALUES ($1,$2,$3,$4,$5,$6,$7)"
            " ON CONFLICT (post_id) DO UPDATE SET state = EXCLUDED.state, due_at = EXCLUDED.due_at, payload = EXCLUDED.payload,"
            " updated_at = now()",
            state.post_id,
            state.site_id,
            state.account_id,
            state.platform,
            state.state,
            state.due_at,
            state.payload,
        )
        self.state = state


class PostgresSlots:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    @asynccontextmanager
    async def post(self, post_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("SELECT * FROM scheduler_posts WHERE post_id = $1 FOR UPDATE", post_id)
            yield _PgTxn(conn, _from_row(row) if row else None)

    @asynccontextmanager
    async def due(self, now: datetime, limit: int) -> AsyncIterator[list[Slotted]]:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT * FROM scheduler_posts WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                now,
                limit,
            )
            yield [_from_row(r) for r in rows]
            if rows:
                await conn.execute(
                    "UPDATE scheduler_posts SET state = 'dispatched', updated_at = now() WHERE post_id = ANY($1::text[])",
                    [r["post_id"] for r in rows],
                )


class _MemTxn:
    def __init__(self, store: MemorySlots, state: Slotted | None) -> None:
        self.store, self.state = store, state

    async def occupied(self, account_id: str, since: datetime) -> list[datetime]:
        return [
            s.due_at
            for s in self.store.rows.values()
            if s.account_id == account_id and s.state in BINDING and s.due_at is not None and s.due_at > since
        ]

    async def save(self, state: Slotted) -> None:
        self.store.rows[state.post_id] = state
        self.state = state


class MemorySlots:
    """The fake: one lock for the whole store stands for the row and account locks."""

    def __init__(self) -> None:
        self.rows: dict[str, Slotted] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def post(self, post_id: str) -> AsyncIterator[_MemTxn]:
        async with self._lock:
            yield _MemTxn(self, self.rows.get(post_id))

    @asynccontextmanager
    async def due(self, now: datetime, limit: int) -> AsyncIterator[list[Slotted]]:
        async with self._lock:
            due = sorted(
                (s for s in self.rows.values() if s.state == "pending" and s.due_at and s.due_at <= now), key=lambda s: s.due_at or now
            )[:limit]
            yield due
            for s in due:
                self.rows[s.post_id] = replace(s, state="dispatched")
