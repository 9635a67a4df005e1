"""The vault over Postgres: one data key per account (wrapped), one ciphertext per (account, field)."""

from __future__ import annotations

from typing import Any

import asyncpg

from adapters.vault.crypto import Keyring, Secret, VaultError, key_id_of, new_data_key, open_sealed, seal

SEALED_COLUMNS = "s.ciphertext, k.dek_id, k.wrapped"


class TokenVault:
    def __init__(self, pool: asyncpg.Pool, keyring: Keyring) -> None:
        self.pool = pool
        self.keyring = keyring

    async def _dek(self, conn: asyncpg.Connection, account_id: str, *, create: bool) -> tuple[str, bytes] | None:
        row = await conn.fetchrow("SELECT dek_id, wrapped FROM vault_data_keys WHERE account_id = $1", account_id)
        if row is None:
            if not create:
                return None
            dek_id, dek = new_data_key()
            await conn.execute(
                "INSERT INTO vault_data_keys (account_id, dek_id, wrapped, kek_id) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (account_id) DO NOTHING",
                account_id,
                dek_id,
                self.keyring.wrap(account_id, dek),
                self.keyring.active,
            )
            return await self._dek(conn, account_id, create=False)
        return row["dek_id"], self.keyring.unwrap(account_id, bytes(row["wrapped"]))

    async def store(self, account_id: str, field: str, secret: Secret, conn: asyncpg.Connection | None = None) -> None:
        async with self.pool.acquire() if conn is None else _same(conn) as c:
            dek_id, dek = await self._dek(c, account_id, create=True)  # type: ignore[misc]
            await c.execute(
                "INSERT INTO vault_secrets (account_id, field, ciphertext) VALUES ($1, $2, $3)"
                " ON CONFLICT (account_id, field) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = now()",
                account_id,
                field,
                seal(dek_id, dek, account_id, field, secret),
            )

    async def read(self, account_id: str, field: str, conn: asyncpg.Connection | None = None) -> Secret | None:
        async with self.pool.acquire() if conn is None else _same(conn) as c:
            row = await c.fetchrow(
                f"SELECT {SEALED_COLUMNS} FROM vault_secrets s LEFT JOIN vault_data_keys k USING (account_id)"
                " WHERE s.account_id = $1 AND s.field = $2",
                account_id,
                field,
            )
        return self.open(account_id, field, row)

    def open(self, account_id: str, field: str, row: Any) -> Secret | None:
        """Open a row holding :data:`SEALED_COLUMNS` (callers may join them into their own query: one round trip)."""
        if row is None or row["ciphertext"] is None:
            return None
        if row["wrapped"] is None:
            raise VaultError(f"the data key of {account_id} was shredded")
        blob = bytes(row["ciphertext"])
        if key_id_of(blob) != row["dek_id"]:
            raise VaultError(f"secret of {account_id}/{field} was sealed with another data key")
        return open_sealed(self.keyring.unwrap(account_id, bytes(row["wrapped"])), account_id, field, blob)

    async def forget(self, account_id: str, field: str, conn: asyncpg.Connection | None = None) -> None:
        """Drop one secret (a grant that no longer comes with a refresh token, say)."""
        async with self.pool.acquire() if conn is None else _same(conn) as c:
            await c.execute("DELETE FROM vault_secrets WHERE account_id = $1 AND field = $2", account_id, field)

    async def shred(self, account_id: str, conn: asyncpg.Connection | None = None) -> None:
        """Crypto-shredding: without its data key no copy of the account's ciphertexts (backups, replicas) opens.
        Pass ``conn`` to make it part of the caller's transaction."""
        async with self.pool.acquire() if conn is None else _same(conn) as c, c.transaction():
            await c.execute("DELETE FROM vault_data_keys WHERE account_id = $1", account_id)
            await c.execute("DELETE FROM vault_secrets WHERE account_id = $1", account_id)

    async def rotate(self, batch: int = 100) -> int:
        """Re-wrap every data key under the active master key, a batch per transaction, while reads go on.
        Returns how many were re-wrapped; when it returns 0 the old master keys can leave the keyring."""
        done = 0
        while True:
            async with self.pool.acquire() as c, c.transaction():
                rows = await c.fetch(
                    "SELECT account_id, wrapped FROM vault_data_keys WHERE kek_id <> $1 LIMIT $2 FOR UPDATE SKIP LOCKED",
                    self.keyring.active,
                    batch,
                )
                for r in rows:
                    dek = self.keyring.unwrap(r["account_id"], bytes(r["wrapped"]))
                    await c.execute(
                        "UPDATE vault_data_keys SET wrapped = $2, kek_id = $3, rotated_at = now() WHERE account_id = $1",
                        r["account_id"],
                        self.keyring.wrap(r["account_id"], dek),
                        self.keyring.active,
                    )
            done += len(rows)
            if len(rows) < batch:
                return done


class _same:
    """``async with`` over a connection the caller already holds."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def __aenter__(self) -> asyncpg.Connection:
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        return None
