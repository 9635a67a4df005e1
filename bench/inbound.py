"""Inbound webhooks: signed deliveries at a fixed rate against the API, acknowledged once the broker
has the record (goal: 1,000 a second for 10 s, p99 <= 250 ms).

Open loop: delivery ``i`` is due at ``start + i / rate`` whatever happened before it, and its latency
is counted from when it was due (a slow answer delays the ones queued behind it, and that counts), over
keep-alive HTTP/1.1 connections written by hand (an HTTP client library would cost more CPU than the
server under test on this machine). The raw baseline in the same run: a bare FastAPI app on the same
uvicorn settings whose handler reads the body and checks the same signature, then answers without
producing. Run: ``python -m bench.run --only inbound [--smoke]``; ``python -m bench.inbound bare PORT``
serves the baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from domain import inbound as d
from tests import inbound_payloads as p

Line = Callable[[str, str, str, str, str, bool], None]
SECRET = "sandbox-facebook-secret"  # the sandbox's Facebook app (Instagram's): the API's default against the sandbox
CONNECTIONS = 64


def deliveries(n: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        body = p.raw(p.ig_comment("17841400000000001", f"1790{i:012d}", f"1789{i % 50:012d}"))
        out.append((body, d.sign("instagram", SECRET, body)))
    return out


def request(host: str, body: bytes, signature: str) -> bytes:
    head = (
        f"POST /webhooks/instagram/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(h.split(b":", 1)[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return status


async def drive(port: int, rate: int, seconds: float) -> tuple[list[float], int, float]:
    """(latencies from due time, non-200 answers, seconds it took) for ``rate * seconds`` deliveries."""
    n = int(rate * seconds)
    wire = [request(f"127.0.0.1:{port}", b, s) for b, s in deliveries(n)]
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []
    failed = 0

    async def connection() -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (job := await queue.get()) is not None:
                due, raw = job
                writer.write(raw)
                status = await _answer(reader)
                latencies.append(time.perf_counter() - due)
                failed += status != 200
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    await asyncio.sleep(0.2)
    start = time.perf_counter()
    for i, raw in enumerate(wire):
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        queue.put_nowait((due, raw))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return latencies, failed, time.perf_counter() - start


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=1000)[int(q * 1000) - 1] if len(xs) > 1 else (xs[0] if xs else 0.0)


async def warm(port: int) -> None:
    await drive(port, 200, 1.0)


def bench_inbound(rate: int, seconds: float, tmp: Path, line: Line, vault_keys: str) -> None:
    from bench.roles import roles
    from socializer.devstack import free_port, wait_port

    system = roles("inbound", tmp, vault_keys, quiet=False)
    stack, api, bare = system.stack, system.api_port, free_port()
    try:
        system.start("bare", "bench.inbound", "bare", str(bare))
        system.serve("api")
        wait_port(bare, 60)
        results = {}
        for name, port in (("raw", bare), ("ours", api)):
            asyncio.run(warm(port))
            results[name] = asyncio.run(drive(port, rate, seconds))
        (lat, failed, took), (raw_lat, _, _) = results["ours"], results["raw"]
        achieved = len(lat) / took
        p50, p99, raw_p50, raw_p99 = pct(lat, 0.5), pct(lat, 0.99), pct(raw_lat, 0.5), pct(raw_lat, 0.99)
        ok = p99 <= 0.25 and failed == 0 and achieved >= rate * 0.95
        line(
            f"inbound webhook ack p99 ({rate}/s)",
            f"{p99 * 1000:.1f} ms",
            f"{raw_p99 * 1000:.1f} ms",
            f"{p99 / raw_p99:.1f}x",
            "<= 250 ms",
            ok,
        )
        print(
            f"{'':<34} (achieved {achieved:,.0f}/s over {took:.1f} s, {len(lat):,} deliveries, {failed} not 200;"
            f" p50 {p50 * 1000:.1f} ms vs raw {raw_p50 * 1000:.1f} ms; raw = a bare FastAPI handler verifying, not producing)",
            flush=True,
        )
    finally:
        stack.stop()


def serve_bare(port: int) -> None:
    """The baseline: the same signature check on the same server settings, no broker."""
    import uvicorn
    from fastapi import FastAPI, Request, Response

    app = FastAPI()

    @app.post("/webhooks/{platform}/")
    async def receive(platform: str, request: Request) -> Response:
        body = await request.body()
        why = d.refusal(platform, SECRET, body, request.headers.get(d.SIGNATURE_HEADER[platform]), now=time.time())
        return Response(
            b'{"delivery_id":"-"}' if why is None else b"{}", status_code=200 if why is None else 403, media_type="application/json"
        )

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools")


if __name__ == "__main__":
    if sys.argv[1:2] == ["bare"]:
        serve_bare(int(sys.argv[2]))
    else:
        subprocess.run([sys.executable, "-m", "bench.run", "--only", "inbound", *sys.argv[1:]], check=False)
