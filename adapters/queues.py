"""The queues' single writer's state (``queue_states``): ``queue(id)`` is a unit of work holding the
queue's lock, so a command and an event of one queue are never folded at once; what became of each
command goes to ``command_outcomes`` (the table every writer records in: one waiter serves all).
``active()`` lists the active queues for the timer (``streams/recur.py``), from the writer's state,
never from the read model. :class:`MemoryQueueStates` is the fake, :class:`PostgresQueueStates` the real one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from adapters.post_states import Outcome

__all__ = [
    "BestPost",
    "Engagements",
    "MemoryEngagements",
    "MemoryQueueStates",
    "PostgresEngagements",
    "PostgresQueueStates",
    "QueueStateStore",
    "QueueTxn",
    "StoredQueue",
]

KEEP_APPLIED = 64  # event ids remembered per queue: far more than can be in flight at once


@dataclass
class StoredQueue:
    """One queue as its writer folded it (``state`` None: none yet; else the queue as JSON);
    ``applied``: the ids of the last events folded, so one that comes back from the log is not folded twice."""

    site_id: str = ""
    status: str = ""
    state: dict[str, Any] | None = None
    applied: list[str] = field(default_factory=list)

    def remember(self, event_ids: list[str]) -> list[str]:
        return (self.applied + event_ids)[-KEEP_APPLIED:]


class QueueTxn(Protocol):
    stored: StoredQueue

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, stored: StoredQueue) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


class QueueStateStore(Protocol):
    def queue(self, queue_id: str) -> Any:
        """``async with store.queue(id) as txn``: its state, locked (a :class:`QueueTxn`)."""
        ...

    async def active(self) -> list[dict[str, Any]]:
        """Every active queue's state (the JSON the writer saved)."""
        ...


class _PgTxn:
    def __init__(self, conn: Any, queue_id: str, stored: StoredQueue) -> None:
        self.conn, self.queue_id, self.stored = conn, queue_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, stored: StoredQueue) -> None:
        if stored.state is None:
            return
        await self.conn.execute(
            "INSERT INTO queue_states (queue_id, site_id, status, state, applied) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (queue_id) DO UPDATE SET status = EXCLUDED.status, state = EXCLUDED.state,"
            " applied = EXCLUDED.applied, updated_at = now()",
            self.queue_id,
            stored.site_id,
            stored.status,
            stored.state,
            stored.applied,
        )
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        # command_outcomes.post_id holds the aggregate's id: here, the queue's.
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            self.queue_id,
            outcome.body.get("site_id", ""),
            outcome.status,
            outcome.body,
        )
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


class PostgresQueueStates:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @asynccontextmanager
    async def queue(self, queue_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            # The row may not exist yet: a transaction-scoped advisory lock serialises its first writers too.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('queue:' || $1))", queue_id)
            row = await conn.fetchrow("SELECT site_id, status, state, applied FROM queue_states WHERE queue_id = $1", queue_id)
            stored = StoredQueue(row["site_id"], row["status"], row["state"], list(row["applied"])) if row else StoredQueue()
            yield _PgTxn(conn, queue_id, stored)

    async def active(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch("SELECT state FROM queue_states WHERE status = 'active' ORDER BY queue_id")
        return [dict(r["state"]) for r in rows]


class _MemTxn:
    def __init__(self, store: MemoryQueueStates, queue_id: str, stored: StoredQueue) -> None:
        self.store, self.queue_id, self.stored = store, queue_id, stored

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, stored: StoredQueue) -> None:
        if stored.state is None:
            return
        self.store.rows[self.queue_id] = stored
        self.stored = stored

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


class MemoryQueueStates:
    """The fake; ``outcomes`` may be shared with the posts' fake, as the table is."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None) -> None:
        self.rows: dict[str, StoredQueue] = {}
        self.outcomes: dict[str, Outcome] = {} if outcomes is None else outcomes
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def queue(self, queue_id: str) -> AsyncIterator[_MemTxn]:
        async with self._locks.setdefault(queue_id, asyncio.Lock()):
            s = self.rows.get(queue_id)
            yield _MemTxn(self, queue_id, replace(s, applied=list(s.applied)) if s else StoredQueue())

    async def active(self) -> list[dict[str, Any]]:
        return [dict(s.state) for k, s in sorted(self.rows.items()) if s.status == "active" and s.state is not None]


# ---------------------------------------------------------------- what an evergreen queue chooses from
@dataclass(frozen=True)
class BestPost:
    post_id: str
    text: str
    score: float
    link_url: str | None = None


class Engagements(Protocol):
    async def best_posts(self, site_id: str, content_id: str, platform: str, limit: int) -> list[BestPost]:
        """The article's published posts on ``platform``, best-performing first (one per text)."""
        ...


@dataclass
class MemoryEngagements:
    posts: list[tuple[str, str, BestPost]] = field(default_factory=list)  # (content_id, platform, post)

    async def best_posts(self, site_id: str, content_id: str, platform: str, limit: int) -> list[BestPost]:
        mine = sorted((p for cid, pl, p in self.posts if cid == content_id and pl == platform), key=lambda p: (-p.score, p.post_id))
        out: dict[str, BestPost] = {}
        for p in mine:
            out.setdefault(p.text, p)
        return list(out.values())[:limit]


class PostgresEngagements:
    """From the read models: ``posts`` (published, the article's, on the platform) and ``engagement``
    (the latest figures: likes + comments + shares + clicks)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def best_posts(self, site_id: str, content_id: str, platform: str, limit: int) -> list[BestPost]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT ON (p.text) p.post_id, p.text, p.link_url,"
            " (coalesce(g.likes, 0) + coalesce(g.comments, 0) + coalesce(g.shares, 0) + coalesce(g.clicks, 0))::float8 AS score"
            " FROM posts p LEFT JOIN engagement g ON g.post_id = p.post_id"
            " WHERE p.site_id = $1 AND p.content_id = $2 AND p.platform = $3 AND p.status = 'published'"
            " ORDER BY p.text, score DESC, p.post_id",
            site_id,
            content_id,
            platform,
        )
        best = sorted((BestPost(r["post_id"], r["text"], r["score"], r["link_url"]) for r in rows), key=lambda p: (-p.score, p.post_id))
        return best[:limit]
