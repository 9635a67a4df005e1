"""Outbound webhooks without a network: the Standard Webhooks signature checked by the reference
library, the retry schedule and the disable rules, which event becomes which type (and says no
secret), and the deliverer over the memory store with a receiver behind httpx's mock transport."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from adapters.vault.crypto import Secret
from adapters.webhooks import MemoryWebhooks, WebhookSender
from domain import webhooks as w
from schemas import events as e
from schemas.envelope import utcnow
from schemas.registry import registry
from streams.deliver import Delivering, enqueue, send_due

T0 = utcnow().replace(microsecond=0)  # the reference library refuses a timestamp older than 5 minutes
FIXED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KEY = bytes(range(32))
SECRET = w.new_secret(KEY)


# ------------------------------------------------------------------ signatures
def _verify(secret: str, body: bytes, headers: dict[str, str]) -> object:
    return Webhook(secret).verify(body, headers)


def test_a_signed_message_verifies_with_the_reference_library_and_a_changed_byte_does_not() -> None:
    body = w.body(w.PUBLISHED, T0, {"post_id": "p1"})
    now = int(utcnow().timestamp())
    headers = w.headers([SECRET], "msg_1", now, body)
    assert _verify(SECRET, body, headers) == json.loads(body)
    assert headers["webhook-signature"].startswith("v1,") and headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        _verify(SECRET, body.replace(b"p1", b"p2"), headers)
    with pytest.raises(WebhookVerificationError):
        _verify(w.new_secret(bytes(32)), body, headers)  # another secret


def test_after_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    new = w.new_secret(b"n" * 32)
    body = w.body(w.TEST, T0, {})
    headers = w.headers([new, SECRET], "msg_2", int(utcnow().timestamp()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert _verify(new, body, headers) and _verify(SECRET, body, headers)


def test_a_secret_is_whsec_and_the_base64_of_its_32_bytes() -> None:
    assert SECRET.startswith("whsec_") and base64.b64decode(SECRET[6:]) == KEY and w.secret_key(SECRET) == KEY


def test_the_body_is_type_timestamp_and_data_fixed_to_the_byte() -> None:
    b = w.body(w.SCHEDULED, FIXED, {"post_id": "p"})
    assert json.loads(b) == {"type": "post.scheduled", "timestamp": "2026-03-02T12:00:00Z", "data": {"post_id": "p"}}
    assert b == w.body(w.SCHEDULED, FIXED, {"post_id": "p"})


# ------------------------------------------------------------------ schedule and disabling
def test_retries_follow_the_standard_webhooks_schedule_over_more_than_a_day() -> None:
    delays = [w.next_delay(n) for n in range(8)]
    assert [d.total_seconds() for d in delays if d is not None] == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    assert w.next_delay(8) is None  # eight attempts, then the delivery has failed
    assert sum(w.SCHEDULE) >= 24 * 3600
    assert w.next_delay(2, scale=0.001) == timedelta(seconds=0.3)


def test_a_2xx_delivers_a_410_disables_at_once_anything_else_retries() -> None:
    ok = w.after_attempt(204, 1, T0 - timedelta(hours=1), T0)
    assert ok.status == "delivered" and ok.failing_since is None and not ok.disable
    gone = w.after_attempt(410, 1, None, T0)
    assert gone.status == "failed" and gone.disable and "410" in gone.disable
    again = w.after_attempt(500, 1, None, T0)
    assert again.status == "pending" and again.next_at == T0 + timedelta(seconds=5) and again.failing_since == T0
    none = w.after_attempt(None, 3, T0, T0)
    assert none.status == "pending" and none.next_at == T0 + timedelta(minutes=30)
    spent = w.after_attempt(503, 8, T0, T0 + timedelta(hours=28))
    assert spent.status == "failed" and spent.next_at is None and not spent.disable
    assert [w.verdict(s) for s in (200, 299, 301, 404, 410, 500)] == ["delivered", "delivered", "retry", "retry", "gone", "retry"]


def test_an_endpoint_failing_for_five_days_without_a_success_is_disabled() -> None:
    assert not w.after_attempt(500, 1, T0, T0 + timedelta(days=4, hours=23)).disable
    late = w.after_attempt(500, 1, T0, T0 + timedelta(days=5))
    assert late.disable == "deliveries failed for 5 days" and late.status == "pending"
    assert w.failing_too_long(T0, T0 + timedelta(seconds=432), scale=0.001)


# ------------------------------------------------------------------ event types
ACC = "acc-1"


def _events() -> dict[str, e.Event]:
    video = {"preset": "youtube_short", "video_url": "https://m/v.mp4", "srt_url": "s", "vtt_url": "v", "thumbnail_url": "t"}
    return {
        w.REVIEW_WAITING: e.PostDrafted(
            post_id="p1", site_id="s1", account_id=ACC, platform="x", post_type="announcement", text="hi", auto_schedule=False
        ),
        w.SCHEDULED: e.PostScheduled(post_id="p1", account_id=ACC, platform="x", scheduled_at=T0),
        w.PUBLISHED: e.PostPublished(post_id="p1", account_id=ACC, platform="x", platform_post_id="9", published_at=T0),
        w.FAILED: e.PostPublishFailed(post_id="p1", account_id=ACC, reason="refused", code="duplicate"),
        w.OVERDUE: e.PostOverdue(post_id="p1", site_id="s1", account_id=ACC, platform="x", due_at=T0, detected_at=T0),
        w.NEEDS_REAUTH: e.AccountNeedsReauth(account_id=ACC, site_id="s1", platform="x", reason="token revoked"),
        w.DISCONNECTED: e.AccountDisconnected(account_id=ACC, site_id="s1", platform="x", revoked=True),
        w.VIDEO_READY: e.VideoRendered(project_id="v1", seconds=30, sections=3, site_id="s1", **video),
        w.VIDEO_FAILED: e.VideoProjectFailed(project_id="v1", stage="render", reason="ffmpeg"),
        w.ENGAGEMENT: e.EngagementRecorded(
            post_id="p1",
            site_id="s1",
            account_id=ACC,
            platform="x",
            platform_post_id="9",
            likes=3,
            fetched_at=T0,
            raw={"access_token": "x-token-value"},
        ),
    }


def test_each_event_becomes_its_webhook_type_and_its_data_carries_no_secret() -> None:
    for kind, ev in _events().items():
        ob = w.outbound(ev)
        assert ob is not None and ob.type == kind, kind
        assert not [k for k in ob.data if "token" in k or "secret" in k or k == "raw"], kind
        assert "x-token-value" not in json.dumps(ob.data), kind  # the platform's raw answer stays out
    assert (
        w.outbound(e.PostDrafted(post_id="p", site_id="s", account_id="a", platform="x", post_type="thread", text="t", auto_schedule=True))
        is None
    )
    assert w.outbound(e.PostQueued(post_id="p", account_id="a")) is None


def test_the_wildcard_means_every_type_but_the_opt_in_engagement_snapshot() -> None:
    assert w.subscribed(["*"], w.PUBLISHED) and not w.subscribed(["*"], w.ENGAGEMENT)
    assert w.subscribed(["engagement.snapshot"], w.ENGAGEMENT) and not w.subscribed(["post.failed"], w.PUBLISHED)
    assert w.unknown_types(["*", "post.failed", "post.exploded"]) == ["post.exploded"]


# ------------------------------------------------------------------ the deliverer, over the memory store
class _Accounts:
    async def get(self, account_id: str, *, fresh: bool = False) -> object:
        return type("A", (), {"site_id": "s1"})() if account_id == ACC else None


async def _deliver_all(store: MemoryWebhooks) -> Delivering:
    d = Delivering(store, _Accounts(), clock=lambda: T0)  # type: ignore[arg-type]
    await enqueue(
        registry.decode(
            registry.encode(
                e.VideoProjectCreated(project_id="v1", site_id="s1", content_id="c", preset="tiktok", voice_id="v", form="short"),
                source="t",
                subject="v1",
            )
        ),
        d,
    )
    for ev in _events().values():
        env = registry.envelope(ev, source="t", subject="x", id=f"ev-{type(ev).__name__}")
        await enqueue(registry.decode(env.encode()), d)
    return d


async def test_every_event_type_reaches_each_endpoint_that_subscribed_once_with_a_stable_id() -> None:
    store = MemoryWebhooks()
    all_ = await store.create("s1", "https://a.example/h", ["*"], "", Secret(SECRET))
    eng = await store.create("s1", "https://b.example/h", ["engagement.snapshot", "post.failed"], "", Secret(SECRET))
    other = await store.create("s2", "https://c.example/h", ["*"], "", Secret(SECRET))
    d = await _deliver_all(store)
    types = {
        ep: sorted(r.new.event_type for (eid, _), r in store.rows.items() if eid == ep)
        for ep in (all_.endpoint_id, eng.endpoint_id, other.endpoint_id)
    }
    assert types[all_.endpoint_id] == sorted(set(w.EVENT_TYPES) - {w.ENGAGEMENT, w.TEST})
    assert types[eng.endpoint_id] == ["engagement.snapshot", "post.failed"]
    assert types[other.endpoint_id] == []  # another site's endpoint hears nothing of this site
    ids = {r.new.msg_id for r in store.rows.values()}
    assert len(ids) == len(store.rows)
    before = dict(store.rows)
    for ev in _events().values():  # the log read again (a restart): nothing new
        env = registry.envelope(ev, source="t", subject="x", id=f"ev-{type(ev).__name__}")
        assert await enqueue(registry.decode(env.encode()), d) == 0
    assert store.rows.keys() == before.keys()
    assert all(r.new.msg_id == w.message_id(r.new.event_id, eid) for (eid, _), r in store.rows.items())


def _receiver(answers: list[int], seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handle(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(answers.pop(0) if answers else 200, text="ok " * 1000)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_a_500_is_retried_under_the_same_webhook_id_and_the_answer_is_kept_to_1_kb() -> None:
    store = MemoryWebhooks()
    ep = await store.create("s1", "https://a.example/h", ["post.failed"], "", Secret(SECRET))
    d = await _deliver_all(store)
    seen: list[httpx.Request] = []
    sender = WebhookSender(_receiver([500, 200], seen))
    clock = [T0]
    assert await send_due(store, sender, clock=lambda: clock[0]) == 1
    assert await send_due(store, sender, clock=lambda: clock[0]) == 0  # not due before 5 s
    clock[0] = T0 + timedelta(seconds=5)
    assert await send_due(store, sender, clock=lambda: clock[0]) == 1
    assert len(seen) == 2 and seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"]
    for req in seen:
        assert Webhook(SECRET).verify(req.content, dict(req.headers))["type"] == "post.failed"
    rows, total = await store.deliveries("s1", ep.endpoint_id, 10, 0)
    assert total == 1 and rows[0]["status"] == "delivered" and rows[0]["attempt"] == 2 and rows[0]["http_status"] == 200
    assert len(rows[0]["response"].encode()) <= 1024
    assert store.ends[ep.endpoint_id].failing_since is None and d is not None


async def test_a_410_disables_the_endpoint_and_raises_one_alert() -> None:
    store = MemoryWebhooks()
    ep = await store.create("s1", "https://a.example/h", ["*"], "", Secret(SECRET))
    await _deliver_all(store)
    sender = WebhookSender(_receiver([410], []))
    await send_due(store, sender, concurrency=1, clock=lambda: T0)
    assert not store.ends[ep.endpoint_id].enabled
    (alert,) = store.alerts
    decoded = registry.decode(alert.encode()).message
    assert isinstance(decoded, e.WebhookEndpointDisabled) and decoded.endpoint_id == ep.endpoint_id and decoded.site_id == "s1"
    assert await store.lease(T0 + timedelta(days=1), 100, 60) == []  # a disabled endpoint's rows wait


async def test_a_leased_delivery_is_not_leased_again_until_its_lease_runs_out() -> None:
    store = MemoryWebhooks()
    await store.create("s1", "https://a.example/h", ["post.failed"], "", Secret(SECRET))
    await _deliver_all(store)
    (held,) = await store.lease(T0, 10, 60)
    assert await store.lease(T0 + timedelta(seconds=59), 10, 60) == []
    (again,) = await store.lease(T0 + timedelta(seconds=61), 10, 60)  # its sender was killed: another takes it
    assert again.msg_id == held.msg_id


async def test_redelivery_sends_again_under_the_same_id_what_was_made_since_a_time() -> None:
    store = MemoryWebhooks()
    ep = await store.create("s1", "https://a.example/h", ["post.failed", "post.published"], "", Secret(SECRET))
    await _deliver_all(store)
    seen: list[httpx.Request] = []
    sender = WebhookSender(_receiver([], seen))
    await send_due(store, sender, clock=lambda: T0)
    assert await store.redeliver("s1", ep.endpoint_id, T0 - timedelta(seconds=1), T0) == 2
    await send_due(store, sender, clock=lambda: T0)
    assert len(seen) == 4 and {r.headers["webhook-id"] for r in seen[:2]} == {r.headers["webhook-id"] for r in seen[2:]}
