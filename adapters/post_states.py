"""Where each post's single writer keeps the post's state (``post_states``) and what became of each
command (``command_outcomes``). ``post(post_id)`` is a unit of work: the post's row is locked until
it ends, so a command and an event of the same post are never folded at once.
:class:`PostStateStore` is the port; :class:`MemoryPostStates` is its fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.lifecycle import PostState

KEEP_APPLIED = 64  # event ids remembered per post: far more than can be in flight at once


@dataclass
class Outcome:
    """``status``: 202 accepted, or the problem's HTTP status; ``body``: what the API answers."""

    status: int
    body: dict[str, Any]


@dataclass
class Folded:
    state: PostState | None
    applied: list[str] = field(default_factory=list)


class PostTxn(Protocol):
    folded: Folded

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def save(self, folded: Folded) -> None: ...

    async def record(self, command_id: str, outcome: Outcome) -> None: ...


class PostStateStore(Protocol):
    def post(self, post_id: str) -> Any:
        """``async with store.post(id) as txn``: the post's state, locked (a :class:`PostTxn`)."""
        ...

    async def outcome(self, command_id: str) -> Outcome | None: ...

    async def version(self, post_id: str) -> int | None: ...

    async def versions(self, post_ids: list[str]) -> dict[str, int]:
        """The versions this writer has folded, of the posts it knows among ``post_ids``."""
        ...

    async def state(self, post_id: str) -> PostState | None:
        """The post as its writer last folded it, read without the lock (for a reader, never to decide on)."""
        ...

    async def occupied(self, account_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        """(post id, time) of the account's scheduled and published posts between ``since`` and ``until``."""
        ...


HOLDING = ("scheduled", "publishing", "published")


def _content(s: PostState) -> dict[str, Any]:
    return {
        "post_type": s.post_type,
        "text": s.text,
        "hashtags": list(s.hashtags),
        "link_url": s.link_url,
        "thread": list(s.thread) if s.thread else None,
        "media_urls": list(s.media_urls),
    }


def remember(applied: list[str], event_ids: list[str]) -> list[str]:
    return (applied + event_ids)[-KEEP_APPLIED:]


class _PgTxn:
    def __init__(self, conn: Any, folded: Folded) -> None:
        self.conn, self.folded = conn, folded

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.conn.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def save(self, folded: Folded) -> None:
        s = folded.state
        if s is None:
            return
        await self.conn.execute(
            "INSERT INTO post_states (post_id, site_id, account_id, platform, status, scheduled_at, version, applied, content)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (post_id) DO UPDATE SET status = EXCLUDED.status,"
            " scheduled_at = EXCLUDED.scheduled_at, version = EXCLUDED.version, applied = EXCLUDED.applied,"
            " content = EXCLUDED.content, updated_at = now()",
            s.post_id,
            s.site_id,
            s.account_id,
            s.platform,
            s.status,
            s.scheduled_at,
            s.version,
            folded.applied,
            _content(s),
        )
        self.folded = folded

    async def record(self, command_id: str, outcome: Outcome) -> None:
        post_id = outcome.body.get("post_id", "")
        site_id = outcome.body.get("site_id", "")
        await self.conn.execute(
            "INSERT INTO command_outcomes (command_id, post_id, site_id, status, body) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (command_id) DO NOTHING",
            command_id,
            post_id,
            site_id,
            outcome.status,
            outcome.body,
        )
        # Delivered on commit: whoever waits for this command (adapters.outcomes) wakes then.
        await self.conn.execute("SELECT pg_notify('command_outcomes', $1)", command_id)


def _state(row: Any) -> PostState | None:
    if row is None:
        return None
    c = row["content"] or {}
    return PostState(
        row["post_id"],
        row["site_id"],
        row["account_id"],
        row["platform"],
        row["status"],
        row["scheduled_at"],
        row["version"],
        c.get("post_type", "announcement"),
        c.get("text", ""),
        tuple(c.get("hashtags", ())),
        c.get("link_url"),
        tuple(c["thread"]) if c.get("thread") else None,
        tuple(c.get("media_urls", ())),
    )


class PostgresPostStates:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    @asynccontextmanager
    async def post(self, post_id: str) -> AsyncIterator[_PgTxn]:
        async with self.pool.acquire() as conn, conn.transaction():
            # The row may not exist yet: a transaction-scoped advisory lock serialises its first writers too.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('post:' || $1))", post_id)
            row = await conn.fetchrow("SELECT * FROM post_states WHERE post_id = $1", post_id)
            yield _PgTxn(conn, Folded(_state(row), list(row["applied"]) if row else []))

    async def versions(self, post_ids: list[str]) -> dict[str, int]:
        rows = await self.pool.fetch("SELECT post_id, version FROM post_states WHERE post_id = ANY($1::text[])", post_ids)
        return {r["post_id"]: r["version"] for r in rows}

    async def state(self, post_id: str) -> PostState | None:
        return _state(await self.pool.fetchrow("SELECT * FROM post_states WHERE post_id = $1", post_id))

    async def outcome(self, command_id: str) -> Outcome | None:
        row = await self.pool.fetchrow("SELECT status, body FROM command_outcomes WHERE command_id = $1", command_id)
        return Outcome(row["status"], row["body"]) if row else None

    async def version(self, post_id: str) -> int | None:
        v = await self.pool.fetchval("SELECT version FROM post_states WHERE post_id = $1", post_id)
        return int(v) if v is not None else None

    async def occupied(self, account_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        rows = await self.pool.fetch(
            "SELECT post_id, scheduled_at FROM post_states WHERE account_id = $1 AND status = ANY($2::text[])"
            " AND scheduled_at BETWEEN $3 AND $4",
            account_id,
            list(HOLDING),
            since,
            until,
        )
        return [(r["post_id"], r["scheduled_at"]) for r in rows]


class _MemTxn:
    def __init__(self, store: MemoryPostStates, folded: Folded) -> None:
        self.store, self.folded = store, folded

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.store.outcomes.get(command_id)

    async def save(self, folded: Folded) -> None:
        if folded.state is not None:
            self.store.rows[folded.state.post_id] = folded
        self.folded = folded

    async def record(self, command_id: str, outcome: Outcome) -> None:
        self.store.outcomes.setdefault(command_id, outcome)


class MemoryPostStates:
    def __init__(self) -> None:
        self.rows: dict[str, Folded] = {}
        self.outcomes: dict[str, Outcome] = {}
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def post(self, post_id: str) -> AsyncIterator[_MemTxn]:
        async with self._lock:
            f = self.rows.get(post_id)
            yield _MemTxn(self, Folded(f.state, list(f.applied)) if f else Folded(None))

    async def outcome(self, command_id: str) -> Outcome | None:
        return self.outcomes.get(command_id)

    async def version(self, post_id: str) -> int | None:
        f = self.rows.get(post_id)
        return f.state.version if f and f.state else None

    async def versions(self, post_ids: list[str]) -> dict[str, int]:
        return {p: v for p in post_ids if (v := await self.version(p)) is not None}

    async def state(self, post_id: str) -> PostState | None:
        f = self.rows.get(post_id)
        return f.state if f else None

    async def occupied(self, account_id: str, since: datetime, until: datetime) -> list[tuple[str, datetime]]:
        return [
            (f.state.post_id, f.state.scheduled_at)
            for f in self.rows.values()
            if f.state
            and f.state.account_id == account_id
            and f.state.status in HOLDING
            and f.state.scheduled_at
            and since <= f.state.scheduled_at <= until
        ]
