"""Queues through the real roles (issue 25): a bad RRULE or time zone is a 422 naming the field; a
queue is created (Idempotency-Key: a retry is the first answer), read, paused and resumed under
If-Match, given items with a priority; its near-due occurrence becomes one post, scheduled at the
occurrence's local time, made once however often the leader's timer looks. An item its post would
be refused for (more than X takes) is a 422 naming its field when it is added; one the posts' writer
refuses all the same comes back to its queue held, uncounted (the read model's statements for it run
here against Postgres)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from adapters.postgres import init_connection
from commands.queues import post_id_of
from projections.base import apply_statements, live_names
from projections.queues import QUEUES
from projections.replay import replay
from schemas import events as e
from schemas.registry import registry
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration

BASE = "/api/v1/social/queues/"
BERLIN = ZoneInfo("Europe/Berlin")


async def decided(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A command's answer once its writer decided (a first command may find the worker still joining)."""

    async def answer() -> httpx.Response | None:
        r = await send()
        return None if r.status_code == 202 and r.json().get("status") == "pending" else r

    got: httpx.Response = await eventually(answer, timeout=90, every=1, what="the queues' writer to decide")
    return got


def rule_at(when: datetime) -> str:
    """A daily rule whose occurrence today is ``when`` (Berlin's wall clock)."""
    local = when.astimezone(BERLIN)
    return f"FREQ=DAILY;BYHOUR={local.hour};BYMINUTE={local.minute};BYSECOND={local.second}"


async def test_a_bad_rule_or_zone_is_refused_naming_the_field(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("bulk") as api:
        for body, field in [
            ({"account_id": system.accounts["bulk-x"], "rrule": "FREQ=FORTNIGHTLY", "tzid": "Europe/Berlin"}, "rrule"),
            ({"account_id": system.accounts["bulk-x"], "rrule": "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30", "tzid": "Europe/Berlin"}, "rrule"),
            ({"account_id": system.accounts["bulk-x"], "rrule": "FREQ=WEEKLY", "tzid": "Europe/Atlantis"}, "tzid"),
            ({"account_id": system.accounts["bulk-x"], "rrule": "FREQ=WEEKLY", "tzid": "UTC", "kind": "evergreen"}, "content_id"),
        ]:
            r = await api.post(BASE, json=body)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert r.json()["field"] == field, r.text
        missing = await api.post(BASE, json={"account_id": "nobody", "rrule": "FREQ=WEEKLY", "tzid": "UTC"})
        assert missing.status_code == 404 and missing.json()["field"] == "account_id"


async def test_a_near_due_occurrence_becomes_one_post_and_the_queue_is_managed_under_if_match(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("bulk") as api:
        now = datetime.now(UTC)
        when = (now + timedelta(seconds=45)).replace(microsecond=0)  # room to create it and fire it before its time
        body = {
            "account_id": system.accounts["bulk-x"],
            "name": "Daily tip",
            "rrule": rule_at(when),
            "tzid": "Europe/Berlin",
            "starts_at": now.isoformat(),
            "items": [
                {"item_id": "tip-1", "text": "Tip one: write the headline last."},
                {"item_id": "tip-2", "text": "Tip two: one idea per post.", "priority": True},
            ],
        }
        created = await decided(lambda: api.post(BASE, json=body, headers={"Idempotency-Key": "queue-daily-tip"}))
        assert created.status_code == 201, created.text
        qid = created.json()["queue_id"]
        assert (created.json()["status"], created.json()["version"], created.json()["items"]) == ("active", 3, 2)
        again = await api.post(BASE, json=body, headers={"Idempotency-Key": "queue-daily-tip"})
        assert again.status_code == 201 and again.json()["queue_id"] == qid and again.json()["command_id"] == created.json()["command_id"]

        # an item more than X takes is refused as it is given, naming the field, in a new queue or an existing one
        long_text = "Tip zero: " + "write less. " * 30
        refusing = body | {"name": "Too long", "items": [body["items"][0], {"item_id": "tip-long", "text": long_text}]}
        made = await decided(lambda: api.post(BASE, json=refusing, headers={"Idempotency-Key": "queue-too-long"}))
        assert made.status_code == 422 and made.json()["field"] == "items[1].text" and "over x's 280" in made.json()["detail"], made.text
        too_long = await decided(lambda: api.post(f"{BASE}{qid}/items/", json={"text": long_text}, headers={"Idempotency-Key": "tip-long"}))
        assert too_long.status_code == 422 and too_long.json()["field"] == "text", too_long.text

        # the occurrence, 45 s away, is within the lead: the leader fires it into one post
        post_id = post_id_of(qid, when)

        async def the_post() -> dict | None:  # type: ignore[type-arg]
            r = await api.get(f"/api/v1/social/posts/{post_id}/")
            return r.json() if r.status_code == 200 and r.json().get("scheduled_at") else None

        post = await eventually(the_post, timeout=90, every=1, what="the occurrence's post")
        assert post["text"] == "Tip two: one idea per post." and post["account_id"] == system.accounts["bulk-x"]  # the priority item first
        assert datetime.fromisoformat(post["scheduled_at"]) == when
        assert datetime.fromisoformat(post["scheduled_at"]).astimezone(BERLIN).strftime("%H:%M:%S") == when.astimezone(BERLIN).strftime(
            "%H:%M:%S"
        )

        async def shown() -> dict | None:  # type: ignore[type-arg]
            r = await api.get(f"{BASE}{qid}/")
            return r.json() if r.status_code == 200 and r.json()["posted"] == 1 else None

        read = await eventually(shown, timeout=30, every=0.5, what="the queue to show its post")
        assert read["last_post_id"] == post_id and [i["item_id"] for i in read["items"]] == ["tip-1"]
        assert read["next_occurrences"] and datetime.fromisoformat(read["next_occurrences"][0]) == when + timedelta(days=1)
        etag = (await api.get(f"{BASE}{qid}/")).headers["etag"]
        assert etag == '"3"'  # firing moves no person's version

        # more ticks of the leader's timer (every 5 s) find nothing more due: one post for the occurrence
        posts = await api.get("/api/v1/social/posts/", params={"platform": "x", "limit": 1000})
        assert [p["post_id"] for p in posts.json()["results"] if p["text"] == post["text"]] == [post_id]

        listed = await api.get(BASE)
        assert listed.status_code == 200 and qid in [q["queue_id"] for q in listed.json()["results"]]

        stale = await api.post(f"{BASE}{qid}/pause/", headers={"If-Match": '"1"'})
        assert stale.status_code == 409 and stale.json()["field"] == "If-Match", stale.text
        paused = await api.post(f"{BASE}{qid}/pause/", headers={"If-Match": etag})
        assert paused.status_code == 200 and (paused.json()["status"], paused.json()["version"]) == ("paused", 4), paused.text
        assert (await api.get(f"{BASE}{qid}/")).json()["next_occurrences"] == []
        added = await api.post(
            f"{BASE}{qid}/items/", json={"text": "Tip three: end with a question."}, headers={"Idempotency-Key": "tip-3"}
        )
        assert added.status_code == 201 and added.json()["items"] == 2, added.text
        item = (await api.get(f"{BASE}{qid}/")).json()["items"][-1]["item_id"]
        first = await api.post(f"{BASE}{qid}/items/{item}/priority/", headers={"If-Match": '"5"'})
        assert first.status_code == 200 and first.json()["version"] == 6, first.text
        assert [i["text"] for i in (await api.get(f"{BASE}{qid}/")).json()["items"]][0] == "Tip three: end with a question."
        resumed = await api.post(f"{BASE}{qid}/resume/")
        assert resumed.status_code == 200 and resumed.json()["status"] == "active"
        twice = await api.post(f"{BASE}{qid}/resume/")
        assert twice.status_code == 409 and twice.json()["field"] == "status"

    async with system.client() as other:  # another site's queue does not exist there
        assert (await other.get(f"{BASE}{qid}/")).status_code == 404
        assert (await other.post(f"{BASE}{qid}/pause/")).status_code == 404

    # once the occurrence's time has passed (the leader's timer has looked many times since): still one post
    async def passed() -> bool:
        return datetime.now(UTC) > when + timedelta(seconds=12)

    await eventually(passed, timeout=240, every=1, what="the occurrence's time to pass")
    async with system.client("bulk") as api:
        after = (await api.get(f"{BASE}{qid}/")).json()
        assert (after["posted"], after["skipped"], after["last_post_id"]) == (1, 0, post_id)
        posts = await api.get("/api/v1/social/posts/", params={"platform": "x", "limit": 1000})
        assert [p["post_id"] for p in posts.json()["results"] if p["text"] == post["text"]] == [post_id]

    await the_read_model_takes_a_refusal_back(system)
    await an_evergreen_queue_reposts_the_best_post_the_read_models_know(system)
    report = await replay(system.infra.dsn, system.infra.broker, QUEUES, swap=True, require_identical=True)
    assert report.swapped and report.events >= 8 and not any(report.differences.values()), report.summary()


async def the_read_model_takes_a_refusal_back(system) -> None:  # type: ignore[no-untyped-def]
    """The queues read model's statements for a post the posts' writer refused (its writer's side is
    unit-tested with the memory fakes), run on the live table inside a transaction rolled back."""
    when = datetime(2026, 3, 2, 8, tzinfo=UTC)
    base = {"queue_id": "q-refused", "site_id": "bulk"}
    events = [
        e.QueueCreated(**base, account_id="acc", platform="x", rrule="FREQ=DAILY", tzid="UTC", starts_at=when),
        e.QueueItemAdded(**base, item_id="a", text="first", media_urls=["https://img.example/a.png"]),
        e.QueueItemAdded(**base, item_id="b", text="second", priority=True),
        e.QueueOccurrenceFired(**base, account_id="acc", platform="x", occurrence=when, post_id="p1", text="second", item_id="b"),
        e.QueueOccurrenceRefused(**base, occurrence=when, post_id="p1", item_id="b", text="second", seq=1, priority=True, reason="no"),
    ]
    statements = [
        s for ev in events for s in QUEUES.statements(registry.decode(registry.envelope(ev, source="tests", subject="q").encode()))
    ]
    conn = await asyncpg.connect(system.infra.dsn)
    try:
        tr = conn.transaction()
        await tr.start()
        try:
            await apply_statements(conn, QUEUES, statements, live_names(QUEUES))
            row = await conn.fetchrow("SELECT items, posted, skipped, last_skip FROM queues WHERE queue_id = 'q-refused'")
        finally:
            await tr.rollback()
    finally:
        await conn.close()
    assert (row["posted"], row["skipped"], row["last_skip"]) == (0, 1, "refused")
    items = sorted(json.loads(row["items"]) if isinstance(row["items"], str) else row["items"], key=lambda i: i["seq"])
    assert [(i["item_id"], i.get("held", ""), i["priority"], i["media_urls"]) for i in items] == [
        ("a", "", False, ["https://img.example/a.png"]),
        ("b", "no", True, []),
    ]


async def an_evergreen_queue_reposts_the_best_post_the_read_models_know(system) -> None:  # type: ignore[no-untyped-def]
    """Evergreen through Postgres: an article's published posts and their engagement, made by the
    posts and engagement projections' own statements, are what the timer's ``best_posts`` reads; the
    writer fires the best, and the next time, the next best (never the same text twice in a row). In
    a transaction rolled back: the live read models stay as the topics made them."""
    from adapters.kafka import MemoryProducer
    from adapters.queues import MemoryQueueStates, PostgresEngagements
    from commands import queues as decider
    from projections.read_models import ENGAGEMENT, POSTS
    from schemas import commands as c
    from schemas import topics as t
    from streams import enqueue, recur

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    site, account, article = "evergreen-site", "evergreen-acct", "evergreen-article"
    liked = {"eg-1": 3, "eg-2": 40, "eg-3": 12}  # likes: eg-2 first, then eg-3
    events: list[tuple[object, object]] = []
    for pid, likes in liked.items():
        events += [
            (
                POSTS,
                e.PostDrafted(
                    post_id=pid,
                    site_id=site,
                    account_id=account,
                    platform="x",
                    post_type="announcement",
                    text=f"Text {pid}",
                    content_id=article,
                ),
            ),
            (POSTS, e.PostPublished(post_id=pid, account_id=account, platform="x", platform_post_id=f"tw-{pid}", published_at=at)),
            (
                ENGAGEMENT,
                e.EngagementRecorded(
                    post_id=pid,
                    site_id=site,
                    account_id=account,
                    platform="x",
                    platform_post_id=f"tw-{pid}",
                    likes=likes,
                    impressions=1000,
                    fetched_at=at,
                ),
            ),
        ]
    conn = await asyncpg.connect(system.infra.dsn)
    await init_connection(conn)  # the JSON codecs every pooled connection has
    try:
        tr = conn.transaction()
        await tr.start()
        try:
            for projection, ev in events:
                decoded = registry.decode(registry.envelope(ev, source="tests", subject="evergreen").encode())  # type: ignore[arg-type]
                await apply_statements(conn, projection, projection.statements(decoded), live_names(projection))  # type: ignore[arg-type,attr-defined]
            states, out = MemoryQueueStates(), MemoryProducer()
            writer = enqueue.Enqueuing(states=states, out=out, clock=lambda: at)
            create = c.CreateQueue(
                account_id=account, rrule="FREQ=DAILY;BYHOUR=9", tzid="UTC", starts_at=at, kind="evergreen", content_id=article
            )
            made = c.DecideQueue(command_id="eg-create", queue_id="eg-q", site_id=site, platform="x", create=create)
            assert (
                await enqueue.decide(registry.decode(registry.envelope(made, source="tests", subject="eg-q").encode()), writer)
            ).status == 202
            fired: list[str] = []
            for day in (0, 1):
                now = at + timedelta(days=day) - timedelta(minutes=5)
                timer = recur.Recurring(states, PostgresEngagements(conn), out, clock=lambda now=now: now)  # type: ignore[misc]
                assert await recur.tick(timer) == 1
                for message in [m for k, m in out.sent if k == t.QUEUE_COMMANDS][day:]:
                    await enqueue.decide(message.decoded(), writer)
                fired = [m.source_post_id for m in out.messages(t.QUEUES) if isinstance(m, e.QueueOccurrenceFired)]
        finally:
            await tr.rollback()
    finally:
        await conn.close()
    assert fired == ["eg-2", "eg-3"]  # the best, then (not the same text twice in a row) the next best
    assert decider.from_json(states.rows["eg-q"].state or {}).posted == 2
