"""One writer per post: people's commands are decided against the post's own events, so of two
conflicting commands exactly one wins; retried requests with an Idempotency-Key change nothing."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from schemas import topics as t
from socializer.http.models import PostDetail, PostPage
from tests.integration.conftest import eventually
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

        async def edited() -> object:  # the edit's 202 does not wait for the read model (?wait=true would)
            r = await c.get(f"/api/v1/social/posts/{post_id}/")
            return r if r.json()["version"] == 2 else None

        current = await eventually(edited, timeout=30, what="the read model to show the edit")
        assert current.headers["etag"] == '"2"'
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


async def test_manual_posts_and_edits_pass_the_platform_rules_and_the_edited_thread_is_published(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client() as c:
        long_x = await c.post("/api/v1/social/posts/", json={"site_id": "itest", "account_id": system.accounts["it-x"], "text": "a" * 505})
        assert long_x.status_code == 422 and long_x.json()["field"] == "text" and "over x's 280" in long_x.json()["detail"]

        li = await c.post(
            "/api/v1/social/posts/?wait=true",
            json={"site_id": "itest", "account_id": system.accounts["it-linkedin"], "text": "A short LinkedIn post"},
        )
        assert li.status_code == 202, li.text
        long_edit = await c.put(f"/api/v1/social/posts/{li.json()['post_id']}/", json={"text": "word " * 720})
        assert long_edit.status_code == 422 and long_edit.json()["field"] == "text"

        r = await c.post(
            "/api/v1/social/posts/?wait=true",
            json={
                "site_id": "itest",
                "account_id": system.accounts["it-x"],
                "text": "A thread",
                "link_url": "https://blog.example/thread",
                "thread": ["The first take", "The second take"],
            },
        )
        assert r.status_code == 202, r.text
        post_id = r.json()["post_id"]
        edited = await c.put(f"/api/v1/social/posts/{post_id}/?wait=true", json={"thread": ["Edited one", "Edited two", "Edited three"]})
        assert edited.status_code == 202, edited.text
        assert (await c.post(f"/api/v1/social/posts/{post_id}/publish/")).status_code == 202

        async def published():  # type: ignore[no-untyped-def]
            row = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
            return row if row["status"] == "published" else None

        await eventually(published, timeout=60, what="the edited thread to be published")
    tweets = system.sandbox.posts("x")
    texts = [p["text"] for p in tweets]
    # X keeps the link as t.co; what it stands for is in the tweet's entities.
    assert any(p["text"].startswith("3/3 Edited three") and any("utm_source=x" in u["expanded_url"] for u in p["urls"]) for p in tweets)
    assert not any("take" in t for t in texts)  # the original thread was never published


async def test_a_manual_time_inside_the_cooldown_is_refused_unless_overridden(system) -> None:  # type: ignore[no-untyped-def]
    account = system.accounts["it-review"]
    body = {"site_id": "itest", "account_id": account}
    async with system.client() as c:
        before = (await c.get(f"/api/v1/social/accounts/{account}/")).json()["settings"]
        strict = {**before, "max_per_day": 2, "cooldown_hours": 4}
        assert (await c.put(f"/api/v1/social/accounts/{account}/settings/", json=strict)).status_code == 200
        first = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": "First of two"})).json()["post_id"]
        second = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": "Second of two"})).json()["post_id"]
        ok = await c.post(f"/api/v1/social/posts/{first}/schedule/?wait=true", json={"scheduled_at": "2099-03-02T09:00:00Z"})
        assert ok.status_code == 202, ok.text
        close = await c.post(f"/api/v1/social/posts/{second}/schedule/", json={"scheduled_at": "2099-03-02T10:00:00Z"})
        assert close.status_code == 409 and close.json()["field"] == "scheduled_at", close.text
        assert first in close.json()["detail"] and "next free slot" in close.json()["detail"]
        forced = await c.post(f"/api/v1/social/posts/{second}/schedule/", json={"scheduled_at": "2099-03-02T10:00:00Z", "override": True})
        assert forced.status_code == 202, forced.text
        await c.put(f"/api/v1/social/accounts/{account}/settings/", json=before)


async def test_account_settings_change_only_the_fields_sent(system) -> None:  # type: ignore[no-untyped-def]
    account = system.accounts["it-review"]
    async with system.client() as c:
        before = (await c.get(f"/api/v1/social/accounts/{account}/")).json()["settings"]
        assert before["auto_publish"] is False
        r = await c.patch(f"/api/v1/social/accounts/{account}/settings/", json={"best_times": ["10:15"]})
        assert r.status_code == 200, r.text
        after = r.json()["settings"]
        assert after == {**before, "best_times": ["10:15"]}  # auto_publish stays off: drafts still wait for review
        unknown = await c.patch(f"/api/v1/social/accounts/{account}/settings/", json={"auto_publsh": True})
        assert unknown.status_code == 422 and unknown.json()["field"] == "auto_publsh"
        await c.put(f"/api/v1/social/accounts/{account}/settings/", json=before)


async def test_lists_say_how_many_match_in_all_and_link_the_next_page(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client() as c:
        for i in range(3):
            body = {"site_id": "itest", "account_id": system.accounts["it-review"], "text": f"Page filler {i}"}
            assert (await c.post("/api/v1/social/posts/?wait=true", json=body)).status_code == 202
        first = (await c.get("/api/v1/social/posts/", params={"site_id": "itest", "limit": 2})).json()
        assert first["count"] == 2 and first["total"] > 2 and "offset=2" in first["next"]
        PostPage.model_validate(first)  # what the OpenAPI document promises is what is sent
        PostDetail.model_validate((await c.get(f"/api/v1/social/posts/{first['results'][0]['post_id']}/")).json())
        second = (await c.get(first["next"])).json()
        assert {p["post_id"] for p in second["results"]}.isdisjoint({p["post_id"] for p in first["results"]})
        last = (await c.get("/api/v1/social/posts/", params={"site_id": "itest", "limit": 2, "offset": first["total"] - 1})).json()
        assert last["count"] == 1 and last["next"] is None


async def test_a_5xx_on_tweet_3_of_5_publishes_each_tweet_once_and_the_post_only_after_tweet_5(system) -> None:  # type: ignore[no-untyped-def]
    parts = [f"Atomic thread, part {i}" for i in range(1, 6)]
    async with system.client() as c:
        r = await c.post(
            "/api/v1/social/posts/?wait=true",
            json={"site_id": "itest", "account_id": system.accounts["it-x"], "text": "Atomic thread", "thread": parts},
        )
        assert r.status_code == 202, r.text
        post_id = r.json()["post_id"]
        system.sandbox.fault("x", "error", after=2)
        assert (await c.post(f"/api/v1/social/posts/{post_id}/publish/?override=true")).status_code == 202

        async def published():  # type: ignore[no-untyped-def]
            row = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
            return row if row["status"] in ("published", "failed") else None

        row = await eventually(published, timeout=90, what="the thread to be published after the 5xx")
    system.sandbox.fault("x", "none")
    assert row["status"] == "published", row
    tweets = [p for p in system.sandbox.posts("x") if "Atomic thread, part" in p["text"]]
    assert sorted(t["text"].split("\n")[0] for t in tweets) == [f"{i}/5 Atomic thread, part {i}" for i in range(1, 6)]


async def test_a_post_failed_for_a_withdrawn_grant_is_published_again_as_soon_as_the_api_shows_failed(system) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from tests.integration.conftest import FAST

    [acct] = (await system.connect("acct", "x", "regrant", settings=FAST)).json()["results"]
    aid = acct["account_id"]
    httpx.post(f"{system.sandbox.url}/_sandbox/oauth/revoke", json={"provider": "x", "user": "regrant"}).raise_for_status()
    async with system.client("acct") as c:
        r = await c.post("/api/v1/social/posts/?wait=true", json={"site_id": "acct", "account_id": aid, "text": "Granted again"})
        assert r.status_code == 202, r.text
        post_id = r.json()["post_id"]
        assert (await c.post(f"/api/v1/social/posts/{post_id}/publish/")).status_code == 202

        async def failed():  # type: ignore[no-untyped-def]
            row = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
            return row if row["status"] == "failed" else None

        row = await eventually(failed, timeout=60, every=0.05, what="the API to show the post failed")
        assert "needs_reauth" in row["error"]
        back = await system.connect("acct", "x", "regrant")
        assert back.status_code == 201 and back.json()["results"][0]["status"] == "active"
        # At once, on what the API showed: not refused for a state the writer may not have folded yet.
        again = await c.post(f"/api/v1/social/posts/{post_id}/publish/", headers={"If-Match": f'"{row["version"]}"'})
        assert again.status_code == 202, again.text

        async def published():  # type: ignore[no-untyped-def]
            row = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
            return row if row["status"] == "published" else None

        await eventually(published, timeout=60, what="the post to be published after reconnecting")
    assert [p["text"] for p in system.sandbox.posts("x")].count("Granted again") == 1


async def test_approving_at_a_time_inside_the_cooldown_is_refused_naming_the_post_and_the_next_free_slot(system) -> None:  # type: ignore[no-untyped-def]
    account = system.accounts["it-review"]
    body = {"site_id": "itest", "account_id": account}
    async with system.client() as c:
        before = (await c.get(f"/api/v1/social/accounts/{account}/")).json()["settings"]
        assert (await c.put(f"/api/v1/social/accounts/{account}/settings/", json={**before, "cooldown_hours": 4})).status_code == 200
        try:
            first = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": "Approved first"})).json()["post_id"]
            second = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": "Approved second"})).json()["post_id"]
            ok = await c.post(f"/api/v1/social/posts/{first}/approve/?wait=true", json={"scheduled_at": "2099-04-02T09:00:00Z"})
            assert ok.status_code == 202, ok.text
            close = await c.post(f"/api/v1/social/posts/{second}/approve/", json={"scheduled_at": "2099-04-02T11:00:00Z"})
            assert close.status_code == 409 and close.json()["field"] == "scheduled_at", close.text
            assert first in close.json()["detail"] and "next free slot is 2099-04-0" in close.json()["detail"]
            forced = await c.post(
                f"/api/v1/social/posts/{second}/approve/", json={"scheduled_at": "2099-04-02T11:00:00Z", "override": True}
            )
            assert forced.status_code == 202, forced.text
        finally:
            await c.put(f"/api/v1/social/accounts/{account}/settings/", json=before)


async def test_an_edited_post_is_scored_on_its_edited_text(system) -> None:  # type: ignore[no-untyped-def]
    body = {"site_id": "itest", "account_id": system.accounts["it-review"]}
    words = "Why do audits get cheaper with event sourcing? 3 numbers from our migration, and the one thing that broke."
    async with system.client() as c:
        post_id = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": "ok"})).json()["post_id"]
        before = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
        assert (await c.put(f"/api/v1/social/posts/{post_id}/?wait=true", json={"text": words})).status_code == 202
        edited = (await c.get(f"/api/v1/social/posts/{post_id}/")).json()
        fresh_id = (await c.post("/api/v1/social/posts/?wait=true", json={**body, "text": words})).json()["post_id"]
        fresh = (await c.get(f"/api/v1/social/posts/{fresh_id}/")).json()
    assert (edited["virality"], edited["virality_reasons"]) == (fresh["virality"], fresh["virality_reasons"])
    assert (edited["virality"], edited["virality_reasons"]) != (before["virality"], before["virality_reasons"])


async def test_a_bulk_schedule_sends_every_command_at_once_and_says_each_posts_outcome(system) -> None:  # type: ignore[no-untyped-def]
    body = {"site_id": "itest", "account_id": system.accounts["it-review"]}
    async with system.client() as c:
        made = await asyncio.gather(*(c.post("/api/v1/social/posts/?wait=true", json={**body, "text": f"Bulk {i}"}) for i in range(12)))
        ids = [r.json()["post_id"] for r in made]
        cancelled = ids[0]
        assert (await c.delete(f"/api/v1/social/posts/{cancelled}/?wait=true")).status_code == 202
        r = await c.post("/api/v1/social/posts/bulk-schedule/", json={"post_ids": [*ids, "no-such-post"]})
        assert r.status_code == 202, r.text
        results = {x["post_id"]: x for x in r.json()["results"]}
    assert [x["post_id"] for x in r.json()["results"]] == [*ids, "no-such-post"]
    assert results[cancelled]["outcome"] == "refused" and results[cancelled]["problem"]["status"] == 409
    assert results["no-such-post"]["outcome"] == "refused" and results["no-such-post"]["problem"]["status"] == 404
    assert all(results[i]["outcome"] == "accepted" and results[i]["version"] == 2 for i in ids[1:]), results
