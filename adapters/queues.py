"""The queues' single writer's state (``queue_states``), in the store every small aggregate's writer
shares (``adapters.aggregates``): ``queue(id)`` is a unit of work holding the queue's lock; what became
of each command goes to ``command_outcomes``. ``active()`` lists the active queues for the timer (``streams/recur.py``), from the writer's state,
never from the read model. :class:`MemoryQueueStates` is the fake, :class:`PostgresQueueStates` the real one."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.aggregates import MemoryStates, PostgresStates, Table, Txn
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


@dataclass
class StoredQueue:
    """One queue as its writer folded it (``state`` None: none yet; else the queue as JSON);
    ``applied``: the ids of the last events folded, so one that comes back from the log is not folded twice."""

    site_id: str = ""
    status: str = ""
    state: dict[str, Any] | None = None
    applied: list[str] = field(default_factory=list)


TABLE = Table("queue_states", key="queue_id", lock="queue", stored=StoredQueue, body="state")
QueueTxn = Txn[StoredQueue]


class QueueStateStore(Protocol):
    def queue(self, queue_id: str) -> Any:
        """``async with store.queue(id) as txn``: its state, locked (a :class:`QueueTxn`)."""
        ...

    async def active(self) -> list[dict[str, Any]]:
        """Every active queue's state (the JSON the writer saved)."""
        ...


class PostgresQueueStates(PostgresStates[StoredQueue]):
    def __init__(self, pool: Any) -> None:
        super().__init__(pool, TABLE)

    def queue(self, queue_id: str) -> AbstractAsyncContextManager[QueueTxn]:
        return self.open(queue_id)

    async def active(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch("SELECT state FROM queue_states WHERE status = 'active' ORDER BY queue_id")
        return [dict(r["state"]) for r in rows]


class MemoryQueueStates(MemoryStates[StoredQueue]):
    """The fake; ``outcomes`` may be shared with the posts' fake, as the table is."""

    def __init__(self, outcomes: dict[str, Outcome] | None = None) -> None:
        super().__init__(TABLE, outcomes)

    def queue(self, queue_id: str) -> AbstractAsyncContextManager[QueueTxn]:
        return self.open(queue_id)

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
