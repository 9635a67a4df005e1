"""The OAuth connection flow's pending states (``oauth_states``): stored only as a hash, consumed
atomically by the first callback. :class:`StateStore` is the port; the rules are :mod:`commands.accounts`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Protocol


def state_hash(state: str) -> bytes:
    return hashlib.sha256(state.encode()).digest()


class StateStore(Protocol):
    async def save(self, state: str, **fields: Any) -> None: ...

    async def consume(self, state: str, caller_site: str | None) -> tuple[dict[str, Any] | None, bool]:
        """(the state's row, whether this call consumed it). A state of another site is not consumed."""
        ...


class PostgresStates:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def save(self, state: str, **f: Any) -> None:
        await self.pool.execute(
            "INSERT INTO oauth_states (state_hash, platform, site_id, key_id, user_ref, account_type, features, scopes, selected,"
            " settings, code_verifier, redirect_uri, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            state_hash(state),
            f["platform"],
            f["site_id"],
            f["key_id"],
            f["user_ref"],
            f["account_type"],
            f["features"],
            f["scopes"],
            f["selected"],
            f["settings"],
            f["code_verifier"],
            f["redirect_uri"],
            f["expires_at"],
        )
        await self.pool.execute("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'")

    async def consume(self, state: str, caller_site: str | None) -> tuple[dict[str, Any] | None, bool]:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE oauth_states SET used_at = now() WHERE state_hash = $1 AND used_at IS NULL"
                " AND ($2::text IS NULL OR site_id = $2) RETURNING *",
                state_hash(state),
                caller_site,
            )
            if row is not None:
                return dict(row), True
            row = await conn.fetchrow("SELECT * FROM oauth_states WHERE state_hash = $1", state_hash(state))
        return (dict(row) if row else None), False


class MemoryStates:
    def __init__(self) -> None:
        self.rows: dict[bytes, dict[str, Any]] = {}

    async def save(self, state: str, **fields: Any) -> None:
        self.rows[state_hash(state)] = {**fields, "used_at": None}

    async def consume(self, state: str, caller_site: str | None) -> tuple[dict[str, Any] | None, bool]:
        row = self.rows.get(state_hash(state))
        if row is None or row["used_at"] is not None or (caller_site is not None and row["site_id"] != caller_site):
            return row, False
        row["used_at"] = datetime.now()
        return row, True
