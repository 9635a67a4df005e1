"""``socializer up`` supervises its roles: a killed worker is restarted and the stack goes on; on
SIGTERM every process it started (pools and database backends included) is gone within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from socializer.devstack import OBJECT_STORE_PORTS, free_port, free_ports, wait_port

pytestmark = pytest.mark.integration


def workers(up: psutil.Process) -> list[psutil.Process]:
    out = []
    for p in up.children(recursive=True):
        try:
            if p.cmdline()[-2:] == ["socializer", "worker"]:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_until(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_up_restarts_a_killed_worker_and_leaves_nothing_behind_on_sigterm(tmp_path: Path) -> None:
    api, sandbox = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALIZER_")}
    env |= {
        "SOCIALIZER_DATA_DIR": str(tmp_path / "data"),
        "SOCIALIZER_API_PORT": str(api),
        "SOCIALIZER_SANDBOX_PORT": str(sandbox),
        "SOCIALIZER_BROKER_PORT": str(free_port()),
        "SOCIALIZER_DATABASE_PORT": str(free_port()),
        "SOCIALIZER_OBJECT_STORE_PORT": str(free_ports(OBJECT_STORE_PORTS)),
    }
    log = open(tmp_path / "up.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "socializer", "up", "--no-demo"], env=env, stdout=log, stderr=subprocess.STDOUT)
    up = psutil.Process(proc.pid)
    try:
        wait_port(api, 120, proc)
        (first,) = wait_until(lambda: workers(up), 60, "the worker")
        printed = wait_until(
            lambda: [ln for ln in (tmp_path / "up.log").read_text().splitlines() if ln.startswith("dashboard ")], 30, "the addresses"
        )
        assert printed[0] == f"dashboard http://127.0.0.1:{api}/socializer/dashboard   (sign in with the site's API key)", (
            "the dashboard's address comes first"
        )
        addresses = [
            ln.split()[0]
            for ln in (tmp_path / "up.log").read_text().splitlines()
            if ln[:10].rstrip() in ("dashboard", "broker", "database", "sandbox", "api")
        ]
        assert addresses[0] == "dashboard"
        subprocess.run([sys.executable, "-m", "socializer", "demo"], env=env, check=True, capture_output=True, timeout=60)
        pool = wait_until(lambda: first.children(recursive=True), 90, "the worker's pool processes (reading the demo articles)")
        first.kill()
        _, left = psutil.wait_procs(pool, timeout=15)
        assert left == []  # a killed worker's pool goes with it
        (second,) = wait_until(lambda: [w for w in workers(up) if w.pid != first.pid], 60, "a restarted worker")
        assert proc.poll() is None and httpx.get(f"http://127.0.0.1:{api}/healthz", timeout=10).status_code in (200, 503)
        assert "worker1 exited with -9; restarting" in (tmp_path / "up.log").read_text()

        family = up.children(recursive=True)
        assert len(family) >= 7  # object store, broker, database (and its backends), sandbox, projector, API, worker
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        gone, alive = psutil.wait_procs(family, timeout=15)
        assert alive == [], [p.pid for p in alive]
        assert second in gone
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in up.children(recursive=True) if up.is_running() else []:
            p.kill()
