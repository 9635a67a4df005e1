"""The embedded default keeps its data: ``socializer up`` stopped with SIGTERM, and then every one
of its processes killed with SIGKILL at once (broker, object store, database, roles), comes back
with every post, account, API key and topic record, publishes nothing a second time, and its read
models replay identical from the topics. On the way, ``up`` shows it supervises its roles: it prints
the dashboard's address first, a killed worker (and its pool) is replaced, and on SIGTERM every
process it started (pools and database backends included) is gone within seconds.

One ``up`` serves all of it: each start of the embedded default costs the suite most of a minute."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.kafka import end_offsets
from schemas import topics
from socializer.devstack import OBJECT_STORE_PORTS, free_port, free_ports, wait_port

pytestmark = pytest.mark.integration


class Up:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.api, self.sandbox, self.broker_port = free_port(), free_port(), free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALIZER_")} | {
            "SOCIALIZER_DATA_DIR": str(root / "data"),
            "SOCIALIZER_API_PORT": str(self.api),
            "SOCIALIZER_SANDBOX_PORT": str(self.sandbox),
            "SOCIALIZER_BROKER_PORT": str(self.broker_port),
            "SOCIALIZER_DATABASE_PORT": str(free_port()),
            "SOCIALIZER_OBJECT_STORE_PORT": str(free_ports(OBJECT_STORE_PORTS)),
            "SOCIALIZER_ENGAGEMENT_TICK_SECONDS": "5",
        }
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    @property
    def broker(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    def start(self) -> None:
        self.runs += 1
        log = open(self.root / f"up{self.runs}.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "socializer", "up"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.api, 180, self.proc)
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in self.output():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.3)

    def workers(self) -> list[psutil.Process]:
        """The ``socializer worker`` processes ``up`` runs now (not the video worker)."""
        assert self.proc is not None
        out = []
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if p.cmdline()[-2:] == ["socializer", "worker"]:
                    out.append(p)
            except psutil.NoSuchProcess:
                pass
        return out

    def output(self) -> str:
        return (self.root / f"up{self.runs}.log").read_text()

    def sigterm(self) -> None:
        assert self.proc is not None
        family = psutil.Process(self.proc.pid).children(recursive=True)
        assert len(family) >= 7  # object store, broker, database (and its backends), sandbox, projector, API, workers
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(60) == 0
        _, alive = psutil.wait_procs(family, timeout=15)
        assert alive == []

    def sigkill_everything(self) -> None:
        """A crash, not a shutdown: every process dies at the same instant, none gets to flush."""
        assert self.proc is not None
        up = psutil.Process(self.proc.pid)
        family = up.children(recursive=True)
        up.suspend()  # no last word from the parent either
        for p in [*family, up]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs([*family, up], timeout=15)
        self.proc.wait(5)

    def key(self) -> str:
        return (self.root / "data" / "demo-api-key").read_text().strip()

    def get(self, path: str) -> Any:
        r = httpx.get(f"http://127.0.0.1:{self.api}{path}", headers={"Authorization": f"Bearer {self.key()}"}, timeout=30)
        r.raise_for_status()
        return r.json()

    def posts(self) -> dict[str, str]:
        out: dict[str, str] = {}
        url = "/api/v1/social/posts/?limit=100"
        while url:
            page = self.get(url)
            out |= {p["post_id"]: p["status"] for p in page["results"]}
            url = page["next"] and page["next"].split(f":{self.api}", 1)[-1]
        return out

    def accounts(self) -> set[str]:
        return {a["account_id"] for a in self.get("/api/v1/social/accounts/")["results"]}

    def on_platforms(self) -> list[dict]:
        return httpx.get(f"http://127.0.0.1:{self.sandbox}/_sandbox/posts", timeout=30).json()["posts"]

    def wait_published(self, at_least: int, timeout: float = 180) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            posts = self.posts()
            if sum(s == "published" for s in posts.values()) >= at_least:
                return posts
            assert time.monotonic() < deadline, Counter(posts.values())
            time.sleep(2)


async def records(broker: str) -> dict[tuple[str, int], list[str]]:
    """Every record of every topic, as a digest per offset."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001
        tps = [TopicPartition(t, p) for t in topics.ALL for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(tps)
        ends = await end_offsets(consumer, tps)
        await consumer.seek_to_beginning(*tps)
        out: dict[tuple[str, int], list[str]] = {(tp.topic, tp.partition): [] for tp in tps}
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for tp, msgs in (await consumer.getmany(timeout_ms=1000)).items():
                out[(tp.topic, tp.partition)] += [hashlib.sha256(m.value or b"").hexdigest()[:16] for m in msgs]
        return out
    finally:
        await consumer.stop()


def assert_kept(before: dict[tuple[str, int], list[str]], after: dict[tuple[str, int], list[str]]) -> None:
    for tp, digests in before.items():
        assert after.get(tp, [])[: len(digests)] == digests, f"{tp}: history changed across the restart"


def assert_published_once(up: Up) -> None:
    seen = Counter((p["platform"], p.get("account"), p["text"]) for p in up.on_platforms())
    assert seen and max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]


def until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def assert_supervised(up: Up) -> None:
    """The dashboard's address comes first; a killed worker's pool goes with it and ``up`` starts another."""
    addresses = [
        ln.split()[0] for ln in up.output().splitlines() if ln[:10].rstrip() in ("dashboard", "broker", "database", "sandbox", "api")
    ]
    assert addresses[0] == "dashboard", addresses
    assert f"dashboard http://127.0.0.1:{up.api}/socializer/dashboard   (sign in with the site's API key)" in up.output()
    (first,) = until(up.workers, 60, "the worker")
    pool = until(lambda: first.children(recursive=True), 90, "the worker's pool processes")
    first.kill()
    _, left = psutil.wait_procs(pool, timeout=15)
    assert left == []  # a killed worker's pool goes with it
    until(lambda: [w for w in up.workers() if w.pid != first.pid], 60, "a restarted worker")
    assert up.proc is not None and up.proc.poll() is None
    assert httpx.get(f"http://127.0.0.1:{up.api}/healthz", timeout=10).status_code in (200, 503)
    assert "worker1 exited with -9; restarting" in up.output()


def test_up_keeps_every_record_across_sigterm_and_sigkill(tmp_path: Path) -> None:
    up = Up(tmp_path)
    up.start()
    try:
        posts = up.wait_published(at_least=3)
        assert_supervised(up)
        accounts, key = up.accounts(), up.key()
        history = asyncio.run(records(up.broker))
        assert sum(map(len, history.values())) > 50

        up.sigterm()
        up.start()
        assert "kept from the first run" in up.output() and up.key() == key
        assert up.accounts() == accounts
        again = up.posts()
        assert set(posts) <= set(again)
        assert all(again[p] == "published" for p, s in posts.items() if s == "published")
        assert_kept(history, asyncio.run(records(up.broker)))

        published = sum(s == "published" for s in again.values())
        posts = up.wait_published(at_least=published + 2)  # it goes on where it stopped
        history = asyncio.run(records(up.broker))
        platform_posts = len(up.on_platforms())

        up.sigkill_everything()
        up.start()
        assert up.key() == key and up.accounts() == accounts
        again = up.posts()
        assert set(posts) <= set(again)
        assert all(again[p] == "published" for p, s in posts.items() if s == "published")
        assert_kept(history, asyncio.run(records(up.broker)))
        assert len(up.on_platforms()) >= platform_posts  # the sandbox is a platform: it keeps what it confirmed

        up.wait_published(at_least=sum(s == "published" for s in again.values()) + 1)
        assert_published_once(up)
        replay = subprocess.run(
            [sys.executable, "-m", "socializer", "replay", "all", "--verify"],
            env=up.env
            | {
                "SOCIALIZER_BROKER": up.broker,
                "SOCIALIZER_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{up.env['SOCIALIZER_DATABASE_PORT']}/postgres",
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert replay.returncode == 0, replay.stdout + replay.stderr
        up.sigterm()
    finally:
        if up.proc is not None and up.proc.poll() is None:
            for p in psutil.Process(up.proc.pid).children(recursive=True):
                p.kill()
            up.proc.kill()
