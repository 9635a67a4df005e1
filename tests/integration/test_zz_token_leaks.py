"""Runs last (file order): every token the sandbox issued during the whole run carries a canary
prefix; it must be found nowhere outside the vault's ciphertexts — not in any role's log, any
partition of any topic, any column of any table, or any API response."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from sandbox.oauth import TOKEN_PREFIX
from schemas import topics

pytestmark = pytest.mark.integration
CANARY = TOKEN_PREFIX.encode()


async def _topic_bytes(broker: str) -> tuple[int, int]:
    """(records read, records holding the canary) over every partition of every topic, from the
    beginning until the topics are drained (the roles are stopped: nothing new arrives)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, group_id=None, max_poll_records=5000)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics.ALL for p in (consumer.partitions_for_topic(t) or await _parts(consumer, t))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = hits = idle = 0
        while idle < 3:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            idle = 0 if batch else idle + 1
            for records in batch.values():
                seen += len(records)
                hits += sum(map(_leaks, records))
        return seen, hits
    finally:
        await consumer.stop()


def _leaks(r: Any) -> bool:
    return CANARY in (r.value or b"") + (r.key or b"") + b"".join(v for _, v in (r.headers or ()))


async def _parts(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh consumer knows no topics yet
    return consumer.partitions_for_topic(topic) or set()


async def test_no_token_outside_the_vault(system) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.conftest import CONNECT

    connected = sum(len(rows) for rows in CONNECT.values())
    issued = sum(v for k, v in system.sandbox.token_calls().items() if k.endswith(":ok"))
    accounts = await system.sql("SELECT count(*) AS n FROM accounts")
    assert issued >= connected and accounts[0]["n"] >= connected  # every account got its tokens through a flow
    system.stop()  # the roles flush their logs and stop producing: what is scanned is the whole run

    # Positive control: the vault holds canary tokens, so a leak would be found.
    from adapters.postgres import create_pool
    from adapters.vault.crypto import Keyring
    from adapters.vault.store import TokenVault
    from tests.integration.conftest import VAULT_KEYS

    pool = await create_pool(system.infra.dsn, max_size=2)
    try:
        some = await pool.fetchval("SELECT account_id FROM vault_secrets WHERE field = 'access_token' LIMIT 1")
        token = await TokenVault(pool, Keyring.from_setting(VAULT_KEYS)).read(some, "access_token")
        assert token is not None and token.reveal().startswith(TOKEN_PREFIX)

        # Every column of every table, as text (bytea as hex: ciphertexts cannot match plain text).
        tables = [r["tablename"] for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert {"accounts", "vault_secrets", "outbox", "oauth_states", "posts", "publish_attempts"} <= set(tables)
        for t in tables:
            n = await pool.fetchval(f'SELECT count(*) FROM "{t}" x WHERE x::text LIKE $1', f"%{TOKEN_PREFIX}%")
            assert n == 0, f"a token in table {t}"
    finally:
        await pool.close()

    seen, hits = await _topic_bytes(system.infra.broker)
    assert seen >= connected and hits == 0, (seen, hits)  # at least every AccountConnected

    logs = sorted(system.root.glob("*.log"))
    assert {p.stem for p in logs} >= {"worker", "api", "projector"}
    for path in logs:
        assert CANARY not in path.read_bytes(), f"a token in {path.name}"

    assert len(system.responses) >= connected
    assert not [r for r in system.responses if CANARY in r]
