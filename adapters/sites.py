"""Sites and their settings. :class:`SiteDirectory` is what the agents read; :class:`SiteStore`
adds the one way settings change (PATCH semantics: a field not sent is not changed).
:class:`PostgresSites` keeps them in the ``sites`` table, each change an event on ``social.sites``
in the same transaction (the outbox), read through a short cache so a change applies within
seconds, without a restart. :class:`MemorySites` is the fake, and reads the seed file."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from pydantic import ValidationError

from adapters import outbox
from adapters.exceptions import ConfigError
from domain.accounts import Site, SiteSettings
from schemas import events as e
from schemas.registry import registry
from schemas.topics import SITES

SOURCE = "socializer/sites"
SITE_CACHE_SECONDS = 2.0  # how old the settings an agent acts on may be


class SiteDirectory(Protocol):
    async def site(self, site_id: str) -> Site | None: ...


class SiteStore(SiteDirectory, Protocol):
    async def update(self, site_id: str, changes: dict[str, Any], by: str) -> Site:
        """Apply ``changes`` (the fields sent) to the site's settings, creating the site if new;
        raises pydantic's ValidationError when the result is not valid settings."""
        ...


def merged(current: Site | None, site_id: str, changes: dict[str, Any]) -> Site:
    base = current.settings.model_dump() if current else SiteSettings().model_dump()
    settings = SiteSettings.model_validate({**base, **changes})
    return Site(site_id=site_id, **settings.model_dump())


def read_seed(path: Path) -> list[Site]:
    """The sites a deployment starts with: ``{"sites": [{"site_id": ..., settings ...}]}``."""
    try:
        raw = json.loads(path.read_text())
        return [Site.model_validate(item) for item in raw["sites"]]
    except (OSError, KeyError, ValueError, ValidationError) as err:
        raise ConfigError(f"{path}: {err}") from err


class MemorySites:
    def __init__(self, sites: list[Site]) -> None:
        self._sites = {s.site_id: s for s in sites}
        self.events: list[e.SiteSettingsUpdated] = []

    async def site(self, site_id: str) -> Site | None:
        return self._sites.get(site_id)

    async def update(self, site_id: str, changes: dict[str, Any], by: str) -> Site:
        site = merged(self._sites.get(site_id), site_id, changes)
        self._sites[site_id] = site
        self.events.append(e.SiteSettingsUpdated(site_id=site_id, settings=site.settings, changed=sorted(changes), by=by))
        return site


class PostgresSites:
    def __init__(self, pool: Any, ttl: float = SITE_CACHE_SECONDS) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Site | None]] = {}

    async def site(self, site_id: str) -> Site | None:
        hit = self._cache.get(site_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        row = await self.pool.fetchrow("SELECT settings FROM sites WHERE site_id = $1", site_id)
        site = Site(site_id=site_id, **SiteSettings.model_validate(row["settings"]).model_dump()) if row else None
        self._cache[site_id] = (time.monotonic() + self.ttl, site)
        return site

    async def update(self, site_id: str, changes: dict[str, Any], by: str) -> Site:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("SELECT settings FROM sites WHERE site_id = $1 FOR UPDATE", site_id)
            current = Site(site_id=site_id, **row["settings"]) if row else None
            site = merged(current, site_id, changes)
            await conn.execute(
                "INSERT INTO sites (site_id, settings, updated_by) VALUES ($1, $2, $3) ON CONFLICT (site_id) DO UPDATE"
                " SET settings = EXCLUDED.settings, version = sites.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by",
                site_id,
                site.settings.model_dump(mode="json"),
                by,
            )
            await _emit(conn, e.SiteSettingsUpdated(site_id=site_id, settings=site.settings, changed=sorted(changes), by=by))
        self._cache.pop(site_id, None)
        return site

    async def seed(self, sites: list[Site], by: str = "seed") -> list[str]:
        """Create the sites that do not exist yet (a site changed through the API keeps its settings)."""
        made = []
        async with self.pool.acquire() as conn, conn.transaction():
            for s in sites:
                new = await conn.fetchval(
                    "INSERT INTO sites (site_id, settings, updated_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING site_id",
                    s.site_id,
                    s.settings.model_dump(mode="json"),
                    by,
                )
                if new:
                    await _emit(conn, e.SiteSettingsUpdated(site_id=s.site_id, settings=s.settings, changed=[], by=by))
                    made.append(s.site_id)
        return made


async def _emit(conn: asyncpg.Connection, event: e.SiteSettingsUpdated) -> None:
    await outbox.add(conn, SITES, event.site_id, registry.envelope(event, source=SOURCE, subject=event.site_id))
