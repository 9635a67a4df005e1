"""The transactional outbox: events written in the same Postgres transaction as the state they
describe, then relayed to Kafka. A crash between commit and send only delays the event; a crash
between send and mark re-sends it with the same id, which every consumer already tolerates.
:class:`OutboxRelay` is the port the relays (the API after its commit, the worker's timer) use."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import asyncpg
import orjson

from adapters.kafka import KafkaMessage, Producer
from schemas.envelope import Envelope

log = logging.getLogger("socializer.outbox")


async def add(conn: asyncpg.Connection, topic: str, key: str, env: Envelope) -> None:
    headers = [[k, v.decode()] for k, v in env.headers()]
    await conn.execute("INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)", topic, key, env.encode(), headers)


class OutboxRelay(Protocol):
    async def relay(self, producer: Producer, limit: int = 200) -> int:
        """Send unsent rows in order and mark them; returns how many were sent."""
        ...


class PostgresOutbox:
    def __init__(self, pool: Any) -> None:
        self.pool = pool  # an asyncpg pool or adapters.postgres.LazyPool

    async def relay(self, producer: Producer, limit: int = 200) -> int:
        """Rows another relayer holds are skipped, not waited for."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT seq, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                limit,
            )
            if not rows:
                return 0
            pending = [
                await producer.send(
                    r["topic"],
                    KafkaMessage(r["key"].encode(), bytes(r["value"]), tuple((k, v.encode()) for k, v in _headers(r["headers"]))),
                )
                for r in rows
            ]
            for fut in pending:
                await fut
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows])
        return len(rows)


class MemoryOutbox:
    """The fake: envelopes waiting to be relayed."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str, Envelope]] = []

    async def relay(self, producer: Producer, limit: int = 200) -> int:
        """Each envelope leaves the outbox once the broker has it: a send that fails keeps it and the rest."""
        sent = 0
        try:
            for topic, key, env in self.pending[:limit]:
                await (await producer.send(topic, KafkaMessage.of(key, env)))
                sent += 1
        finally:
            del self.pending[:sent]
        return sent


def _headers(raw: Any) -> list[list[str]]:
    return raw if isinstance(raw, list) else orjson.loads(raw)
