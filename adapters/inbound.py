"""What the receive agent asks of the outside world: which of our accounts a platform's account id
is (the accounts table), which of our posts a platform's post id is (the posts read model, fed by
``PostPublished``), and which inbox events it has already emitted (``inbox_seen``).
:class:`InboundDirectory` is the port; :class:`MemoryInbound` its fake."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OwnAccount:
    account_id: str
    site_id: str


class InboundDirectory(Protocol):
    async def accounts(self, platform: str, platform_account_id: str) -> list[OwnAccount]:
        """Our accounts behind a platform's account id (one per site that connected it)."""
        ...

    async def post_id(self, account_id: str, platform_post_ids: Sequence[str]) -> str:
        """Our post published as one of these platform ids by this account ('' if none is ours)."""
        ...

    async def unseen(self, event_ids: Sequence[str]) -> set[str]:
        """Those of ``event_ids`` not emitted before."""
        ...

    async def seen(self, event_ids: Iterable[str]) -> None: ...


class PostgresInbound:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def accounts(self, platform: str, platform_account_id: str) -> list[OwnAccount]:
        rows = await self.pool.fetch(
            "SELECT account_id, site_id FROM accounts WHERE platform = $1 AND platform_account_id = $2 ORDER BY account_id",
            platform,
            platform_account_id,
        )
        return [OwnAccount(r["account_id"], r["site_id"]) for r in rows]

    async def post_id(self, account_id: str, platform_post_ids: Sequence[str]) -> str:
        if not platform_post_ids:
            return ""
        found = await self.pool.fetchval(
            "SELECT post_id FROM posts WHERE account_id = $1 AND platform_post_id = ANY($2::text[]) ORDER BY post_id LIMIT 1",
            account_id,
            list(platform_post_ids),
        )
        return str(found or "")

    async def unseen(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        rows = await self.pool.fetch("SELECT event_id FROM inbox_seen WHERE event_id = ANY($1::text[])", list(event_ids))
        return set(event_ids) - {r["event_id"] for r in rows}

    async def seen(self, event_ids: Iterable[str]) -> None:
        ids = list(event_ids)
        if ids:
            await self.pool.execute("INSERT INTO inbox_seen (event_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", ids)


@dataclass
class MemoryInbound:
    own: dict[tuple[str, str], list[OwnAccount]] = field(default_factory=dict)  # (platform, platform account id) -> ours
    posts: dict[tuple[str, str], str] = field(default_factory=dict)  # (account id, platform post id) -> post id
    emitted: set[str] = field(default_factory=set)

    async def accounts(self, platform: str, platform_account_id: str) -> list[OwnAccount]:
        return list(self.own.get((platform, platform_account_id), []))

    async def post_id(self, account_id: str, platform_post_ids: Sequence[str]) -> str:
        return next((self.posts[(account_id, p)] for p in platform_post_ids if (account_id, p) in self.posts), "")

    async def unseen(self, event_ids: Sequence[str]) -> set[str]:
        return set(event_ids) - self.emitted

    async def seen(self, event_ids: Iterable[str]) -> None:
        self.emitted.update(event_ids)
