"""The inbox end to end: comments on ``social.inbox`` (produced directly, as a webhook receiver or the
sweep would) fold into one item each however often delivered; a public reply goes out once, also when
its call times out (looked up, not sent again); a private reply to a comment older than 7 days is
refused before any call, with the reason; our reply's echo is recognised and never counts as unanswered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from domain.inbox import comment_event_id, comment_key, item_id
from projections.inbox import INBOX
from projections.replay import replay
from schemas import events as e
from schemas import topics
from schemas.registry import registry
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration
API = "/api/v1/social/inbox/"


async def _produce(system: Any, ev: e.CommentReceived, times: int = 1) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        env = registry.envelope(ev, source="tests/webhooks", subject=ev.platform_post_id, id=comment_event_id(ev.platform, ev.comment_id))
        for _ in range(times):
            await producer.send_and_wait(
                topics.INBOX, env.encode(), key=comment_key(ev.platform, ev.comment_id).encode(), headers=env.headers()
            )
    finally:
        await producer.stop()


async def _platform_id(system: Any, name: str) -> str:
    [row] = await system.sql("SELECT platform_account_id FROM accounts WHERE account_id = $1", system.accounts[name])
    return str(row["platform_account_id"])


def _comment(
    system: Any, name: str, platform: str, cid: str, post: str, *, age: timedelta = timedelta(minutes=5), **kw: Any
) -> e.CommentReceived:
    return e.CommentReceived(
        platform=platform,  # type: ignore[arg-type]
        account_id=system.accounts[name],
        site_id="itest",
        comment_id=cid,
        platform_post_id=post,
        author_id=kw.pop("author_id", "fan-1"),
        author_name="A fan",
        text=kw.pop("text", "Love this!"),
        created_at=datetime.now(UTC) - age,
        **kw,
    )


async def _seed_x_comment(system: Any, account: str, text: str) -> str:
    """A simulated user's tweet mentioning the account (the sandbox's audience); its id."""
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{system.sandbox.url}/_sandbox/talk",
            json={"platform": "x", "account": account, "kind": "mention", "author": "fan", "text": text},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["comment"]["id"])


async def _reply_once(system: Any, item: str, text: str) -> dict[str, Any]:
    async with system.client() as c:
        first = await c.post(f"{API}{item}/reply/", json={"text": text}, headers={"Idempotency-Key": "k-" + item})
        assert first.status_code == 202, first.text
        again = await c.post(f"{API}{item}/reply/", json={"text": text}, headers={"Idempotency-Key": "k-" + item})
        assert again.status_code == 200 and again.json()["reply_id"] == first.json()["reply_id"]

        async def sent() -> dict[str, Any] | None:
            got = (await c.get(f"{API}{item}/")).json()
            return got if got["replies"] and got["replies"][0]["status"] == "sent" else None

        return await eventually(sent, timeout=60, what="the reply sent")


async def test_a_comment_delivered_five_times_is_one_item_and_a_reply_goes_out_once(system: Any) -> None:
    me = await _platform_id(system, "it-x")
    cid = await _seed_x_comment(system, me, "Love this!")
    await _produce(system, _comment(system, "it-x", "x", cid, "post-" + cid), times=5)
    iid = item_id("x", "comment", cid)

    async with system.client() as c:

        async def listed() -> list[dict[str, Any]] | None:
            r = await c.get(API, params={"platform": "x", "post_id": "post-" + cid})
            return r.json()["results"] or None

        items = await eventually(listed, timeout=60, what="the comment in the inbox")
        assert [i["item_id"] for i in items] == [iid] and items[0]["unanswered"] is True
        page = (await c.get(API, params={"platform": "x", "post_id": "post-" + cid})).json()
        assert page["total"] == 1

    got = await _reply_once(system, iid, "Thank you, glad you liked it!")
    [r] = got["replies"]
    assert r["action"] == "reply" and r["platform_reply_id"] and not r["reconciled"]
    assert got["unanswered"] is False
    tweets = [p for p in system.sandbox.posts("x") if p.get("submitted_text") == "Thank you, glad you liked it!"]
    assert len(tweets) == 1 and tweets[0]["in_reply_to"] == cid

    # Our reply comes back (an X mention of the account, or the sweep): recognised, linked, never unanswered.
    await _produce(system, _comment(system, "it-x", "x", r["platform_reply_id"], "post-" + cid, author_id=me, text="Thank you!"))
    async with system.client() as c:

        async def echoed() -> dict[str, Any] | None:
            got = (await c.get(f"{API}{item_id('x', 'comment', r['platform_reply_id'])}/")).json()
            return got if got.get("own") else None

        echo = await eventually(echoed, timeout=30, what="the echo recognised")
        assert echo["unanswered"] is False
        unanswered = (await c.get(API, params={"platform": "x", "post_id": "post-" + cid, "unanswered": "true"})).json()
        assert unanswered["total"] == 0
        linked = (await c.get(f"{API}{iid}/")).json()["replies"][0]
        assert linked["echo_item_id"] == echo["item_id"]

    # Rebuilt from the log, the inbox is the same: five deliveries, a reply and its echo fold alike.
    report = await replay(system.infra.dsn, system.infra.broker, INBOX, swap=True, require_identical=True)
    assert report.events > 0 and not any(report.differences.values()), report.summary()


async def test_a_reply_whose_call_times_out_is_looked_up_and_sent_once(system: Any) -> None:
    me = await _platform_id(system, "it-x")
    cid = await _seed_x_comment(system, me, "When is the next one?")
    await _produce(system, _comment(system, "it-x", "x", cid, "post-" + cid, text="When is the next one?"))
    iid = item_id("x", "comment", cid)
    async with system.client() as c:
        await eventually(lambda: _found(c, iid), timeout=60, what="the comment in the inbox")
    # The sandbox takes the tweet, then hangs past the worker's timeout: the answer is lost.
    system.sandbox.fault("x", "hang_after_accept", times=1, hang_seconds=15)
    got = await _reply_once(system, iid, "Next Tuesday, stay tuned!")
    [r] = got["replies"]
    assert r["reconciled"] is True  # found by the lookup, not answered by the create call
    tweets = [p for p in system.sandbox.posts("x") if p.get("submitted_text") == "Next Tuesday, stay tuned!"]
    assert len(tweets) == 1 and tweets[0]["id"] == r["platform_reply_id"]


async def _found(c: httpx.AsyncClient, iid: str) -> bool:
    return (await c.get(f"{API}{iid}/")).status_code == 200


async def test_a_private_reply_to_a_comment_older_than_seven_days_is_refused_with_the_reason(system: Any) -> None:
    cid = "ig" + str(uuid.uuid4().int)[:16]
    await _produce(system, _comment(system, "it-instagram", "instagram", cid, "media-" + cid, age=timedelta(days=8)))
    iid = item_id("instagram", "comment", cid)
    async with system.client() as c:
        await eventually(lambda: _found(c, iid), timeout=60, what="the old comment in the inbox")
        r = await c.post(f"{API}{iid}/private-reply/", json={"text": "Here is the link you asked for"})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"].endswith("private_reply_window_closed") and "within 7 days" in body["detail"]
        assert (await c.get(f"{API}{iid}/")).json()["replies"] == []  # nothing recorded, nothing sent
        # Another site's key does not see it.
    async with system.client("crash") as other:
        assert (await other.get(f"{API}{iid}/")).status_code == 404
