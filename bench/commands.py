"""A command's round trip (HTTP → the post's writer → the answer) beside the broker's own
acknowledged-event latency, and a bulk schedule of many posts, calm and while the worker restarts.

The roles run as processes exactly as ``socializer up`` runs them; the posts are drafted by events
on ``social.posts``, as adapt drafts them, and edited and scheduled through the API.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from bench.roles import roles
from schemas import events as e
from schemas import topics
from schemas.registry import registry
from socializer.devstack import signal_group

SITE = "bench-cmd"


def quantile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


async def broker_ack(broker: str, n: int) -> list[float]:
    """What one acknowledged event costs on this broker (acks=all), one at a time."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False, acks="all", linger_ms=0)
    await producer.start()
    try:
        out = []
        for i in range(n + 20):
            t0 = time.perf_counter()
            await producer.send_and_wait("bench.ack", b"x" * 400, key=str(i).encode())
            if i >= 20:
                out.append(time.perf_counter() - t0)
        return out
    finally:
        await producer.stop()


async def draft(broker: str, post_ids: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False, acks="all", linger_ms=5)
    await producer.start()
    try:
        for pid in post_ids:
            ev = e.PostDrafted(post_id=pid, site_id=SITE, account_id="bench-acct", platform="linkedin", post_type="announcement", text=pid)
            env = registry.envelope(ev, source="bench", subject=pid)
            await producer.send(topics.POSTS, env.encode(), key=pid.encode(), headers=env.headers())
        await producer.flush()
    finally:
        await producer.stop()


async def until_known(client: httpx.AsyncClient, post_ids: list[str]) -> None:
    for pid in post_ids:
        while (await client.get(f"/api/v1/social/posts/{pid}/")).status_code != 200:
            await asyncio.sleep(0.05)


def bench_commands(n: int, bulk: int, tmp: Path, line: Any, vault_keys: str) -> None:
    system = roles("cmd", tmp, vault_keys, extra_topics=("bench.ack",), env={"SOCIALIZER_SESSION_TIMEOUT_SECONDS": "6"})
    stack, broker, port = system.stack, system.broker, system.api_port
    try:
        system.start("projector")
        worker = system.start("worker")
        system.serve("api")
        ack = asyncio.run(broker_ack(broker, n))
        auth = {"Authorization": f"Bearer {asyncio.run(system.api_key(SITE))}"}

        async def run() -> tuple[list[float], float, float, int, float]:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=30) as c:
                ids = [f"cmd-{i}" for i in range(3)]
                calm = [f"bulk-{i}" for i in range(bulk)]
                restart = [f"restart-{i}" for i in range(bulk)]
                await draft(broker, ids + calm + restart)
                await until_known(c, ids + calm + restart)
                for _ in range(10):  # warm: connections, the writer's first fold
                    assert (await c.put(f"/api/v1/social/posts/{ids[0]}/", json={"text": "warm"})).status_code == 202
                trips = []
                for i in range(n):
                    t0 = time.perf_counter()
                    r = await c.put(f"/api/v1/social/posts/{ids[i % 3]}/", json={"text": f"edit {i}"})
                    trips.append(time.perf_counter() - t0)
                    assert r.status_code == 202 and not r.json().get("pending"), r.text
                t0 = time.perf_counter()
                r = await c.post("/api/v1/social/posts/bulk-schedule/", json={"post_ids": calm})
                calm_s = time.perf_counter() - t0
                assert r.status_code == 202 and all(x["outcome"] == "accepted" for x in r.json()["results"]), r.text
                # A worker restarting: stopped, the bulk request sent, the worker started again.
                signal_group(worker, signal.SIGTERM)
                worker.wait(30)
                stack.procs.remove(worker)
                t0 = time.perf_counter()
                pending_req = asyncio.create_task(c.post("/api/v1/social/posts/bulk-schedule/", json={"post_ids": restart}))
                await asyncio.sleep(0.5)
                system.start("worker")
                r = await pending_req
                restart_s = time.perf_counter() - t0
                assert r.status_code == 202, r.text
                pending = sum(1 for x in r.json()["results"] if x["outcome"] == "pending")
                return trips, calm_s, restart_s, pending, 5.0

        trips, calm_s, restart_s, pending, deadline = asyncio.run(run())
        p50, p99 = quantile(trips, 50), quantile(trips, 99)
        a50, a99 = quantile(ack, 50), quantile(ack, 99)
        line(
            f"command round trip p50 ({n})",
            f"{p50 * 1000:.1f} ms",
            f"{a50 * 1000:.1f} ms ack",
            f"{p50 / a50:.0f}x",
            "<= 50 ms",
            p50 <= 0.05,
        )
        line(
            f"command round trip p99 ({n})",
            f"{p99 * 1000:.1f} ms",
            f"{a99 * 1000:.1f} ms ack",
            f"{p99 / a99:.0f}x",
            "<= 200 ms",
            p99 <= 0.2,
        )
        line(f"bulk schedule of {bulk}", f"{calm_s:.2f} s", f"{bulk * a50 * 1000:.0f} ms acks", "", "< 2 s", calm_s < 2)
        line(
            f"bulk of {bulk}, worker restarting",
            f"{restart_s:.2f} s",
            f"{pending} pending",
            "",
            f"<= {deadline:.0f} s+1",
            restart_s <= deadline + 1,
        )
    finally:
        stack.stop()


if __name__ == "__main__":  # python -m bench.commands: this figure alone
    import tempfile

    from bench.run import VAULT_KEYS
    from bench.run import line as print_line

    bench_commands(300, 100, Path(tempfile.mkdtemp(prefix="socializer-bench-")), print_line, VAULT_KEYS)
