"""What has been published, for the engagement poller: read from the posts read model (fed by
``PostPublished`` on the log), never from the publish stage's private table.
:class:`PublishedPosts` is the port; :class:`MemoryPublished` its fake."""

from __future__ import annotations

from dataclasses import dataclass
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


class PublishedPosts(Protocol):
    async def since(self, when: datetime) -> list[PublishedPost]: ...


class PostgresPublished:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def since(self, when: datetime) -> list[PublishedPost]:
        rows = await self.pool.fetch(
            "SELECT post_id, account_id, site_id, platform, platform_post_id, published_at, post_type FROM posts"
            " WHERE status = 'published' AND platform_post_id IS NOT NULL AND published_at > $1",
            when,
        )
        return [PublishedPost(**dict(r)) for r in rows]


class MemoryPublished:
    def __init__(self, posts: list[PublishedPost] | None = None) -> None:
        self.posts = list(posts or [])

    async def since(self, when: datetime) -> list[PublishedPost]:
        return [p for p in self.posts if p.published_at > when]
