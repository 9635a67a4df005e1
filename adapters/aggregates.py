"""The state store every single writer of a small aggregate shares (automations, queues, video
projects): one row per aggregate in the aggregate's own table, and what became of each command in
``command_outcomes`` (the table every writer records in: one waiter serves all).

``open(id)`` is a unit of work holding the aggregate's lock, so a command and an event of one
aggregate are never folded at once. A :class:`Table` says where an aggregate's rows live; its state is
a dataclass whose fields are the table's columns, ``applied`` among them: the ids of the last events
folded, so one that comes back from the log is not folded twice. :class:`PostgresStates` is the real
store, :class:`MemoryStates` its fake; each aggregate's module names its port over them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from adapters.post_states import Outcome

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["KEEP_APPLIED", "MemoryStates", "PostgresStates", "Table", "Txn", "remember"]

S = TypeVar("S", bound="DataclassInstance")
T = TypeVar("T")

KEEP_APPLIED = 64  # event ids remembered per aggregate: far more than can be in flight at once


def remember(applied: list[str], event_ids: list[str]) -> list[str]:
    return (applied + event_ids)[-KEEP_APPLIED:]


@dataclass(frozen=True)
class Table(Generic[S]):
    """Where one kind of aggregate is kept: table ``name`` keyed by ``key``, locked as ``<lock>:<id>``;
    a row loads into ``stored`` (its fields are the other columns). Until a state's ``body`` is set
    there is no aggregate and nothing is saved; ``site_id`` is written once, with the row."""

    name: str
    key: str
    lock: str
    stored: type[S]
    body: str

    @property
    def columns(self) -> list[str]:
        return [f.name for f in fields(self.stored)]

    def exists(self, stored: S) -> bool:
        return getattr(stored, self.body) is not None

    def load(self, row: Any) -> S:
        return self.stored(**{c: row[c] for c in self.columns} | {"applied": list(row["applied"])})

    def copy(self, stored: S) -> S:
        """A state a unit of work may change without changing the one kept."""
        applied: list[str] = getattr(stored, "applied")  # noqa: B009 - every state has it; S does not say so
        return replace(stored, applied=list(applied))

    @property
    def select(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.name} WHERE {self.key} = $1"

    @property
    def upsert(self) -> str:
        cols = self.columns
        values = ", ".join(f"${i}" for i in range(1, len(cols) + 2))
        changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != "site_id")
        return (
            f"INSERT INTO {self.name} ({self.key}, {', '.join(cols)}) VALUES ({values})"
            f" ON CONFLICT ({self.key}) DO UPDATE SET {changed}, updated_at = now()"
        )


class Txn(Protocol[T]):
    """``async with store.open(id) as txn``: the aggregate's state, locked until the block ends."""

    stored: T

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, stored: T) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


OUTCOME = "SELECT status, body FROM command_outcomes WHERE command_id = $1"


class _PgTxn(Generic[S]):
    def __init__(self, table: Table[S], conn: Any, key: str, stored: S) -> None:
        self.table, self.conn, self.key, self.stored = table, conn, key, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow(OUTCOME, command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, stored: S) -> None:
        if not self.table.exists(stored):
            return
        await self.conn.execute(self.table.upsert, self.key, *(getattr(stored, c) for c in self.table.columns))
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        # command_outcomes.post_id holds the aggregate's id (the posts' writer recorded there first).
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            self.key,
            outcome.body.get("site_id", ""),
            outcome.status,
            outcome.body,
        )
        # Delivered on commit: whoever waits for this command (adapters.outcomes) wakes then.
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


class PostgresStates(Generic[S]):
    def __init__(self, pool: Any, table: Table[S]) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool
        self.table = table

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[_PgTxn[S]]:
        t = self.table
        async with self.pool.acquire() as conn, conn.transaction():
            # The row may not exist yet: a transaction-scoped advisory lock serialises its first writers too.
            await conn.execute(f"SELECT pg_advisory_xact_lock(hashtext('{t.lock}:' || $1))", key)
            row = await conn.fetchrow(t.select, key)
            yield _PgTxn(t, conn, key, t.load(row) if row else t.stored())

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.pool.fetchrow(OUTCOME, command_id)
        return Outcome(row["status"], row["body"]) if row else None


class _MemTxn(Generic[S]):
    def __init__(self, store: MemoryStates[S], key: str, stored: S) -> None:
        self.store, self.key, self.stored = store, key, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, stored: S) -> None:
        if not self.store.table.exists(stored):
            return
        self.store.rows[self.key] = stored
        self.stored = stored
        self.store.saved(self.key, stored)

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


class MemoryStates(Generic[S]):
    """The fake. ``outcomes`` may be shared with the other writers' fakes, as the table is."""

    def __init__(self, table: Table[S], outcomes: dict[str, Outcome] | None = None) -> None:
        self.table = table
        self.rows: dict[str, S] = {}
        self.outcomes: dict[str, Outcome] = {} if outcomes is None else outcomes
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[_MemTxn[S]]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            s = self.rows.get(key)
            yield _MemTxn(self, key, self.table.copy(s) if s is not None else self.table.stored())

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.outcomes.get(command_id)

    def saved(self, key: str, stored: S) -> None:
        """After each save: a fake that stands for more than the table (a reader's view) follows it here."""
