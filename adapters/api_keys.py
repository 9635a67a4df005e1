"""API keys: who is calling, for which site, allowed to do what.

A key reads ``sk_<key_id>_<secret>``: the id finds the row, the secret (32 random bytes) is checked
against its SHA-256 in constant time. High-entropy secrets need no slow hash; only the hash is stored,
so a database leak yields no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import asyncpg

SCOPES = ("read", "write")


@dataclass(frozen=True)
class Caller:
    site_id: str
    scopes: frozenset[str]
    key_id: str


def new_key() -> tuple[str, str, bytes]:
    """(the key to hand out once, its id, the hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"sk_{key_id}_{secret}", key_id, hashlib.sha256(secret.encode()).digest()


def parse(key: str) -> tuple[str, str] | None:
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "sk" or not parts[1] or len(parts[2]) < 20:
        return None
    return parts[1], parts[2]


class ApiKeys:
    """Verified keys are remembered for ``ttl`` seconds (a revocation takes effect within that time),
    so a read costs no extra database round trip."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = 30.0) -> None:
        self.pool = pool
        self.ttl = ttl
        self._cache: dict[bytes, tuple[float, Caller]] = {}

    async def create(self, site_id: str, scopes: tuple[str, ...] = SCOPES, name: str = "") -> str:
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        key, key_id, digest = new_key()
        await self.pool.execute(
            "INSERT INTO api_keys (key_id, site_id, secret_hash, scopes, name) VALUES ($1, $2, $3, $4, $5)",
            key_id,
            site_id,
            digest,
            list(scopes),
            name,
        )
        return key

    async def revoke(self, key_id: str) -> bool:
        return (
            await self.pool.fetchval(
                "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING true", key_id
            )
            or False
        )

    async def verify(self, key: str) -> Caller | None:
        fingerprint = hashlib.sha256(key.encode()).digest()
        hit = self._cache.get(fingerprint)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        found = await self._verify(key)
        if found is not None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[fingerprint] = (time.monotonic() + self.ttl, found)
        return found

    async def _verify(self, key: str) -> Caller | None:
        parsed = parse(key)
        if parsed is None:
            return None
        key_id, secret = parsed
        row = await self.pool.fetchrow("SELECT site_id, secret_hash, scopes FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id)
        digest = hashlib.sha256(secret.encode()).digest()
        if row is None or not hmac.compare_digest(bytes(row["secret_hash"]), digest):
            return None
        return Caller(row["site_id"], frozenset(row["scopes"]), key_id)
