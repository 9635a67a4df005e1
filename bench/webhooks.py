"""Outbound webhooks: what signing costs, and that 10,000 events make 10,000 deliveries, none twice.

1. Signed deliveries per second to a local receiver (the deliverer's sender: leased from Postgres,
   signed with HMAC-SHA256 under the endpoint's secret opened from the vault, posted, recorded)
   against the same deliveries unsigned (no secret opened, no HMAC).
2. 10,000 events through the deliverer's own functions (:func:`streams.deliver.enqueue`, every event
   read twice, as after a crash before the offset commit) and two senders leasing from one table at
   once (two workers): the receiver counts each webhook-id.

Kafka is not in this loop (the agent's consume path is the projector's; see the projections bench):
this measures the delivery stage itself. Run: ``python -m bench.run --only webhooks [--smoke]``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.netguard import Policy, guarded_client
from adapters.postgres import create_pool, migrate
from adapters.vault.crypto import Keyring, Secret
from adapters.vault.store import TokenVault
from adapters.webhooks import NewDelivery, PostgresWebhooks, WebhookSender
from domain import webhooks as w
from schemas import events as e
from schemas.registry import registry
from socializer.devstack import Embedded, free_port, start_postgres
from streams.deliver import Delivering, enqueue, send_due

Line = Callable[[str, str, str, str, str, bool], None]


class Receiver:
    """A keep-alive HTTP/1.1 receiver that answers 204 and counts webhook-ids."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0, backlog=1024)
        return int(self.server.sockets[0].getsockname()[1])

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, msg = 0, ""
                for h in head.split(b"\r\n"):
                    k, _, v = h.partition(b":")
                    if k.lower() == b"content-length":
                        length = int(v)
                    elif k.lower() == b"webhook-id":
                        msg = v.strip().decode()
                await reader.readexactly(length)
                self.ids[msg] += 1
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the sender closed, or the server is closing
        finally:
            writer.close()


def _sender(sign: bool, concurrency: int) -> WebhookSender:
    import httpx

    http = guarded_client(
        Policy.parse("loopback"), timeout=10, follow_redirects=False, limits=httpx.Limits(max_connections=concurrency * 2)
    )
    return WebhookSender(http, sign=sign)


async def _drain(store: PostgresWebhooks, senders: list[WebhookSender], concurrency: int) -> None:
    async def loop(sender: WebhookSender) -> None:
        idle = 0
        while idle < 3:
            n = await send_due(store, sender, limit=concurrency * 4, concurrency=concurrency, lease_seconds=60)
            idle = 0 if n else idle + 1
            if not n:
                await asyncio.sleep(0.02)

    await asyncio.gather(*(loop(s) for s in senders))


async def _run(dsn: str, n_rate: int, n_events: int, concurrency: int) -> tuple[float, float, float, int, int, int]:
    pool = await create_pool(dsn, max_size=12)
    store = PostgresWebhooks(pool, TokenVault(pool, Keyring({"b1": os.urandom(32)}, "b1")))
    receiver = Receiver()
    port = await receiver.start()
    url = f"http://127.0.0.1:{port}/hook"
    try:
        rates: dict[bool, float] = {}
        for sign in (False, True, False, True):  # interleaved: the better of two runs each
            ep = await store.create(f"bench-{sign}", url, ["*"], "", Secret(w.new_secret(os.urandom(32))))
            now = datetime.now(UTC)
            body = w.body(w.OVERDUE, now, {"post_id": "p" * 20, "site_id": "bench", "account_id": "a" * 20, "platform": "x"})
            rows = [NewDelivery(ep.endpoint_id, f"ev-{i}", w.message_id(f"ev-{i}", ep.endpoint_id), w.OVERDUE, body) for i in range(n_rate)]
            await store.enqueue(rows, now)
            sender = _sender(sign, concurrency)
            t0 = time.perf_counter()
            await _drain(store, [sender], concurrency)
            rates[sign] = max(rates.get(sign, 0.0), n_rate / (time.perf_counter() - t0))
            await sender.http.aclose()
            await store.delete(ep.site_id, ep.endpoint_id)

        receiver.ids.clear()
        ep = await store.create("bench", url, ["post.overdue"], "", Secret(w.new_secret(os.urandom(32))))
        d = Delivering(store)
        now = datetime.now(UTC)
        decoded = [
            registry.decode(
                registry.encode(
                    e.PostOverdue(post_id=f"p{i}", site_id="bench", account_id="a", platform="x", due_at=now, detected_at=now),
                    source="bench",
                    subject=f"p{i}",
                )
            )
            for i in range(n_events)
        ]
        t0 = time.perf_counter()
        for _ in range(2):  # the log read twice (a crash before the commit): the rows are made once
            for i in range(0, n_events, 50):
                await asyncio.gather(*(enqueue(x, d) for x in decoded[i : i + 50]))
        enq = n_events / (time.perf_counter() - t0) * 2
        senders = [_sender(True, concurrency), _sender(True, concurrency)]  # two workers on one table
        await _drain(store, senders, concurrency)
        for s in senders:
            await s.http.aclose()
        rows = await pool.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", ep.endpoint_id
        )
        dup = sum(1 for c in receiver.ids.values() if c > 1)
        return rates[True], rates[False], enq, len(receiver.ids), dup, int(rows)
    finally:
        receiver.server.close()
        await pool.close()


def bench_webhooks(n_rate: int, n_events: int, tmp: Path, line: Line, concurrency: int = 32) -> None:
    stack = Embedded()
    try:
        dsn = start_postgres(free_port(), tmp / "webhooks-pg" / "data", stack)
        asyncio.run(migrate(dsn))
        signed, unsigned, enq, unique, dup, rows = asyncio.run(_run(dsn, n_rate, n_events, concurrency))
        line(
            f"webhook deliveries ({n_rate})",
            f"{signed:,.0f}/s",
            f"{unsigned:,.0f}/s",
            f"{signed / unsigned:.0%}",
            ">= 80 %",
            signed >= 0.8 * unsigned,
        )
        ok = unique == n_events and dup == 0 and rows == n_events
        line(f"{n_events:,} events -> deliveries", f"{unique:,} ids", f"{dup} repeated", f"{enq:,.0f}/s", "= n, 0 rep", ok)
        if not ok:
            raise SystemExit(f"webhooks: {n_events} events made {unique} delivered ids ({dup} repeated, {rows} rows delivered)")
    finally:
        stack.stop()
