"""What has been published, for the engagement poller: read from the posts read model (fed by
``PostPublished`` on the log), never from the publish stage's private table; with the snapshots
already polled of each (``engagement_polls``), so a restart neither repeats one nor loses one.
:class:`PublishedPosts` is the port; :class:`MemoryPublished` its fake."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PublishedPost:
    post_id: str
    account_id: str
    site_id: str
    platform: str
    platform_post_id: str
    published_at: datetime
    post_type: str = "announcement"
    taken: frozenset[str] = field(default_factory=frozenset)  # ladder labels polled (or skipped) already


@dataclass(frozen=True, slots=True)
class Poll:
    """One ladder label of one post, done: read at ``polled_at``, or ``skipped`` (a later one fell due too)."""

    post_id: str
    label: str
    due_at: datetime
    polled_at: datetime
    skipped: bool = False
    found: bool = True  # the platform still had the post


class PublishedPosts(Protocol):
    async def since(self, when: datetime) -> list[PublishedPost]: ...

    async def polled(self, polls: list[Poll]) -> None: ...


class PostgresPublished:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def since(self, when: datetime) -> list[PublishedPost]:
        rows = await self.pool.fetch(
            "SELECT p.post_id, p.account_id, p.site_id, p.platform, p.platform_post_id, p.published_at, p.post_type,"
            " coalesce((SELECT array_agg(label) FROM engagement_polls ep WHERE ep.post_id = p.post_id), '{}') AS taken"
            " FROM posts p WHERE p.status = 'published' AND p.platform_post_id IS NOT NULL AND p.published_at > $1",
            when,
        )
        return [PublishedPost(**{**dict(r), "taken": frozenset(r["taken"])}) for r in rows]

    async def polled(self, polls: list[Poll]) -> None:
        if polls:
            await self.pool.executemany(
                "INSERT INTO engagement_polls (post_id, label, due_at, polled_at, skipped, found) VALUES ($1,$2,$3,$4,$5,$6)"
                " ON CONFLICT (post_id, label) DO NOTHING",
                [(p.post_id, p.label, p.due_at, p.polled_at, p.skipped, p.found) for p in polls],
            )


class MemoryPublished:
    def __init__(self, posts: list[PublishedPost] | None = None) -> None:
        self.posts = list(posts or [])
        self.polls: dict[tuple[str, str], Poll] = {}

    async def since(self, when: datetime) -> list[PublishedPost]:
        taken: dict[str, set[str]] = {}
        for post_id, label in self.polls:
            taken.setdefault(post_id, set()).add(label)
        return [replace(p, taken=frozenset(taken.get(p.post_id, ()))) for p in self.posts if p.published_at > when]

    async def polled(self, polls: list[Poll]) -> None:
        for p in polls:
            self.polls.setdefault((p.post_id, p.label), p)
