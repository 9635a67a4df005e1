"""The transactional outbox: events written in the same Postgres transaction as the state they
describe, then relayed to Kafka. A crash between commit and send only delays the event; a crash
between send and mark re-sends it with the same id, which every consumer already tolerates."""
from __future__ import annotations

import logging
from typing import Any

import asyncpg
import orjson

from schemas.envelope import Envelope

log = logging.getLogger("socializer.outbox")


async def add(conn: asyncpg.Connection, topic: str, key: str, env: Envelope) -> None:
    headers = [[k, v.decode()] for k, v in env.headers()]
    await conn.execute("INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)", topic, key, env.encode(), headers)


async def relay(pool: asyncpg.Pool, send: Any, limit: int = 200) -> int:
    """Send unsent rows in order and mark them; rows another relayer holds are skipped, not waited for.
    ``await send(topic, key, value, headers)`` hands a record to a producer and returns its delivery
    future (aiokafka's and Faust's ``send`` both do)."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch("SELECT seq, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY seq"
                                " LIMIT $1 FOR UPDATE SKIP LOCKED", limit)
        if not rows:
            return 0
        pending = [await send(r["topic"], r["key"].encode(), bytes(r["value"]), [(k, v.encode()) for k, v in _headers(r["headers"])])
                   for r in rows]
        for fut in pending:
            await fut
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows])
    return len(rows)


def _headers(raw: Any) -> list[list[str]]:
    return raw if isinstance(raw, list) else orjson.loads(raw)
