"""Connection pools and the migration runner (SQL files applied in order, once, under a lock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import asyncpg
import orjson

from adapters.exceptions import MigrationError

_MIGRATION_LOCK = 0x50C1A112


async def init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog")


async def release_connection(conn: asyncpg.Connection) -> None:
    """What a connection going back to the pool must shed: a transaction left open (ours end with
    ``conn.transaction()``; this is for the exception). asyncpg's default reset also unlocks session
    advisory locks, closes cursors, unlistens and resets settings, one round trip on every release,
    which doubled the cost of a short query (272 µs against 140 µs a ``SELECT 1`` here). No pooled
    connection takes such session state: locks are ``pg_advisory_xact_lock``, and the migrations' lock
    and the outcomes' ``LISTEN`` hold connections of their own."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection, reset=release_connection)


def migration_files() -> list[tuple[str, str]]:
    root = resources.files("adapters.postgres") / "migrations"
    files = sorted(p for p in root.iterdir() if p.name.endswith(".sql"))
    return [(p.name, p.read_text()) for p in files]


async def migrate(dsn: str) -> list[str]:
    """Apply the migrations not applied yet; returns their names."""
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migration_files():
            if name in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            except asyncpg.PostgresError as err:
                raise MigrationError(f"{name}: {err}") from err
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()
    return applied


class LazyPool:
    """A pool opened on first use, in the event loop that uses it.

    Faust and uvicorn own their loops: the composition root wires stores to this handle before any
    loop runs, and the pool itself is created inside the worker's loop on the first query.
    """

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn, self.min_size, self.max_size = dsn, min_size, max_size
        self._pool: asyncpg.Pool | None = None
        self._lock: asyncio.Lock | None = None

    async def get(self) -> asyncpg.Pool:
        if self._pool is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._pool is None:
                    self._pool = await create_pool(self.dsn, min_size=self.min_size, max_size=self.max_size)
        return self._pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with (await self.get()).acquire() as conn:
            yield conn

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await (await self.get()).fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await (await self.get()).fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await (await self.get()).fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        return await (await self.get()).execute(query, *args)

    async def executemany(self, query: str, args: Any) -> None:
        await (await self.get()).executemany(query, args)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
