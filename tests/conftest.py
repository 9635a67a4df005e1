"""Shared fixtures: a real sandbox served over HTTP on a free port, in a thread; and the random
seed every unit test runs under (printed with a failure, so the run can be reproduced)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from sandbox.app import create_sandbox
from socializer.devstack import free_port

# Every seed derives from this and the test's node id: the same test draws the same numbers on every
# run and machine. SOCIALIZER_TEST_SEED=<anything> explores other draws; a failure prints its seed.
SEED_BASE = os.environ.get("SOCIALIZER_TEST_SEED", "socializer")
INTEGRATION = Path(__file__).parent / "integration"


def pytest_report_header() -> str:
    return f"random seeds: SOCIALIZER_TEST_SEED={SEED_BASE!r} + each test's node id"


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> str:
    """This test's seed, for a ``random.Random(seed)`` of its own: fixed, and named in its messages."""
    return f"{SEED_BASE}:{request.node.nodeid}"


@pytest.fixture(autouse=True)
def _seeded_global_random(request: pytest.FixtureRequest, seed: str) -> Iterator[None]:
    """The global ``random`` seeded per test, so code under test that draws from it does the same
    thing on every run; the state before is restored after, so nothing leaks into other scopes.
    Not for the integration tests: they pick real free ports with the global ``random``
    (``devstack.free_ports``), and a fixed draw would make two runs on one machine collide."""
    if INTEGRATION in request.node.path.parents:
        yield
        return
    before = random.getstate()
    random.seed(seed)
    print(f"random seeded with {seed!r} (SOCIALIZER_TEST_SEED={SEED_BASE!r})")  # shown with a failure's output
    try:
        yield
    finally:
        random.setstate(before)


class ServedSandbox:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_sandbox(growth_seconds=5)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", timeout_keep_alive=30))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServedSandbox:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("sandbox did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    def base(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def fault(self, platform: str, mode: str, **kw: object) -> None:
        httpx.post(f"{self.url}/_sandbox/faults", json={"platform": platform, "mode": mode, **kw}).raise_for_status()

    def posts(self, platform: str | None = None) -> list[dict]:
        params = {"platform": platform} if platform else {}
        return httpx.get(f"{self.url}/_sandbox/posts", params=params).json()["posts"]

    def mint(self, provider: str, user: str) -> str:
        """A token from the provider's authorization server, without the flow (the flows have their own tests)."""
        r = httpx.post(f"{self.url}/_sandbox/oauth/grants", json={"provider": provider, "user": user})
        r.raise_for_status()
        return r.json()["access_token"]

    def register(self, apps: dict[str, tuple[str, str, list[str]]]) -> None:
        for provider, (cid, secret, uris) in apps.items():
            httpx.post(
                f"{self.url}/_sandbox/oauth/clients",
                json={"provider": provider, "client_id": cid, "client_secret": secret, "redirect_uris": uris},
            ).raise_for_status()

    def token_calls(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/_sandbox/oauth/stats").json()["token_calls"]

    def reset(self) -> None:
        httpx.post(f"{self.url}/_sandbox/reset").raise_for_status()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[ServedSandbox]:
    s = ServedSandbox().start()
    yield s
    s.stop()
