"""A bulk import of N CSV rows (previewed, imported, imported again) beside the raw baseline of
producing N bare records to the broker in one batch, in the same run.

The roles run as processes exactly as ``socializer up`` runs them; the site's two accounts are rows
of the accounts table (no OAuth needed to measure the import); every row goes through the posts'
single writer, and the import answers once each has been decided.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from adapters.postgres import create_pool
from bench.roles import roles

SITE = "bench-import"
ACCOUNTS = (("bench-imp-x", "x"), ("bench-imp-li", "linkedin"))


async def bare_records(broker: str, n: int) -> float:
    """Seconds to produce ``n`` bare records of a command's size at once (acks=all), awaited together."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False, acks="all", linger_ms=1)
    await producer.start()
    try:
        await producer.send_and_wait("bench.import", b"warm", key=b"warm")
        t0 = time.perf_counter()
        futures = [await producer.send("bench.import", b"x" * 900, key=str(i).encode()) for i in range(n)]
        await asyncio.gather(*futures)
        return time.perf_counter() - t0
    finally:
        await producer.stop()


def csv_rows(n: int) -> str:
    start = datetime(datetime.now(UTC).year + 1, 1, 5, 6, 0, tzinfo=UTC)
    lines = ["account,text,link,time"]
    for i in range(n):
        account = ACCOUNTS[i % 2][0]
        lines.append(f"{account},Imported row {i}: what we learned,https://blog.example/{i},{(start + timedelta(hours=i)).isoformat()}")
    return "\n".join(lines) + "\n"


async def seed(dsn: str) -> str:
    from adapters.api_keys import ApiKeys

    pool = await create_pool(dsn, max_size=1)
    try:
        settings = {"max_per_day": 1000, "cooldown_hours": 0}
        for account_id, platform in ACCOUNTS:
            await pool.execute(
                "INSERT INTO accounts (account_id, site_id, platform, platform_account_id, handle, settings, connection_id)"
                " VALUES ($1, $2, $3, $1, $1, $4, $1)",
                account_id,
                SITE,
                platform,
                settings,
            )
        return await ApiKeys(pool).create(SITE)
    finally:
        await pool.close()


def bench_imports(n: int, tmp: Path, line: Any, vault_keys: str) -> None:
    system = roles("imp", tmp, vault_keys, extra_topics=("bench.import",))
    stack, broker, dsn, port = system.stack, system.broker, system.dsn, system.api_port
    try:
        system.serve("projector", "worker", "api")
        auth = {"Authorization": f"Bearer {asyncio.run(seed(dsn))}", "content-type": "text/csv"}
        raw = asyncio.run(bare_records(broker, n))
        body = csv_rows(n)
        url = "/api/v1/social/posts/import/"

        async def run() -> tuple[float, float, float]:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=120) as c:
                warm = await c.post(
                    url, content="account,text,time\nbench-imp-li,warm the writer,\n"
                )  # connections, the writer's first fold
                assert warm.status_code == 202, warm.text
                t0 = time.perf_counter()
                r = await c.post(url, params={"dry_run": "true"}, content=body)
                dry = time.perf_counter() - t0
                assert r.status_code == 200 and r.json()["summary"] == {"create": n}, r.text[:500]
                t0 = time.perf_counter()
                r = await c.post(url, content=body)
                imported = time.perf_counter() - t0
                assert r.status_code == 202 and r.json()["summary"] == {"create": n, "accepted": n}, r.text[:500]
                t0 = time.perf_counter()
                r = await c.post(url, content=body)
                again = time.perf_counter() - t0
                assert r.status_code == 202 and r.json()["summary"] == {"exists": n}, r.text[:500]
                return dry, imported, again

        dry, imported, again = asyncio.run(run())
        line(f"import preview, {n} CSV rows", f"{dry:.2f} s", "", "", "< 10 s", dry < 10)
        line(
            f"import, {n} rows decided", f"{imported:.2f} s", f"{raw * 1000:.0f} ms bare", f"{imported / raw:.0f}x", "< 10 s", imported < 10
        )
        line(f"import again, {n} rows (none new)", f"{again:.2f} s", "", "", "< 10 s", again < 10)
    finally:
        stack.stop()


if __name__ == "__main__":  # python -m bench.imports: this figure alone
    import tempfile

    from bench.run import VAULT_KEYS
    from bench.run import line as print_line

    bench_imports(1000, Path(tempfile.mkdtemp(prefix="socializer-bench-")), print_line, VAULT_KEYS)
