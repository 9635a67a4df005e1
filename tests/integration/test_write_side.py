"""One writer per post: people's commands are decided against the post's own events, so of two
conflicting commands exactly one wins; retried requests with an Idempotency-Key change nothing."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from schemas import topics as t
from tests.integration.test_dead_letters import topic_messages

pytestmark = pytest.mark.integration


async def post_events(system, post_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    msgs = await topic_messages(system.infra.broker, t.POSTS)
    return [orjson.loads(m.value)["type"].split(".")[2] for m in msgs if m.key == post_id.encode()]


async def test_two_concurrent_edits_make_one_event_and_one_409(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client() as c:
        r = await c.post(
            "/api/v1/social/posts/?wait=true",
            json={"site_id": "itest", "account_id": system.accounts["it-review"], "text": "A draft two people edit at once"},
        )
        assert r.status_code == 202, r.text
        created = r.json()
        post_id, version = created["post_id"], created["version"]
        assert version == 1 and [e["type"] for e in created["events"]] == ["socializer.post.drafted.v1"]

        first, second = await asyncio.gather(
            c.put(f"/api/v1/social/posts/{post_id}/", json={"text": "Edited by Ann"}),
            c.put(f"/api/v1/social/posts/{post_id}/", json={"text": "Edited by Bob"}),
        )
        assert sorted([first.status_code, second.status_code]) == [202, 409], (first.text, second.text)
        lost = first if first.status_code == 409 else second
        problem = lost.json()
        assert lost.headers["content-type"] == "application/problem+json"
        assert problem["field"] == "version" and "is at version 2 (draft)" in problem["detail"]
        assert (await post_events(system, post_id)).count("edited") == 1

        stale = await c.post(
            f"/api/v1/social/posts/{post_id}/schedule/", headers={"If-Match": '"1"'}, json={"scheduled_at": "2099-01-01T09:00:00Z"}
        )
        assert stale.status_code == 409 and stale.json()["field"] == "version"
        current = await c.get(f"/api/v1/social/posts/{post_id}/")
        assert current.headers["etag"] == '"2"' and current.json()["version"] == 2
        fresh = await c.post(
            f"/api/v1/social/posts/{post_id}/schedule/",
            headers={"If-Match": current.headers["etag"]},
            json={"scheduled_at": "2099-01-01T09:00:00Z"},
        )
        assert fresh.status_code == 202 and fresh.json()["version"] == 3


async def test_a_retried_create_with_an_idempotency_key_gets_the_first_answer(system) -> None:  # type: ignore[no-untyped-def]
    body = {"site_id": "itest", "account_id": system.accounts["it-review"], "text": "Sent twice by a flaky network"}
    async with system.client() as c:
        one = await c.post("/api/v1/social/posts/", json=body, headers={"Idempotency-Key": "create-42"})
        two = await c.post("/api/v1/social/posts/", json=body, headers={"Idempotency-Key": "create-42"})
        other = await c.post("/api/v1/social/posts/", json=body, headers={"Idempotency-Key": "create-43"})
    assert one.status_code == two.status_code == 202 and one.json() == two.json()
    assert other.json()["post_id"] != one.json()["post_id"]
    assert await post_events(system, one.json()["post_id"]) == ["drafted"]
