"""The platforms' webhooks against the running API and worker: a signed Instagram comment sent five
times is one CommentReceived on social.inbox (on our account, on our post's platform id); a tampered,
wrongly signed, unsigned or oversized delivery is refused and nothing of it reaches social.inbound;
the handshakes are answered as each platform documents."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from domain import inbound as d
from schemas import topics as t
from schemas.registry import registry
from socializer.settings import Settings
from tests import inbound_payloads as p
from tests.integration.conftest import eventually
from tests.integration.test_dead_letters import topic_messages

pytestmark = pytest.mark.integration


def secret(platform: str) -> str:
    return Settings().inbound_secret(platform)  # the sandbox's apps: what the sandbox signs with


async def test_one_signed_comment_sent_five_times_is_one_comment_on_the_inbox(system: Any) -> None:
    [row] = await system.sql("SELECT platform_account_id FROM accounts WHERE account_id = $1", system.accounts["it-instagram"])
    ig_user, marker = row["platform_account_id"], uuid.uuid4().hex
    comment, sentinel, media = f"c-{marker}", f"s-{marker}", f"m-{marker}"
    body = p.raw(p.ig_comment(ig_user, comment, media))
    headers = {"X-Hub-Signature-256": d.sign("instagram", secret("instagram"), body), "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=system.api, timeout=15) as c:
        for _ in range(5):
            r = await c.post("/webhooks/instagram/", content=body, headers=headers)
            assert r.status_code == 200, r.text
        # Then another comment on the same media: same key, same partition, so once it is on the inbox
        # every earlier delivery has been read.
        later = p.raw(p.ig_comment(ig_user, sentinel, media))
        r = await c.post(
            "/webhooks/instagram/",
            content=later,
            headers={**headers, "X-Hub-Signature-256": d.sign("instagram", secret("instagram"), later)},
        )
        assert r.status_code == 200, r.text

    async def comments() -> list[Any]:
        found = [registry.decode(m.value).message for m in await topic_messages(system.infra.broker, t.INBOX)]
        return [x for x in found if getattr(x, "comment_id", None) in (comment, sentinel)]

    async def both() -> list[Any]:
        got = await comments()
        return got if {x.comment_id for x in got} == {comment, sentinel} else []

    got = await eventually(both, timeout=60, what="both comments on social.inbox")
    ours = [x for x in got if x.comment_id == comment]
    assert len(ours) == 1
    assert (ours[0].account_id, ours[0].site_id, ours[0].platform_post_id, ours[0].author_name) == (
        system.accounts["it-instagram"],
        "itest",
        media,
        "a_reader",
    )


async def test_refused_deliveries_are_answered_as_refusals_and_nothing_of_them_is_recorded(system: Any) -> None:
    marker = uuid.uuid4().hex
    body = p.raw(p.x_reply(tweet="1", replied_to=marker))
    good = d.sign("x", secret("x"), body)
    tampered = body.replace(marker.encode(), marker[::-1].encode())
    now = int(time.time())
    tt = p.raw({**p.tiktok_event(), "content": f'{{"marker": "{marker}"}}'})
    async with httpx.AsyncClient(base_url=system.api, timeout=15) as c:
        refused = [
            await c.post("/webhooks/x/", content=tampered, headers={"x-twitter-webhooks-signature": good}),
            await c.post("/webhooks/x/", content=body, headers={"x-twitter-webhooks-signature": d.sign("x", "wrong-secret", body)}),
            await c.post("/webhooks/x/", content=body),
            await c.post(
                "/webhooks/tiktok/", content=tt, headers={"TikTok-Signature": d.sign("tiktok", secret("tiktok"), tt, timestamp=now - 3600)}
            ),
            await c.post("/webhooks/linkedin/", content=body, headers={"X-LI-Signature": d.sign("x", secret("linkedin"), body)}),
        ]
        assert [r.status_code for r in refused] == [403, 403, 401, 403, 403]
        assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
        assert "x-twitter-webhooks-signature: missing" in refused[2].json()["detail"]
        big = b'{"for_user_id": "1", "pad": "' + b"x" * (1 << 20) + b'"}'
        r = await c.post("/webhooks/x/", content=big, headers={"x-twitter-webhooks-signature": d.sign("x", secret("x"), big)})
        assert r.status_code == 413
        # A valid one after them: once it is on the topic, the refused ones would have been before it.
        ok_body = p.raw({**p.tiktok_event(), "content": f'{{"ok": "{marker}"}}'})
        r = await c.post(
            "/webhooks/tiktok/", content=ok_body, headers={"TikTok-Signature": d.sign("tiktok", secret("tiktok"), ok_body, timestamp=now)}
        )
        assert r.status_code == 200, r.text
    bodies = [registry.decode(m.value).message.body for m in await topic_messages(system.infra.broker, t.INBOUND)]
    assert [b for b in bodies if marker in b] == [ok_body.decode()]


async def test_the_handshakes_are_answered_as_each_platform_documents(system: Any) -> None:
    async with httpx.AsyncClient(base_url=system.api, timeout=15) as c:
        q = {"hub.mode": "subscribe", "hub.verify_token": Settings().meta_token, "hub.challenge": "1158201444"}
        r = await c.get("/webhooks/facebook/", params=q)
        assert (r.status_code, r.text, r.headers["content-type"].split(";")[0]) == (200, "1158201444", "text/plain")
        assert (await c.get("/webhooks/instagram/", params={**q, "hub.verify_token": "guess"})).status_code == 403
        r = await c.get("/webhooks/x/", params={"crc_token": "9b4507b3"})
        assert r.status_code == 200 and r.json() == d.x_crc(secret("x"), "9b4507b3")
        r = await c.get("/webhooks/linkedin/", params={"challengeCode": "890e4b8a"})
        assert r.status_code == 200 and r.json() == d.linkedin_challenge(secret("linkedin"), "890e4b8a")
        assert r.headers["content-type"].startswith("application/json")
        assert (await c.get("/webhooks/myspace/")).status_code == 404
