"""The Faust app factory and the dependencies its agents share.

Built by a factory (never at import time) so tests get a fresh app bound to their own loop, and so
adapters are injected here, once: the composition root of the stream side.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from collections.abc import Collection
from typing import Any

import asyncpg
import faust

from adapters.accounts import SiteDirectory
from adapters.platforms import PlatformClient
from commands.generation import Writer
from projections.db import create_pool
from socializer.settings import Settings
from streams import topics as t

SOURCE = "socializer/worker"


@dataclass
class Deps:
    settings: Settings
    sites: SiteDirectory
    writer: Writer
    platforms: dict[str, PlatformClient]
    fallback_writer: Writer | None = None
    media: Any = None  # adapters.images.service.MediaService; None renders nothing (benchmarks, unit tests)
    cpu: Any = None  # a process pool for CPU-bound work (writing, images); None runs it inline
    oauth: dict[str, Any] = field(default_factory=dict)  # platform -> adapters.oauth.OAuthClient (refresh, revoke)
    keyring: Any = None  # adapters.vault.crypto.Keyring
    _pool: asyncpg.Pool | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _accounts: Any = None
    _tokens: Any = None

    async def db(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    assert self.settings.database_url, "database_url is required by the worker"
                    self._pool = await create_pool(self.settings.database_url, max_size=6)
        return self._pool

    async def accounts(self) -> Any:
        """The connected accounts (adapters.accounts.store.AccountStore)."""
        if self._accounts is None:
            from adapters.accounts.store import AccountStore
            from adapters.vault.store import TokenVault

            pool = await self.db()
            self._accounts = AccountStore(pool, TokenVault(pool, self.keyring))
        return self._accounts

    async def tokens(self) -> Any:
        """Live access tokens, refreshed single-flight (adapters.accounts.tokens.TokenSource)."""
        if self._tokens is None:
            from adapters.accounts.tokens import TokenSource

            self._tokens = TokenSource(await self.accounts(), self.oauth)
        return self._tokens


class Topics:
    """Faust topic objects for every name in :mod:`streams.topics` (raw bytes in and out)."""

    def __init__(self, app: faust.App, partitions: int) -> None:
        def topic(name: str) -> Any:
            return app.topic(name, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw", partitions=partitions)

        self.content_published = topic(t.CONTENT_PUBLISHED)
        self.generate = topic(t.POSTS_GENERATE)
        self.posts = topic(t.POSTS)
        self.publish = topic(t.PUBLISH)
        self.engagement = topic(t.ENGAGEMENT)
        self.dlq = {name: topic(t.dlq(name)) for name in t.CONSUMED}


def create_app(settings: Settings, deps: Deps, *, app_id: str = "socializer", only: Collection[str] | None = None) -> faust.App:
    """Build the app; ``only`` names the agent modules to run (all by default; benchmarks run one)."""
    assert settings.broker, "broker is required by the worker"
    app = faust.App(
        app_id,
        broker=[f"kafka://{b.strip()}" for b in settings.broker.split(",")],
        value_serializer="raw",
        key_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=max(1.0, settings.session_timeout_seconds / 5),
        broker_commit_interval=1.0,
        web_enabled=False,
        producer_linger_ms=5,
        stream_wait_empty=False,
    )
    topics = Topics(app, settings.topic_partitions)
    app.socializer_topics = topics  # type: ignore[attr-defined]
    app.socializer_deps = deps  # type: ignore[attr-defined]

    # One agent per module, listed explicitly: the flow reads top to bottom.
    from streams import adapt, engagement, intake, publish, refresh, relay, schedule

    for name, module in (("intake", intake), ("adapt", adapt), ("schedule", schedule), ("publish", publish),
                         ("engagement", engagement), ("refresh", refresh), ("relay", relay)):
        if only is None or name in only:
            module.register(app, topics, deps)
    return app


def quiet_loggers(level: str) -> None:
    """Faust leaves its loggers at DEBUG; every send then builds a record that is thrown away."""
    lvl = getattr(logging, level.upper(), logging.WARNING)
    logging.getLogger().setLevel(lvl)
    # httpx logs every request's URL at INFO: no URL of ours carries a secret, but none should ever be logged.
    for name in ("faust", "mode", "aiokafka", "kafka", "httpx", "httpcore", "authlib"):
        logging.getLogger(name).setLevel(max(lvl, logging.WARNING))
