"""Integration fixtures: a real Tansu broker and a real PostgreSQL on free ports, and the system's
roles (worker, projector, API) as real processes, exactly as ``socializer up`` runs them."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from adapters.postgres import migrate
from schemas import topics
from schemas.commands import CancelPost, DecidePost
from schemas.events import ContentPublished
from schemas.registry import registry
from socializer.devstack import Embedded, create_topics, free_port, signal_group, spawn, start_broker, start_postgres, wait_port

pytestmark = pytest.mark.integration

FAST = {"auto_publish": True, "max_per_day": 1000, "cooldown_hours": 0, "interval_minutes": 0.05}
CHAOS = {"interval_minutes": 0.02}


# Accounts each test site connects through the real OAuth flow: (name, platform, sandbox user, account type, settings).
CONNECT = {
    "itest": [
        ("it-linkedin", "linkedin", "it-org", "organization", {}),
        ("it-x", "x", "it-x", "personal", {}),
        ("it-facebook", "facebook", "it-fb", "page", {}),
        ("it-instagram", "instagram", "it-ig", "business", {}),
        ("it-tiktok", "tiktok", "it-tt", "personal", {}),
        ("it-review", "linkedin", "it-member", "personal", {"auto_publish": False}),
        ("it-youtube", "youtube", "it-yt", "channel", {}),  # videos only: rendered projects are posted to it
    ],
    "crash": [(f"crash-x{i}", "x", f"crash-x{i}", "personal", {}) for i in range(3)],
    # The chaos suite's (test_chaos): four X accounts (tweets and threads), two LinkedIn, a page and
    # an Instagram account, slotted 1.2 s apart so 156 posts fit in a few minutes.
    "chaos": [
        *[(f"chaos-x{i}", "x", f"chaos-x{i}", "personal", CHAOS) for i in range(4)],
        ("chaos-li-org", "linkedin", "chaos-li", "organization", CHAOS),
        ("chaos-li-member", "linkedin", "chaos-li-member", "personal", CHAOS),
        ("chaos-facebook", "facebook", "chaos-fb", "page", CHAOS),
        ("chaos-instagram", "instagram", "chaos-ig", "business", CHAOS),
    ],
    "usage": [("usage-x", "x", "usage-x", "personal", {})],  # test_usage: an account to generate posts for
    # test_webhooks: one account that publishes on its own, one whose drafts wait for review.
    "hooks": [
        ("hooks-x", "x", "hooks-x", "personal", {}),
        ("hooks-review", "linkedin", "hooks-member", "personal", {"auto_publish": False}),
    ],
    # The dashboard's browser tests (test_dashboard*): one account per platform, and one whose posts wait for review.
    "dash": [
        ("dash-x", "x", "dash-x", "personal", {}),
        ("dash-linkedin", "linkedin", "dash-org", "organization", {}),
        ("dash-facebook", "facebook", "dash-fb", "page", {}),
        ("dash-instagram", "instagram", "dash-ig", "business", {}),
        ("dash-tiktok", "tiktok", "dash-tt", "personal", {}),
        ("dash-review", "linkedin", "dash-member", "personal", {"auto_publish": False}),
    ],
    # test_analytics_periods: ranges and previous periods in a zone far from UTC, on two platforms.
    "periods": [
        ("periods-x", "x", "periods-x", "personal", {}),
        ("periods-linkedin", "linkedin", "periods-org", "organization", {}),
    ],
    # test_dashboard_calendar: an account with a cooldown (a drop too close to another post is a 409) and learned slots.
    "dashcal": [("dashcal-x", "x", "dashcal-x", "personal", {"cooldown_hours": 4, "max_per_day": 3, "interval_minutes": None})],
    # The video pages' browser test (test_dashboard_video): the three platforms a video is posted to.
    "dashvid": [
        ("dv-youtube", "youtube", "dv-yt", "channel", {}),
        ("dv-instagram", "instagram", "dv-ig", "business", {}),
        ("dv-tiktok", "tiktok", "dv-tt", "personal", {}),
    ],
    # The accounts page's browser test (test_dashboard_accounts): it connects and re-authorises more itself.
    "dashacct": [
        ("da-linkedin", "linkedin", "da-org", "organization", {}),
        ("da-facebook", "facebook", "da-fb", "page", {}),
    ],
    # The queues pages' browser test (test_dashboard_queues): an X account and a LinkedIn page to queue posts for.
    "dashq": [
        ("dq-x", "x", "dq-x", "personal", {}),
        ("dq-linkedin", "linkedin", "dq-org", "organization", {}),
    ],
    # test_import and test_queues (h24): imported rows and queue items are placed by their own times, an hour apart at most.
    "bulk": [
        ("bulk-x", "x", "bulk-x", "personal", {"auto_publish": False, "interval_minutes": None, "best_times": ["09:00", "15:00"]}),
        ("bulk-linkedin", "linkedin", "bulk-org", "organization", {"auto_publish": False, "interval_minutes": None}),
    ],
}
SITES = {
    "sites": [
        {"site_id": "itest", "timezone": "Europe/Berlin", "auto_social_publish": True},
        {"site_id": "crash", "timezone": "UTC", "auto_social_publish": True},
        {"site_id": "hostile-site", "timezone": "UTC", "auto_social_publish": True},
        {"site_id": "acct", "timezone": "UTC", "auto_social_publish": True},
        {"site_id": "engage", "timezone": "Europe/Berlin", "auto_social_publish": True},
        {"site_id": "chaos", "timezone": "UTC", "auto_social_publish": True, "post_types": ["announcement", "thread"]},
        {"site_id": "hooks", "timezone": "UTC", "auto_social_publish": True},
        {"site_id": "notify", "timezone": "UTC", "auto_social_publish": True},
        {"site_id": "dash", "timezone": "America/New_York", "auto_social_publish": True},
        {"site_id": "autochaos", "timezone": "UTC", "auto_social_publish": False},  # test_zzz_automation_chaos: comments only
        {"site_id": "periods", "timezone": "Pacific/Auckland", "auto_social_publish": True},
        {"site_id": "dashcal", "timezone": "America/New_York", "auto_social_publish": True},
        {"site_id": "dashvid", "timezone": "America/New_York", "auto_social_publish": True},
        {"site_id": "dashacct", "timezone": "Europe/Paris", "auto_social_publish": True},
        {"site_id": "dashq", "timezone": "America/Los_Angeles", "auto_social_publish": True},  # test_dashboard_queues
        {"site_id": "bulk", "timezone": "Europe/Berlin", "auto_social_publish": False},  # test_import, test_queues
        # test_usage: its credits are taken to zero; its one article becomes a video straight through.
        # test_audience, test_automation_runs: their Instagram accounts' comments only.
        {"site_id": "audience", "timezone": "UTC", "auto_social_publish": False},
        {"site_id": "autorun", "timezone": "UTC", "auto_social_publish": False},
        {"site_id": "usage", "timezone": "UTC", "auto_social_publish": False, "video_enabled": True, "video_review": False},
    ]
}
PARTITIONS = 4  # of every topic
VAULT_KEYS = "it1:" + base64.b64encode(b"integration-test-master-key-32b!").decode()


class Infra:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.stack = Embedded()
        self.broker = start_broker(free_port(), root / "logs", self.stack)
        self.pg_port, self.pg_data = free_port(), root / "pg" / "data"
        self.dsn = start_postgres(self.pg_port, self.pg_data, self.stack)
        asyncio.run(migrate(self.dsn))
        asyncio.run(create_topics(self.broker, topics.ALL, PARTITIONS))

    def restart_postgres(self, down_seconds: float, while_down: Callable[[], Any] | None = None) -> None:
        """Stop the database (fast shutdown: every connection is cut), run ``while_down``, start it again."""
        (pg,) = [p for p in self.stack.procs if p.poll() is None and str(p.args[0]).endswith("postgres")]
        pg.send_signal(signal.SIGINT)
        pg.wait(30)
        self.stack.procs.remove(pg)
        if while_down is not None:
            while_down()
        time.sleep(down_seconds)
        start_postgres(self.pg_port, self.pg_data, self.stack)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    inf = Infra(tmp_path_factory.mktemp("infra"))
    yield inf
    inf.stack.stop()


class System:
    """The roles as processes, against the shared broker, database and sandbox."""

    def __init__(self, infra: Infra, sandbox: Any, root: Path) -> None:
        self.infra, self.sandbox, self.root = infra, sandbox, root
        sites = root / "sites.json"
        sites.write_text(json.dumps(SITES))
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.smtp_port = free_port()  # test_notifications serves SMTP here while it runs (nothing listens otherwise)
        self.env = {
            **os.environ,
            "SOCIALIZER_BROKER": infra.broker,
            "SOCIALIZER_DATABASE_URL": infra.dsn,
            "SOCIALIZER_SITES_FILE": str(sites),
            "SOCIALIZER_API_PORT": str(self.api_port),
            "SOCIALIZER_SANDBOX_PORT": str(sandbox.port),
            # Engagement snapshots on the sandbox's clock (a day in five seconds: ServedSandbox's growth).
            "SOCIALIZER_ENGAGEMENT_AGE_SCALE": str(5 / 86400),
            "SOCIALIZER_ENGAGEMENT_TICK_SECONDS": "1",
            "SOCIALIZER_FOLLOWERS_TICK_SECONDS": "15",  # X allows GET /2/users/me 75 times in 15 minutes
            "SOCIALIZER_SESSION_TIMEOUT_SECONDS": "6",
            "SOCIALIZER_PUBLISH_TIMEOUT_SECONDS": "8",
            "SOCIALIZER_PUBLISH_LEASE_SECONDS": "12",
            "SOCIALIZER_RECONCILE_DELAY_SECONDS": "1",
            "SOCIALIZER_LOG_LEVEL": "WARNING",
            "SOCIALIZER_MEDIA_DIR": str(root / "media"),
            "SOCIALIZER_MEDIA_BASE_URL": f"http://127.0.0.1:{self.api_port}/media",
            "SOCIALIZER_VAULT_KEYS": VAULT_KEYS,
            # The sandbox and test_webhooks' receivers are on this machine; everything else stays refused.
            "SOCIALIZER_OUTBOUND_ALLOW": "loopback",
            # Webhook retries on a fast clock (5 s -> 0.5 s), a killed worker's leases run out in 3 s.
            "SOCIALIZER_WEBHOOK_RETRY_SCALE": "0.1",
            "SOCIALIZER_WEBHOOK_TICK_SECONDS": "0.2",
            "SOCIALIZER_WEBHOOK_LEASE_SECONDS": "3",
            # Notifications: overdue 4 s after its time (a hang past the publish timeout is), an email per notification.
            "SOCIALIZER_OVERDUE_SECONDS": "4",
            "SOCIALIZER_OVERDUE_CHECK_SECONDS": "0.5",
            "SOCIALIZER_SMTP_HOST": "127.0.0.1",
            "SOCIALIZER_SMTP_PORT": str(self.smtp_port),
            "SOCIALIZER_SMTP_TO": "ops@notify.example",
            "SOCIALIZER_SMTP_STARTTLS": "false",
            # Every site opens its credit account with more than any test spends (test_usage takes its own to zero).
            "SOCIALIZER_CREDIT_OPENING_GRANT": "1000000",
        }
        # Each process's own /metrics (the API serves its own on its port).
        self.metrics_ports = {role: free_port() for role in ("worker", "worker2", "video", "projector")}
        self.accounts: dict[str, str] = {}  # name -> account id, once connected
        self.responses: list[bytes] = []
        self.procs: dict[str, subprocess.Popen] = {}
        self.keys = asyncio.run(self._make_keys())

    async def _make_keys(self) -> dict[str, str]:
        from adapters.api_keys import ApiKeys
        from adapters.postgres import create_pool

        pool = await create_pool(self.infra.dsn, max_size=1)
        try:
            keys = ApiKeys(pool)
            return {
                "itest": await keys.create("itest"),
                "crash": await keys.create("crash"),
                "chaos": await keys.create("chaos"),
                "itest-read": await keys.create("itest", ("read",)),
                "hostile": await keys.create("hostile-site"),
                "acct": await keys.create("acct"),
                "engage": await keys.create("engage"),
                "later": await keys.create("later"),  # a site no seed file names: made by its first settings change
                "schema": await keys.create("schema"),
                "hooks": await keys.create("hooks"),  # schemathesis's: a site with nothing another test needs
                "notify": await keys.create("notify"),  # schemathesis's: a site with nothing another test needs
                "autochaos": await keys.create("autochaos"),
                "dash": await keys.create("dash"),
                "dash-read": await keys.create("dash", ("read",)),
                "periods": await keys.create("periods"),
                "dashcal": await keys.create("dashcal"),
                "dashvid": await keys.create("dashvid"),
                "dashacct": await keys.create("dashacct"),
                "dashq": await keys.create("dashq"),
                "dashq-read": await keys.create("dashq", ("read",)),
                "bulk": await keys.create("bulk"),
                "usage": await keys.create("usage"),  # test_usage's
                "audience": await keys.create("audience"),
                "autorun": await keys.create("autorun"),
            }
        finally:
            await pool.close()

    def start(self, role: str) -> subprocess.Popen:
        """Start a role's process with ``self.env``. ``worker2`` is a second worker beside ``worker`` (not
        started by the fixture): the same env, its own instance name and metrics port, in the same
        consumer groups, as a deployment with two workers runs."""
        log = self.root / f"{role}.log"
        # the video worker: renders, in their own group; worker2: one more worker
        argv = {"video": ["worker", "--video"], "worker2": ["worker"]}.get(role, [role])
        env = {**self.env, "SOCIALIZER_METRICS_PORT": str(self.metrics_ports.get(role, 0)), "SOCIALIZER_INSTANCE": role}
        proc = spawn([sys.executable, "-m", "socializer", *argv], log, env=env)
        self.procs[role] = proc
        return proc

    def kill(self, role: str) -> None:
        """SIGKILL to the role's process group: its worker pool dies with it, as under ``up``."""
        proc = self.procs.pop(role)
        signal_group(proc, signal.SIGKILL)
        proc.wait(10)

    def terminate(self, role: str) -> None:
        """SIGTERM to the role's process group and wait: a clean stop (its heartbeat says it is gone)."""
        proc = self.procs.pop(role)
        signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(30)
        finally:
            signal_group(proc, signal.SIGKILL)  # whatever outlived it (a pool's processes)

    def stop(self) -> None:
        for proc in self.procs.values():
            signal_group(proc, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
            signal_group(proc, signal.SIGKILL)  # whatever outlived it (a pool's processes)

    def log(self, role: str) -> str:
        return (self.root / f"{role}.log").read_text(errors="replace")

    # ---- helpers used by the tests
    async def emit(self, article: ContentPublished | bytes, key: str | None = None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.infra.broker, enable_idempotence=False)
        await producer.start()
        try:
            if isinstance(article, bytes):
                await producer.send_and_wait(topics.CONTENT_PUBLISHED, article, key=(key or "raw").encode())
            else:
                env = registry.envelope(article, source="tests", subject=article.content_id)
                await producer.send_and_wait(topics.CONTENT_PUBLISHED, env.encode(), key=article.content_id.encode(), headers=env.headers())
        finally:
            await producer.stop()

    async def settled(self, timeout: float = 90) -> None:
        """Wait until a worker answers on every partition of the posts' commands: after a restart the
        consumer group rebalances (the killed member is dropped only when its session times out), and
        the next test's work must not wait behind that in its own time limit."""
        probes = [f"settled-{uuid.uuid4().hex}" for _ in range(PARTITIONS)]
        producer = AIOKafkaProducer(bootstrap_servers=self.infra.broker, enable_idempotence=False)
        await producer.start()
        try:
            for partition, cid in enumerate(probes):
                cmd = DecidePost(command_id=cid, post_id=cid, site_id="itest", cancel=CancelPost(reason="probe"))
                env = registry.envelope(cmd, source="tests/settled", subject=cid)
                await producer.send_and_wait(
                    topics.POST_COMMANDS, env.encode(), key=cid.encode(), partition=partition, headers=env.headers()
                )
        finally:
            await producer.stop()

        async def answered() -> bool:
            rows = await self.sql("SELECT count(*) AS n FROM command_outcomes WHERE command_id = ANY($1::text[])", probes)
            return bool(rows[0]["n"] == len(probes))

        await eventually(answered, timeout=timeout, what="a worker answering on every partition after the restart")

    def client(self, site: str = "itest", **kw: Any) -> httpx.AsyncClient:
        """An HTTP client of the API holding ``site``'s key (read+write unless ``scopes`` says otherwise)."""
        return httpx.AsyncClient(
            base_url=self.api,
            timeout=kw.pop("timeout", 15),
            event_hooks={"response": [self._keep]},
            headers={"Authorization": f"Bearer {self.keys[site]}"},
            **kw,
        )

    async def _keep(self, response: httpx.Response) -> None:
        """Every API response body of the run, for the token leak scan."""
        if response.url.host == "127.0.0.1" and response.url.port == self.api_port:
            await response.aread()
            self.responses.append(response.content)

    def register_apps(self) -> None:
        """The sandbox's OAuth apps know this API's redirect URIs, as a developer console would."""
        from socializer.bootstrap import sandbox_apps
        from socializer.settings import Settings

        self.sandbox.register(sandbox_apps(Settings(api_port=self.api_port, sandbox_port=self.sandbox.port)))

    async def connect(self, site: str, platform: str, user: str, account_type: str | None = None, **body: Any) -> httpx.Response:
        """The whole flow from the API alone: connect, the provider's consent as ``user``, the callback."""
        async with self.client(site) as c:
            r = await c.post(f"/api/v1/social/accounts/connect/{platform}/", json={"account_type": account_type, **body})
            assert r.status_code == 201, r.text
            consent = await c.get(f"{r.json()['authorization_url']}&sandbox_user={user}")
            assert consent.status_code == 302, consent.text
            return await c.get(consent.headers["location"])

    async def connect_all(self) -> None:
        for site, rows in CONNECT.items():
            for name, platform, user, kind, settings in rows:
                r = await self.connect(site, platform, user, kind, settings={**FAST, **settings}, features=["publish", "analytics"])
                assert r.status_code == 201, r.text
                [acct] = r.json()["results"]
                self.accounts[name] = acct["account_id"]

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.infra.dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()


async def eventually(check: Callable[[], Any], *, timeout: float = 60, every: float = 0.5, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}: last={last!r}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The token-leak scan stops every role to read the whole run's logs: it runs after every test
    that needs them, whatever their names sort to."""
    items.sort(key=lambda item: item.path.name == "test_zz_token_leaks.py")


@pytest.fixture(scope="session")
def system(infra: Infra, sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    sysm = System(infra, sandbox, tmp_path_factory.mktemp("system"))
    sysm.register_apps()
    for role in ("projector", "worker", "video", "api"):
        sysm.start(role)
    wait_port(sysm.api_port, 60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{sysm.api}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    asyncio.run(sysm.connect_all())
    yield sysm
    sysm.stop()


@pytest.fixture(scope="session")
def chromium(system: System) -> Iterator[Any]:
    """One headless Chromium for the dashboard's tests (starting one costs seconds)."""
    from tests.integration.browser import Browser

    b = Browser(system.api)
    yield b
    b.close()


@pytest.fixture
def browser(chromium: Any) -> Any:
    """The shared Chromium, as new to each test: signed in as nobody, with no console message or
    request of an earlier test left in its logs."""
    chromium.reset()
    return chromium
