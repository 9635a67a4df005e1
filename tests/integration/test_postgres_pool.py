"""The pool's release: a connection goes back without asyncpg's reset round trip, and still sheds a
transaction left open, so the next user of the connection starts clean."""

from __future__ import annotations

import pytest

from adapters.postgres import create_pool

pytestmark = pytest.mark.integration


async def test_a_connection_released_inside_a_transaction_comes_back_rolled_back(infra) -> None:  # type: ignore[no-untyped-def]
    pool = await create_pool(infra.dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")  # not conn.transaction(): nothing would end it but the release
            await conn.execute("SELECT pg_advisory_xact_lock(4242)")
            await conn.execute("CREATE TEMP TABLE left_open (n int) ON COMMIT DROP")
            assert conn.is_in_transaction()
        async with pool.acquire() as again:  # the same connection (the pool holds one)
            assert not again.is_in_transaction()
            held = await again.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")
            assert held == 0  # the transaction's lock went with it
            assert await again.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
            assert await again.fetchval("SELECT '{\"a\": 1}'::jsonb") == {"a": 1}  # the codecs set when it was made stay
    finally:
        await pool.close()
