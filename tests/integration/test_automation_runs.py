"""Automation runs against the whole system: an active automation on Instagram comments "promo"
answers a scripted comment with one public and one private reply whose texts say "PROMO"; the
sandbox echoes both back by webhook (the account's own comment, an ``is_echo`` message) and neither
starts a run; the log shows each send queued then sent, and the sandbox holds each once. A DM flow
asks a question in the person's conversation, waits for their answer and sends the resource their
keyword picked (UTM-tagged)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from schemas import events as e
from schemas import topics
from schemas.registry import registry
from tests.integration.conftest import FAST, eventually

pytestmark = [pytest.mark.integration]
SITE = "autorun"  # a site of its own: its Instagram account adds no post to the other tests' articles
API = "/api/v1/social/automations/"
OTHER_SITE = "hooks"  # another site of the suite, with its own key


class Shop:
    def __init__(self, account_id: str, ig_user: str, media: str) -> None:
        self.account_id, self.ig_user, self.media = account_id, ig_user, media


async def _published(system: Any, account_id: str, post_id: str, media: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        for ev in (
            e.PostDrafted(
                post_id=post_id, site_id=SITE, account_id=account_id, platform="instagram", post_type="announcement", text="Sale"
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
            env = registry.envelope(ev, source="tests/automation_runs", subject=post_id)
            await producer.send_and_wait(topics.POSTS, env.encode(), key=post_id.encode(), headers=env.headers())
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
async def shop(system: Any) -> AsyncIterator[Shop]:
    r = await system.connect(SITE, "instagram", "automation-ig", "business", settings=FAST, features=["publish", "analytics", "inbox"])
    assert r.status_code == 201, r.text
    [acct] = r.json()["results"]
    post_id = "automation-" + uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        made = await sbx.post("/_sandbox/posts", json={"platform": "instagram", "account": acct["platform_account_id"], "text": "Sale"})
        assert made.status_code == 201, made.text
        media = made.json()["id"]
        await _published(system, acct["account_id"], post_id, media)
        hook = await sbx.put(
            "/_sandbox/webhooks/instagram",
            json={"url": f"{system.api}/webhooks/instagram/", "verify_token": "sandbox-meta-verify-token"},
        )
        assert hook.status_code == 200 and hook.json()["verified"] is True, hook.text
        try:
            yield Shop(acct["account_id"], acct["platform_account_id"], media)
        finally:
            await sbx.delete("/_sandbox/webhooks/instagram")


async def _active(c: httpx.AsyncClient, definition: dict[str, Any]) -> str:
    """Create and activate, retrying with the same Idempotency-Key while the writer has not answered
    (a 202 ``pending``: a worker restarted by an earlier test may still be joining its group)."""
    key = "runs-" + uuid.uuid4().hex[:8]

    async def created() -> httpx.Response | None:
        r = await c.post(API, json=definition, headers={"Idempotency-Key": key})
        assert r.status_code in (201, 202), r.text
        return r if r.status_code == 201 else None

    aid = (await eventually(created, timeout=60, every=1, what="the automation created")).json()["automation_id"]

    async def activated() -> httpx.Response | None:
        r = await c.post(f"{API}{aid}/activate/", headers={"Idempotency-Key": key + "-on"})
        assert r.status_code in (200, 202), r.text
        return r if r.status_code == 200 else None

    on = await eventually(activated, timeout=60, every=1, what="the automation activated")
    assert on.json()["status"] == "active", on.text
    return str(aid)


async def _talk(sbx: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await sbx.post("/_sandbox/talk", json={"platform": "instagram", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _messages(system: Any, ig_user: str, participant: str | None = None) -> list[Any]:
    st = system.sandbox.app.state.talk.st
    return [
        m
        for conv in st.conversations.values()
        if conv.platform == "instagram" and conv.account == ig_user and (participant is None or conv.participant_id == participant)
        for m in conv.messages
    ]


async def test_a_promo_comment_gets_one_private_and_one_public_reply_and_their_echoes_start_no_run(system: Any, shop: Shop) -> None:
    definition = {
        "name": "Spring promo",
        "trigger": {"on": ["comment"], "keywords": ["promo"], "posts": [shop.media], "account_ids": [shop.account_id]},
        "nodes": [
            {"id": "thanks", "type": "public_reply", "text": "PROMO on its way, {{name}}!", "next": "code"},
            {"id": "code", "type": "private_reply", "text": "Your PROMO code: SPRING25"},
        ],
        "start": "thanks",
    }
    async with system.client(SITE) as c, httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        aid = await _active(c, definition)
        try:
            said = await _talk(sbx, post_id=shop.media, kind="comment", text="Promo please!", author="mila")
            cid = said["comment"]["id"]

            async def both_sent() -> list[dict[str, Any]] | None:
                r = await c.get(f"{API}{aid}/log/")
                assert r.status_code == 200, r.text
                rows = r.json()["results"]
                return rows if len(rows) == 2 and all(x["status"] == "sent" for x in rows) else None

            rows = await eventually(both_sent, timeout=60, what="the public and the private reply sent")
            assert {(x["node_id"], x["action"]) for x in rows} == {("thanks", "reply"), ("code", "private_reply")}
            assert all(x["platform_reply_id"] and x["go_at"] and x["trigger_event_id"] for x in rows)
            st = system.sandbox.app.state.talk.st
            private = [m for m in _messages(system, shop.ig_user) if m.extra.get("comment_id") == cid]
            public = [x for x in st.comments.values() if x.parent_id == cid and x.author_id == shop.ig_user]
            assert [m.text for m in private] == ["Your PROMO code: SPRING25"] and [x.text for x in public] == ["PROMO on its way, mila!"]

            # Both come back by webhook as the account's own items (their texts say PROMO): in the inbox, never a run.
            async def echoes_in() -> bool:
                got = await system.sql(
                    "SELECT count(*) AS n FROM inbox_items WHERE account_id = $1 AND text IN ($2, $3)",
                    shop.account_id,
                    "Your PROMO code: SPRING25",
                    "PROMO on its way, mila!",
                )
                return got[0]["n"] >= 2

            await eventually(echoes_in, timeout=60, what="the echoes of our replies in the inbox")
            for _ in range(6):  # the automate agent reads the same log: give it its turn, then nothing may have started
                await asyncio.sleep(0.5)
                runs = (await c.get(f"{API}{aid}/runs/")).json()
                assert runs["total"] == 1, runs
            [run] = runs["results"]
            assert run["status"] == "ended" and run["reason"] == "completed" and run["keyword"] == "promo" and run["user_name"] == "mila"
            assert len([m for m in _messages(system, shop.ig_user) if m.extra.get("comment_id") == cid]) == 1
            assert len(await system.sql("SELECT 1 FROM automation_runs WHERE automation_id = $1", aid)) == 1
            # The log is the site's: another site's key sees nothing of it.
            async with system.client(OTHER_SITE) as other:
                theirs = await other.get(f"{API}{aid}/log/")
                assert theirs.status_code in (200, 404) and theirs.json().get("total", 0) == 0
            queued = (await c.get(f"{API}{aid}/log/", params={"status": "queued"})).json()
            assert queued["total"] == 0
        finally:
            await c.post(f"{API}{aid}/pause/")


async def test_a_dm_flow_waits_for_the_answer_and_sends_the_resource_the_keyword_picked(system: Any, shop: Shop) -> None:
    definition = {
        "name": "Guide by DM",
        "trigger": {"on": ["message"], "keywords": ["guide", "menu"], "account_ids": [shop.account_id]},
        "nodes": [
            {"id": "ask", "type": "message", "text": "Hi {{name}}! Want our {{keyword}}? Answer yes or no", "next": "answer"},
            {
                "id": "answer",
                "type": "condition",
                "test": {"kind": "answer", "keywords": ["yes", "sure"]},
                "then": "send",
                "otherwise": "bye",
            },
            {
                "id": "send",
                "type": "resource",
                "via": "message",
                "text": "Here it is: {{link}}",
                "resources": [
                    {"keyword": "guide", "url": "https://example.com/guide"},
                    {"keyword": "menu", "url": "https://example.com/menu"},
                ],
            },
            {"id": "bye", "type": "message", "text": "No problem"},
        ],
        "start": "ask",
    }
    async with system.client(SITE) as c, httpx.AsyncClient(base_url=system.sandbox.url, timeout=15) as sbx:
        aid = await _active(c, definition)
        try:
            first = await _talk(sbx, account=shop.ig_user, kind="message", text="Can I get the guide?", author="noor")
            person = first["message"]["sender_id"]

            async def asked() -> list[Any] | None:
                ours = [m for m in _messages(system, shop.ig_user, person) if m.sender_id == shop.ig_user]
                return ours or None

            [question] = await eventually(asked, timeout=60, what="the question in noor's conversation")
            assert question.text == "Hi there! Want our guide? Answer yes or no"  # a DM webhook names no one

            async def waiting() -> dict[str, Any] | None:
                runs = (await c.get(f"{API}{aid}/runs/")).json()["results"]
                return runs[0] if runs and runs[0]["status"] == "waiting" else None

            run = await eventually(waiting, timeout=30, what="the run waiting for the answer")
            assert run["node_id"] == "answer" and run["until"]
            await _talk(sbx, account=shop.ig_user, kind="message", text="Yes please", author="noor")

            async def answered() -> list[Any] | None:
                ours = [m for m in _messages(system, shop.ig_user, person) if m.sender_id == shop.ig_user]
                return ours if len(ours) >= 2 else None

            ours = await eventually(answered, timeout=60, what="the resource sent after the answer")
            assert len(ours) == 2
            link = ours[1].text.removeprefix("Here it is: ")
            assert link.startswith("https://example.com/guide?") and "utm_source=instagram" in link and "utm_campaign=guide-by-dm" in link

            async def ended() -> dict[str, Any] | None:
                runs = (await c.get(f"{API}{aid}/runs/", params={"status": "ended"})).json()["results"]
                return runs[0] if runs else None

            done = await eventually(ended, timeout=30, what="the run ended")
            assert done["reason"] == "completed"

            async def both_sent() -> list[dict[str, Any]] | None:
                rows = (await c.get(f"{API}{aid}/log/")).json()["results"]
                return rows if len(rows) == 2 and all(x["status"] == "sent" for x in rows) else None

            rows = await eventually(both_sent, timeout=30, what="the log: two messages sent")
            assert sorted(x["node_id"] for x in rows) == ["ask", "send"] and all(x["action"] == "message" for x in rows)
        finally:
            await c.post(f"{API}{aid}/pause/")
