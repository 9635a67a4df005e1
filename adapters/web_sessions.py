"""The dashboard's sessions: a signed-in browser holds a random session id in an HttpOnly cookie.

Only the id's SHA-256 is stored. A session lives as long as the API key it was made from (a revoked
key's sessions stop working at once) and at most ``ttl`` seconds; signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from adapters.api_keys import Caller


@dataclass(frozen=True)
class Session:
    caller: Caller
    csrf: str  # sent back by every form and script that changes something


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class WebSessions:
    def __init__(self, pool: asyncpg.Pool, ttl_seconds: float = 12 * 3600) -> None:
        self.pool = pool
        self.ttl = timedelta(seconds=ttl_seconds)

    async def open(self, who: Caller) -> tuple[str, Session]:
        """(the cookie's value, the session): the value is handed out once and never stored."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self.pool.execute(
            "INSERT INTO web_sessions (id_hash, site_id, key_id, scopes, csrf, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            _digest(session_id),
            who.site_id,
            who.key_id,
            sorted(who.scopes),
            csrf,
            datetime.now(UTC) + self.ttl,
        )
        await self.pool.execute("DELETE FROM web_sessions WHERE expires_at < now()")
        return session_id, Session(who, csrf)

    async def find(self, session_id: str) -> Session | None:
        row = await self.pool.fetchrow(
            """SELECT s.site_id, s.key_id, s.scopes, s.csrf FROM web_sessions s
                 JOIN api_keys k ON k.key_id = s.key_id AND k.revoked_at IS NULL
                WHERE s.id_hash = $1 AND s.expires_at > now()""",
            _digest(session_id),
        )
        if row is None:
            return None
        return Session(Caller(row["site_id"], frozenset(row["scopes"]), row["key_id"]), row["csrf"])

    async def close(self, session_id: str) -> None:
        await self.pool.execute("DELETE FROM web_sessions WHERE id_hash = $1", _digest(session_id))
