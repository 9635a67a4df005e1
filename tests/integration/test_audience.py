"""The sandbox's audience against the whole system: simulated users comment on a post our Instagram
account published; the sandbox tells our ``/webhooks/instagram/`` of each by a signed webhook, after
the Meta handshake, and loses about one delivery in ten (seeded). What a webhook lost, the sweep
finds in the comment listing: every comment is in the inbox, each exactly once. A private reply to
one of them goes out once; a second one is refused with the reason before any call.

The worker runs with a two-second sweep while this module runs (restarted with it, as
test_engagement restarts it with its own clock), and as it was afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from domain.inbox import item_id
from schemas import events as e
from schemas import topics
from schemas.registry import registry
from tests.integration.conftest import FAST, eventually

pytestmark = [
    pytest.mark.integration,
]
SITE = "audience"  # a site of its own: its Instagram account adds no post to the other tests' articles
API = "/api/v1/social/inbox/"
N = 200
DROP = 0.1


class Audience:
    def __init__(self, account_id: str, ig_user: str, media: str) -> None:
        self.account_id, self.ig_user, self.media = account_id, ig_user, media


async def _published(system: Any, account_id: str, post_id: str, media: str) -> None:
    """The post on the log as its writer wrote it when it published it."""
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        for ev in (
            e.PostDrafted(
                post_id=post_id,
                site_id=SITE,
                account_id=account_id,
                platform="instagram",
                post_type="announcement",
                text="Our spring issue",
            ),
            e.PostPublished(
                post_id=post_id,
                account_id=account_id,
                platform="instagram",
                platform_post_id=media,
                platform_post_url=f"https://www.instagram.com/p/{media}/",
                published_at=datetime.now(UTC),
            ),
        ):
            env = registry.envelope(ev, source="tests/audience", subject=post_id)
            await producer.send_and_wait(topics.POSTS, env.encode(), key=post_id.encode(), headers=env.headers())
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def audience(system: Any) -> AsyncIterator[Audience]:
    r = await system.connect(SITE, "instagram", "audience-ig", "business", settings=FAST, features=["publish", "analytics", "inbox"])
    assert r.status_code == 201, r.text
    [acct] = r.json()["results"]
    account_id, ig_user = acct["account_id"], acct["platform_account_id"]
    post_id = "audience-" + uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        made = await sbx.post("/_sandbox/posts", json={"platform": "instagram", "account": ig_user, "text": "Our spring issue"})
        assert made.status_code == 201, made.text
        media = made.json()["id"]
        await _published(system, account_id, post_id, media)

        async def on_the_read_model() -> bool:
            return bool(await system.sql("SELECT 1 FROM posts WHERE post_id = $1 AND status = 'published'", post_id))

        await eventually(on_the_read_model, what="the post on the posts read model")
        # Our receiver, registered as a developer would: Meta's handshake with our verify token first.
        hook = await sbx.put(
            "/_sandbox/webhooks/instagram",
            json={"url": f"{system.api}/webhooks/instagram/", "verify_token": "sandbox-meta-verify-token"},
        )
        assert hook.status_code == 200 and hook.json()["verified"] is True, hook.text
        faults = await sbx.put("/_sandbox/talk/faults", json={"seed": 7, "drop": DROP})
        assert faults.status_code == 200, faults.text

        system.kill("worker")
        before = dict(system.env)
        system.env["SOCIALIZER_INBOX_SWEEP_SECONDS"] = "2"
        system.start("worker")
        try:
            yield Audience(account_id, ig_user, media)
        finally:
            system.kill("worker")
            system.env.clear()
            system.env.update(before)
            system.start("worker")
            await system.settled()
            await sbx.put("/_sandbox/talk/faults", json={"seed": "sandbox"})
            await sbx.delete("/_sandbox/webhooks/instagram")


async def _inbox(c: httpx.AsyncClient, media: str) -> list[dict[str, Any]]:
    r = await c.get(API, params={"platform": "instagram", "post_id": media, "limit": 1000})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


async def test_every_comment_reaches_the_inbox_once_though_a_tenth_of_the_webhooks_are_lost(system: Any, audience: Audience) -> None:
    said: list[str] = []
    async with httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        for i in range(N):
            r = await sbx.post(
                "/_sandbox/talk",
                json={
                    "platform": "instagram",
                    "post_id": audience.media,
                    "kind": "comment",
                    "text": f"Comment {i}",
                    "author": f"reader{i % 41}",
                },
            )
            assert r.status_code == 201, r.text
            said.append(r.json()["comment"]["id"])
        deliveries = [d for d in (await sbx.get("/_sandbox/talk/deliveries", params={"platform": "instagram"})).json()["deliveries"]]
    ours = [d for d in deliveries if d["events"][0] in set(said)]
    dropped = [d for d in ours if d["state"] == "dropped"]
    assert len(ours) == N and 0.05 * N <= len(dropped) <= 0.15 * N  # about a tenth, by the seed

    async with system.client(SITE) as c:

        async def all_in() -> list[dict[str, Any]] | None:
            items = await _inbox(c, audience.media)
            seen.append(len(items))
            return items if len(items) >= N else None

        seen: list[int] = []

        try:
            items = await eventually(all_in, timeout=120, every=1, what=f"{N} comments in the inbox, {len(dropped)} of them swept")
        except AssertionError as err:
            rows = await system.sql("SELECT count(*) AS n FROM inbox_items WHERE platform = 'instagram'")
            delivered = sum(1 for d in ours if d["state"] == "delivered")
            raise AssertionError(f"{err}; the inbox had {seen[-3:]}; inbox_items {rows[0]['n']}; {delivered} delivered") from None
        found = [i["platform_item_id"] for i in items]
        assert sorted(found) == sorted(said)  # each exactly once, the dropped ones too (swept)
        assert all(i["account_id"] == audience.account_id and i["unanswered"] for i in items)
        page = (await c.get(API, params={"platform": "instagram", "post_id": audience.media, "limit": 1})).json()
        assert page["total"] == N


async def test_a_private_reply_goes_out_once_and_a_second_is_refused_with_the_reason(system: Any, audience: Audience) -> None:
    async with httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        r = await sbx.post(
            "/_sandbox/talk",
            json={
                "platform": "instagram",
                "post_id": audience.media,
                "kind": "comment",
                "text": "Can you send me the link?",
                "author": "mo",
            },
        )
        assert r.status_code == 201, r.text
        cid = r.json()["comment"]["id"]
    iid = item_id("instagram", "comment", cid)
    async with system.client(SITE) as c:

        async def found() -> bool:
            return (await c.get(f"{API}{iid}/")).status_code == 200

        await eventually(found, timeout=60, what="the comment in the inbox")
        first = await c.post(f"{API}{iid}/private-reply/", json={"text": "Here it is: example.com/spring"})
        assert first.status_code == 202, first.text

        async def sent() -> dict[str, Any] | None:
            got = (await c.get(f"{API}{iid}/")).json()
            return got if got["replies"] and got["replies"][0]["status"] == "sent" else None

        got = await eventually(sent, timeout=60, what="the private reply sent")
        [reply] = got["replies"]
        assert reply["action"] == "private_reply" and reply["platform_reply_id"]

        second = await c.post(f"{API}{iid}/private-reply/", json={"text": "And here it is again"})
        assert second.status_code == 422 and second.headers["content-type"].startswith("application/problem+json")
        assert second.json()["type"].endswith("private_reply_already_sent") and "one private reply" in second.json()["detail"]
        assert len((await c.get(f"{API}{iid}/")).json()["replies"]) == 1

    # The platform holds one message answering the comment: one call went out, the refusal made none.
    st = system.sandbox.app.state.talk.st
    sent_to = [m for conv in st.conversations.values() for m in conv.messages if m.extra.get("comment_id") == cid]
    assert len(sent_to) == 1 and sent_to[0].sender_id == audience.ig_user
    assert st.comments[cid].extra["private_replied"] is True


async def test_hiding_a_comment_hides_it_on_the_platform(system: Any, audience: Audience) -> None:
    async with httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        r = await sbx.post(
            "/_sandbox/talk",
            json={
                "platform": "instagram",
                "post_id": audience.media,
                "kind": "comment",
                "text": "Buy followers at spam.example",
                "author": "spammer",
            },
        )
        assert r.status_code == 201, r.text
        cid = r.json()["comment"]["id"]
    iid = item_id("instagram", "comment", cid)
    st = system.sandbox.app.state.talk.st
    assert st.comments[cid].hidden is False
    async with system.client(SITE) as c:

        async def found() -> bool:
            return (await c.get(f"{API}{iid}/")).status_code == 200

        await eventually(found, timeout=60, what="the comment in the inbox")
        r = await c.post(f"{API}{iid}/hide/", headers={"Idempotency-Key": f"hide-{cid}"})
        assert r.status_code == 202, r.text

        async def done() -> dict[str, Any] | None:
            got = (await c.get(f"{API}{iid}/")).json()
            return got if got["replies"] and got["replies"][0]["status"] == "sent" else None

        got = await eventually(done, timeout=60, what="the hide sent")
        assert [x["action"] for x in got["replies"]] == ["hide"]
        again = await c.post(f"{API}{iid}/hide/", headers={"Idempotency-Key": f"hide-{cid}"})  # a retried request
        assert again.status_code in (200, 202) and again.json()["reply_id"] == r.json()["reply_id"]
    assert st.comments[cid].hidden is True
