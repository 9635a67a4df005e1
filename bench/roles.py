"""The roles as ``socializer up`` runs them, for the benchmarks that measure through them: an embedded
broker and Postgres (migrated, every topic made), the roles as processes with one environment, and a
site's API key. Written once, so every such figure starts the same system."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.postgres import create_pool, migrate
from schemas import topics
from socializer.devstack import Embedded, create_topics, free_port, spawn, start_broker, start_postgres, wait_port


@dataclass
class Roles:
    """One bench's system: ``stack.stop()`` stops it all (roles, broker, database)."""

    name: str
    tmp: Path
    stack: Embedded
    broker: str
    dsn: str
    api_port: int
    env: dict[str, str] = field(default_factory=dict)

    def start(self, role: str, *args: str) -> Any:
        """``socializer <role>`` (or ``python -m <args>``, given) as a process of this stack, logged beside the others."""
        argv = [sys.executable, "-m", *args] if args else [sys.executable, "-m", "socializer", role]
        proc = spawn(argv, self.tmp / f"{self.name}-{role}.log", env=self.env)
        self.stack.procs.append(proc)
        return proc

    def serve(self, *roles: str) -> None:
        """Start ``roles`` and wait for the API's port."""
        for role in roles:
            self.start(role)
        wait_port(self.api_port, 60)

    async def api_key(self, site: str, *scopes: str) -> str:
        """A key of ``site`` (its default scopes, or ``scopes``)."""
        from adapters.api_keys import ApiKeys

        pool = await create_pool(self.dsn, max_size=1)
        try:
            return await (ApiKeys(pool).create(site, scopes) if scopes else ApiKeys(pool).create(site))
        finally:
            await pool.close()


def roles(
    name: str, tmp: Path, vault_keys: str, *, extra_topics: Iterable[str] = (), env: Mapping[str, str] | None = None, quiet: bool = True
) -> Roles:
    """The broker and Postgres up and ready for ``name``'s roles (not started yet: :meth:`Roles.serve`)."""
    stack = Embedded()
    try:
        broker = start_broker(free_port(), tmp / name, stack)
        dsn = start_postgres(free_port(), tmp / f"{name}-pg" / "data", stack)
        asyncio.run(migrate(dsn))
        asyncio.run(create_topics(broker, (*topics.ALL, *extra_topics), 4))
    except BaseException:
        stack.stop()
        raise
    api_port = free_port()
    base = {
        **os.environ,
        "SOCIALIZER_BROKER": broker,
        "SOCIALIZER_DATABASE_URL": dsn,
        "SOCIALIZER_API_PORT": str(api_port),
        "SOCIALIZER_VAULT_KEYS": vault_keys,
        "SOCIALIZER_MEDIA_DIR": str(tmp / f"{name}-media"),
        **({"SOCIALIZER_LOG_LEVEL": "WARNING"} if quiet else {}),
    }
    return Roles(name, tmp, stack, broker, dsn, api_port, base | dict(env or {}))
