"""Where each video project's single writer keeps the project's state (``video_states``) and what
became of each command (``command_outcomes``, the table the posts' writer records in: one waiter
serves both). ``project(project_id)`` is a unit of work: the project is locked until it ends, so a
command and an event of one project are never folded at once. The state itself is the writer's own
encoding (a JSON object); the store keeps it beside the version folded from the log, which callers
wait on without the lock. :class:`VideoStateStore` is the port; :class:`MemoryVideoStates` its fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.post_states import Outcome

KEEP_APPLIED = 64  # event ids remembered per project: far more than can be in flight at once


@dataclass
class Stored:
    """``state``: the writer's encoding of the project (None: no such project yet); ``version``: how
    many of its lifecycle events were folded from the log; ``applied``: the ids of the last ones."""

    state: dict[str, Any] | None = None
    version: int = 0
    applied: list[str] = field(default_factory=list)
    site_id: str = ""


def remember(applied: list[str], event_ids: list[str]) -> list[str]:
    return (applied + event_ids)[-KEEP_APPLIED:]


class VideoTxn(Protocol):
    stored: Stored

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, stored: Stored) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


class VideoStateStore(Protocol):
    def project(self, project_id: str) -> Any:
        """``async with store.project(id) as txn``: the project's state, locked (a :class:`VideoTxn`)."""
        ...

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def version(self, project_id: str) -> int | None:
        """The version folded from the log (None: no such project yet); read without the lock."""
        ...


class _PgTxn:
    def __init__(self, conn: Any, project_id: str, stored: Stored) -> None:
        self.conn, self.project_id, self.stored = conn, project_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, stored: Stored) -> None:
        if stored.state is None:
            return
        await self.conn.execute(
            "INSERT INTO video_states (project_id, site_id, version, applied, state) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (project_id) DO UPDATE SET version = EXCLUDED.version, applied = EXCLUDED.applied,"
            " state = EXCLUDED.state, updated_at = now()",
            self.project_id,
            stored.site_id,
            stored.version,
            stored.applied,
            stored.state,
        )
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        # command_outcomes.post_id holds the aggregate's id: here, the project's.
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            self.project_id,
            outcome.body.get("site_id", ""),
            outcome.status,
            outcome.body,
        )
        # Delivered on commit: whoever waits for this command (adapters.outcomes) wakes then.
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


class PostgresVideoStates:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    @asynccontextmanager
    async def project(self, project_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            # The row may not exist yet: a transaction-scoped advisory lock serialises its first writers too.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('video:' || $1))", project_id)
            row = await conn.fetchrow("SELECT site_id, version, applied, state FROM video_states WHERE project_id = $1", project_id)
            stored = Stored(row["state"], row["version"], list(row["applied"]), row["site_id"]) if row else Stored()
            yield _PgTxn(conn, project_id, stored)

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.pool.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def version(self, project_id: str) -> int | None:
        v = await self.pool.fetchval("SELECT version FROM video_states WHERE project_id = $1", project_id)
        return int(v) if v is not None else None


class _MemTxn:
    def __init__(self, store: MemoryVideoStates, project_id: str, stored: Stored) -> None:
        self.store, self.project_id, self.stored = store, project_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, stored: Stored) -> None:
        if stored.state is not None:
            self.store.rows[self.project_id] = stored
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


class MemoryVideoStates:
    """The fake. ``outcomes`` may be shared with the posts' fake, as the table is."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None) -> None:
        self.rows: dict[str, Stored] = {}
        self.outcomes: dict[str, Outcome] = {} if outcomes is None else outcomes
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def project(self, project_id: str) -> AsyncIterator[_MemTxn]:
        async with self._locks.setdefault(project_id, asyncio.Lock()):
            s = self.rows.get(project_id)
            yield _MemTxn(self, project_id, Stored(s.state, s.version, list(s.applied), s.site_id) if s else Stored())

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.outcomes.get(command_id)

    async def version(self, project_id: str) -> int | None:
        s = self.rows.get(project_id)
        return s.version if s else None
