"""Outbound webhooks end to end: a receiver on 127.0.0.1 (in this test's loop) verifies every
delivery with the reference library (``standardwebhooks``). Each event type reaches each endpoint
that subscribed to it, with its id; a 500 then a 200 is one webhook-id tried twice; a 410 disables
the endpoint (and says so on social.alerts); the worker SIGKILLed mid-delivery loses nothing; a
webhook URL of the cloud metadata address or a private one is refused naming ``url``."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from standardwebhooks import Webhook

from schemas import events as e
from schemas import topics
from schemas.registry import registry
from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration
API = "/api/v1/social/webhooks/"


@dataclass
class Receiver:
    """A plain asyncio HTTP/1.1 server: ``/ok`` answers 200, ``/flaky`` 500 the first time it sees
    a webhook-id and 200 after, ``/gone`` 410, ``/slow`` 200 after a second. Every request is
    verified against the secrets its path was given (any of them) and kept."""

    secrets: dict[str, list[str]] = field(default_factory=dict)  # path -> secrets that may sign it
    got: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    bad: list[str] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (site, endpoint id), removed after the test
    seen: set[tuple[str, str]] = field(default_factory=set)
    port: int = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                path = line.split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in rest if h)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                status = await self._handle(path, headers, body)
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the sender closed, or the server is closing
        finally:
            writer.close()

    async def _handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        payload = None
        for secret in self.secrets.get(path, []):
            try:
                payload = Webhook(secret).verify(body, headers)
                break
            except Exception:  # noqa: BLE001,S112 - the next secret may be the one
                continue
        if payload is None:
            self.bad.append(f"{path}: {headers.get('webhook-id')} did not verify")
            return 400
        self.got[path].append(
            {"id": headers["webhook-id"], "type": payload["type"], "data": payload["data"], "headers": headers, "body": body}
        )
        if path == "/gone":
            return 410
        if path == "/flaky" and (path, headers["webhook-id"]) not in self.seen:
            self.seen.add((path, headers["webhook-id"]))
            return 500
        if path == "/slow":
            await asyncio.sleep(1.0)
        return 200

    def types(self, path: str) -> set[str]:
        return {m["type"] for m in self.got[path]}


async def _create(system: Any, receiver: Receiver, path: str, types: list[str], site: str = "hooks") -> dict[str, Any]:
    async with system.client(site) as c:
        r = await c.post(API, json={"url": receiver.url(path), "event_types": types, "description": path})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["secret"].startswith("whsec_")
    receiver.secrets.setdefault(path, []).append(body["secret"])
    receiver.created.append((site, body["id"]))
    return body


async def _produce(system: Any, items: list[tuple[str, str, e.Event]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        for topic, key, ev in items:
            env = registry.envelope(ev, source="tests/webhooks", subject=key)
            await producer.send_and_wait(topic, env.encode(), key=key.encode(), headers=env.headers())
    finally:
        await producer.stop()


@pytest.fixture
async def receiver(system: Any) -> Any:
    r = Receiver()
    await r.start()
    yield r
    for site, endpoint in r.created:  # no endpoint outlives its receiver (its port may be another's next)
        async with system.client(site) as c:
            await c.delete(f"{API}{endpoint}/")
    r.server.close()


async def test_a_webhook_url_to_the_metadata_or_a_private_address_is_refused_naming_url(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("hooks") as c:
        for url in ("http://169.254.169.254/", "http://10.0.0.1/", "http://[::ffff:169.254.169.254]/latest"):
            r = await c.post(API, json={"url": url, "event_types": ["*"]})
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert r.json()["field"] == "url" and "url" in r.json()["detail"]
        r = await c.post(API, json={"url": "http://127.0.0.1:9/", "event_types": ["post.exploded"]})
        assert r.status_code == 422 and r.json()["field"] == "event_types"


async def test_each_event_type_reaches_each_subscribed_endpoint_signed_with_its_id(system, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    every = await _create(system, receiver, "/ok", ["*"])
    metrics = await _create(system, receiver, "/metrics", ["post.published", "engagement.snapshot"])
    # Another site's endpoint hears nothing of this site, nor sees this site's endpoints.
    await _create(system, receiver, "/other", ["*"], site="itest")
    async with system.client("itest") as c:
        assert (await c.get(f"{API}{every['id']}/")).status_code == 404
    async with system.client("hooks") as c:
        listed = (await c.get(API)).json()
        assert {w["id"] for w in listed["results"]} >= {every["id"], metrics["id"]}
        assert all("secret" not in w for w in listed["results"])

    # The real flow: an article becomes a draft waiting for review (LinkedIn) and a post that is
    # scheduled, published and measured (X).
    await system.emit(article(f"hooks-{uuid.uuid4().hex[:6]}", site_id="hooks", image_urls=[]))
    x, review = system.accounts["hooks-x"], system.accounts["hooks-review"]
    real = {"post.review_waiting", "post.scheduled", "post.published"}
    await eventually(lambda: _async(real <= receiver.types("/ok")), timeout=90, what="the post's webhooks")
    await eventually(lambda: _async("engagement.snapshot" in receiver.types("/metrics")), timeout=60, what="a snapshot")

    # The rest, as their producers write them on their topics.
    now = datetime.now(UTC)
    project = f"hooks-v-{uuid.uuid4().hex[:6]}"
    video = {"preset": "youtube_short", "video_url": "http://m/v.mp4", "srt_url": "s", "vtt_url": "v", "thumbnail_url": "t"}
    await _produce(
        system,
        [
            (topics.POSTS, "hooks-p-failed", e.PostPublishFailed(post_id="hooks-p-failed", account_id=x, reason="refused", code="duplicate")),
            (topics.ALERTS, "hooks-p-late", e.PostOverdue(post_id="hooks-p-late", site_id="hooks", account_id=x, platform="x", due_at=now, detected_at=now)),
            (topics.ACCOUNTS, x, e.AccountNeedsReauth(account_id=x, site_id="hooks", platform="x", reason="the grant was revoked")),
            (topics.VIDEO_PROJECTS, project, e.VideoProjectCreated(project_id=project, site_id="hooks", content_id="c", preset="youtube_short", voice_id="v", form="short")),
            (topics.VIDEO_PROJECTS, project, e.VideoRendered(project_id=project, site_id="hooks", seconds=30, sections=3, **video)),
            (topics.VIDEO_PROJECTS, project, e.VideoProjectFailed(project_id=project, stage="render", reason="ffmpeg")),
        ],
    )  # fmt: skip
    async with system.client("hooks") as c:  # disconnected for real
        assert (await c.delete(f"/api/v1/social/accounts/{review}/")).status_code == 200
        sent = await c.post(f"{API}{every['id']}/test/")
        assert sent.status_code == 202
    wanted = {t for t in ("post.review_waiting", "post.scheduled", "post.published", "post.failed", "post.overdue")}
    wanted |= {"account.needs_reauth", "account.disconnected", "video.ready", "video.failed", "webhook.test"}
    await eventually(lambda: _async(wanted <= receiver.types("/ok")), timeout=60, what=f"every type: {wanted - receiver.types('/ok')}")

    assert receiver.bad == []
    assert "engagement.snapshot" not in receiver.types("/ok")  # opt-in: `*` does not include it
    assert receiver.types("/metrics") <= {"post.published", "engagement.snapshot"}

    # Another site's endpoint hears nothing of this site (the other site's own events may reach it).
    def about(path: str) -> set[str]:
        keys = ("post_id", "account_id", "project_id")
        return {str(m["data"][k]) for m in receiver.got[path] for k in keys if m["data"].get(k)}

    assert about("/other").isdisjoint(about("/ok")) and about("/ok")
    assert all(m["data"].get("site_id", "itest") == "itest" for m in receiver.got["/other"])
    ids = [m["id"] for m in receiver.got["/ok"]]
    assert len(ids) == len(set(ids))  # each event once per endpoint
    assert not set(ids) & {m["id"] for m in receiver.got["/metrics"]}  # ids differ per endpoint
    for m in receiver.got["/ok"]:
        text = str(m["data"]).lower()
        assert "access_token" not in text and "whsec_" not in text
    assert next(m for m in receiver.got["/ok"] if m["type"] == "webhook.test")["id"] == sent.json()["webhook_id"]

    async with system.client("hooks") as c:
        log = (await c.get(f"{API}{every['id']}/deliveries/")).json()
        assert log["total"] >= len(wanted) and all(d["status"] in ("delivered", "pending") for d in log["results"])
        done = [d for d in log["results"] if d["status"] == "delivered"]
        assert done and all(d["http_status"] == 200 and d["latency_ms"] is not None and d["response"] == "ok" for d in done)
        # Redelivery: everything since a time, again, under the same ids.
        before = len(receiver.got["/ok"])
        since = (now - timedelta(minutes=10)).isoformat()
        again = await c.post(f"{API}{every['id']}/redeliver/", json={"since": since})
        assert again.status_code == 202 and again.json()["count"] >= len(wanted)
        await eventually(lambda: _async(len(receiver.got["/ok"]) >= before + again.json()["count"]), timeout=30, what="redelivery")
        assert {m["id"] for m in receiver.got["/ok"][before:]} <= set(ids)


async def test_a_500_then_a_200_is_one_webhook_id_tried_twice_and_a_rotation_signs_with_both(system, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    flaky = await _create(system, receiver, "/flaky", ["post.failed"])
    async with system.client("hooks") as c:
        r = await c.post(f"{API}{flaky['id']}/test/")
        msg = r.json()["webhook_id"]
        await eventually(lambda: _async(len(receiver.got["/flaky"]) >= 2), timeout=30, what="the retry")
        assert [m["id"] for m in receiver.got["/flaky"]] == [msg, msg]
        (d,) = (await c.get(f"{API}{flaky['id']}/deliveries/")).json()["results"]
        assert (d["status"], d["attempt"], d["http_status"], d["webhook_id"]) == ("delivered", 2, 200, msg)

        rotated = await c.post(f"{API}{flaky['id']}/rotate/")
        assert rotated.status_code == 200 and rotated.json()["secret"] != flaky["secret"]
        assert rotated.json()["previous_secret_until"] is not None
        assert "secret" not in (await c.get(f"{API}{flaky['id']}/")).json()  # never again
        await c.post(f"{API}{flaky['id']}/test/")
        await eventually(lambda: _async(len(receiver.got["/flaky"]) >= 4), timeout=30, what="the test after the rotation")
    last = receiver.got["/flaky"][-1]
    sigs = last["headers"]["webhook-signature"].split(" ")
    assert len(sigs) == 2  # the new secret and the old one, each alone verifies
    for secret in (flaky["secret"], rotated.json()["secret"]):
        assert Webhook(secret).verify(last["body"], last["headers"])["type"] == "webhook.test"
    assert receiver.bad == []


async def test_a_410_disables_the_endpoint_and_says_so_on_the_alerts_topic(system, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    gone = await _create(system, receiver, "/gone", ["*"])
    consumer = AIOKafkaConsumer(topics.ALERTS, bootstrap_servers=system.infra.broker, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        async with system.client("hooks") as c:
            await c.post(f"{API}{gone['id']}/test/")

            async def disabled() -> bool:
                return not (await c.get(f"{API}{gone['id']}/")).json()["enabled"]

            await eventually(disabled, timeout=30, what="the endpoint disabled")
            ep = (await c.get(f"{API}{gone['id']}/")).json()
            assert "410" in ep["disabled_reason"]
            later = (await c.post(f"{API}{gone['id']}/test/")).json()["event_id"]
            await asyncio.sleep(2)
            assert len(receiver.got["/gone"]) == 1  # nothing more once it said Gone: the next one waits
            log = (await c.get(f"{API}{gone['id']}/deliveries/")).json()["results"]
            assert {d["event_id"]: d["status"] for d in log}[later] == "pending"
            assert [d["http_status"] for d in log if d["status"] == "failed"] == [410]

        async def alert() -> Any:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    m = registry.decode(rec.value).message
                    if isinstance(m, e.WebhookEndpointDisabled) and m.endpoint_id == gone["id"]:
                        return m
            return None

        found = await eventually(alert, timeout=30, what="WebhookEndpointDisabled")
        assert found.site_id == "hooks" and found.url == receiver.url("/gone")

        # A person points it at a live address and enables it again: what waited is sent.
        receiver.secrets.setdefault("/ok", []).append(gone["secret"])
        async with system.client("hooks") as c:
            r = await c.patch(f"{API}{gone['id']}/", json={"url": receiver.url("/ok"), "enabled": True})
            assert r.status_code == 200 and r.json()["enabled"] and "secret" not in r.json()
            bad = await c.patch(f"{API}{gone['id']}/", json={"url": "http://10.0.0.1/hook"})
            assert bad.status_code == 422 and bad.json()["field"] == "url"

            async def sent() -> bool:
                log = (await c.get(f"{API}{gone['id']}/deliveries/")).json()["results"]
                return {d["event_id"]: d["status"] for d in log}.get(later) == "delivered"

            await eventually(sent, timeout=30, what="the waiting delivery sent once enabled again")
    finally:
        await consumer.stop()


async def test_the_worker_killed_mid_delivery_loses_nothing(system, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    slow = await _create(system, receiver, "/slow", ["post.overdue"])
    now = datetime.now(UTC)
    posts = [f"hooks-kill-{uuid.uuid4().hex[:8]}" for _ in range(40)]
    x = system.accounts["hooks-x"]
    await _produce(
        system,
        [
            (topics.ALERTS, p, e.PostOverdue(post_id=p, site_id="hooks", account_id=x, platform="x", due_at=now, detected_at=now))
            for p in posts
        ],
    )
    await eventually(lambda: _async(len(receiver.got["/slow"]) >= 1), timeout=60, what="a first delivery under way")
    system.kill("worker")  # mid-delivery: some rows leased, some answers not recorded, some offsets not committed
    system.start("worker")
    await eventually(
        lambda: _async({m["data"]["post_id"] for m in receiver.got["/slow"]} >= set(posts)),
        timeout=120,
        what="every overdue post delivered",
    )
    by_post = defaultdict(set)
    for m in receiver.got["/slow"]:
        by_post[m["data"]["post_id"]].add(m["id"])
    assert all(len(ids) == 1 for ids in by_post.values())  # a repeat (at least once) keeps its webhook-id
    async with system.client("hooks") as c:
        rows = (await c.get(f"{API}{slow['id']}/deliveries/", params={"limit": 100})).json()
    assert rows["total"] == len(posts)  # one row per event: none lost, none doubled
    assert receiver.bad == []


async def _async(value: Any) -> Any:
    return value
