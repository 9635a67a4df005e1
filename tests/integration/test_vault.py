"""The vault on a real Postgres: sealed at rest, rotation while reads go on, crypto-shredding."""

from __future__ import annotations

import asyncio
import os

import pytest

from adapters.postgres import create_pool
from adapters.vault.crypto import Keyring, Secret, VaultError
from adapters.vault.store import TokenVault

pytestmark = pytest.mark.integration
CANARY = "canary-7f3a9c-token"


async def _own_database(dsn: str) -> str:
    """A database of this test's own on the same server: rotation re-wraps every data key in a
    database, and the running system's keys must stay under the system's keyring."""
    import asyncpg

    from adapters.postgres import migrate

    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'vault_rotation'"):
            await conn.execute("CREATE DATABASE vault_rotation")
    finally:
        await conn.close()
    own = dsn.rsplit("/", 1)[0] + "/vault_rotation"
    await migrate(own)
    return own


async def test_tokens_are_sealed_rotated_under_reads_and_shredded(infra) -> None:  # type: ignore[no-untyped-def]
    pool = await create_pool(await _own_database(infra.dsn))
    try:
        old = Keyring({"k2025": os.urandom(32)}, "k2025")
        vault = TokenVault(pool, old)
        accounts = [f"vault-acct-{i}" for i in range(250)]
        for a in accounts:
            await vault.store(a, "access_token", Secret(f"{CANARY}-{a}"))
            await vault.store(a, "refresh_token", Secret(f"refresh-{a}"))
        raw = await pool.fetch("SELECT ciphertext FROM vault_secrets WHERE account_id = ANY($1::text[])", accounts)
        assert raw and all(CANARY.encode() not in bytes(r["ciphertext"]) for r in raw)

        # Two rows' ciphertexts swapped in the database: neither opens.
        a, b = accounts[:2]
        await pool.execute(
            "UPDATE vault_secrets s SET ciphertext = o.ciphertext FROM vault_secrets o WHERE s.field = 'access_token'"
            " AND o.field = 'access_token' AND ((s.account_id = $1 AND o.account_id = $2) OR (s.account_id = $2 AND o.account_id = $1))",
            a,
            b,
        )
        for acct in (a, b):
            with pytest.raises(VaultError):
                await vault.read(acct, "access_token")

        # Rotation to a new master key while readers keep reading.
        rotated = TokenVault(pool, Keyring({**old.keys, "k2026": os.urandom(32)}, "k2026"))
        stop = asyncio.Event()
        reads = 0

        async def reader() -> None:
            nonlocal reads
            while not stop.is_set():
                for acct in accounts[2:40]:
                    assert (await rotated.read(acct, "refresh_token")).reveal() == f"refresh-{acct}"  # type: ignore[union-attr]
                    reads += 1

        readers = [asyncio.create_task(reader()) for _ in range(3)]
        n = await rotated.rotate(batch=20)
        stop.set()
        await asyncio.gather(*readers)
        assert n >= len(accounts) and reads > 0
        assert await pool.fetchval("SELECT count(*) FROM vault_data_keys WHERE kek_id <> 'k2026'") == 0
        only_new = TokenVault(pool, Keyring({"k2026": rotated.keyring.keys["k2026"]}, "k2026"))
        assert (await only_new.read(accounts[5], "access_token")).reveal() == f"{CANARY}-{accounts[5]}"  # type: ignore[union-attr]

        # Shredding: the data key is gone, so is every way to read the account's tokens.
        await only_new.shred(accounts[5])
        assert await only_new.read(accounts[5], "access_token") is None
        assert await pool.fetchval("SELECT count(*) FROM vault_data_keys WHERE account_id = $1", accounts[5]) == 0
    finally:
        await pool.close()
