"""The whole slice on a real broker and a real Postgres: an upstream article becomes drafted,
scheduled, published and measured posts, served by the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


async def get(system, path: str, **params):  # type: ignore[no-untyped-def]
    async with system.client() as c:
        return await c.get(path, params=params)


async def test_article_to_published_posts_with_engagement(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("slice-1", image_urls=[f"{system.sandbox.url}/_sandbox/images/slice-1.jpg"]))

    async def published():  # type: ignore[no-untyped-def]
        r = await get(system, "/api/v1/social/posts/", site_id="itest", content_id="slice-1")
        posts = r.json()["results"]
        done = [p for p in posts if p["status"] == "published"]
        return posts if len(posts) == 6 and len(done) == 5 else None

    posts = await eventually(published, timeout=90, what="five published posts and one draft")
    by_account = {p["account_id"]: p for p in posts}
    assert by_account[system.accounts["it-review"]]["status"] == "draft"  # auto_publish off: waits for review
    # Each platform got the article's photo cropped to its size, stored and served by the API.
    ig = by_account[system.accounts["it-instagram"]]
    assert ig["media_urls"][0].startswith(system.api + "/media/") and ig["virality"] and ig["virality_reasons"]
    async with httpx.AsyncClient() as c:
        img = await c.get(ig["media_urls"][0])
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(img.content)).size == (1080, 1080)
    for p in posts:
        if p["status"] == "published":
            assert p["platform_post_id"] and p["platform_post_url"].startswith("https://")
            assert p["scheduled_at"] is not None and p["published_at"] is not None
    # Each published post exists exactly once on its platform.
    on_platforms = system.sandbox.posts()
    for p in posts:
        if p["status"] == "published":
            same = [sp for sp in on_platforms if sp["platform"] == p["platform"] and p["platform_post_id"].endswith(sp["id"])]
            assert len(same) == 1, p

    async def measured():  # type: ignore[no-untyped-def]
        r = await get(system, "/api/v1/social/analytics/posts/", site_id="itest")
        rows = [x for x in r.json()["results"] if x["post_id"] in {p["post_id"] for p in posts}]
        return rows if len(rows) == 5 and all(x["impressions"] > 0 for x in rows) else None

    rows = await eventually(measured, timeout=60, what="engagement of five posts")
    assert all(0 <= x["engagement_rate"] < 1 for x in rows)
    one = (await get(system, f"/api/v1/social/analytics/posts/{rows[0]['post_id']}/")).json()
    assert one["history"] and one["history"][-1]["impressions"] == one["impressions"]
    summary = (await get(system, "/api/v1/social/analytics/", site_id="itest")).json()
    assert {r["platform"] for r in summary["platforms"]} >= {"linkedin", "x", "facebook", "instagram", "tiktok"}
    assert summary["top_posts"]

    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    cal = (await get(system, "/api/v1/social/calendar/", site_id="itest", month=month)).json()
    on_calendar = {p["post_id"] for d in cal["days"] for p in d["posts"]}
    assert {p["post_id"] for p in posts if p["status"] == "published"} <= on_calendar
    week = datetime.now(UTC).strftime("%G-W%V")
    assert (await get(system, "/api/v1/social/calendar/", site_id="itest", week=week)).status_code == 200


async def test_commands_over_http_and_their_errors(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client() as c:
        r = await c.post(
            "/api/v1/social/posts/?wait=true", json={"site_id": "itest", "account_id": system.accounts["it-review"], "text": "Manual post"}
        )
        assert r.status_code == 202, r.text
        pos = r.json()["events"][0]
        assert pos["type"] == "socializer.post.drafted.v1" and pos["topic"] == "social.posts" and pos["offset"] >= 0
        posts = (await c.get("/api/v1/social/posts/", params={"site_id": "itest", "status": "draft"})).json()["results"]
        post = next(p for p in posts if p["text"] == "Manual post")
        pid = post["post_id"]

        r = await c.put(f"/api/v1/social/posts/{pid}/?wait=true", json={"text": "Manual post, edited"})
        assert r.status_code == 202
        assert (await c.get(f"/api/v1/social/posts/{pid}/")).json()["text"] == "Manual post, edited"

        at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
        r = await c.post(f"/api/v1/social/posts/{pid}/schedule/?wait=true", json={"scheduled_at": at.isoformat()})
        assert r.status_code == 202
        got = (await c.get(f"/api/v1/social/posts/{pid}/")).json()
        assert got["status"] == "scheduled" and datetime.fromisoformat(got["scheduled_at"].replace("Z", "+00:00")) == at

        r = await c.delete(f"/api/v1/social/posts/{pid}/", params={"wait": "true", "reason": "changed my mind"})
        assert r.status_code == 202
        assert (await c.get(f"/api/v1/social/posts/{pid}/")).json()["status"] == "cancelled"

        # A cancelled post refuses commands, by name.
        r = await c.post(f"/api/v1/social/posts/{pid}/publish/")
        assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
        assert "cancelled" in r.json()["detail"]

        # Invalid input: 4xx problem+json naming the field.
        r = await c.post(f"/api/v1/social/posts/{pid}/schedule/", json={"scheduled_at": "tomorrow"})
        assert r.status_code == 422 and r.json()["field"] == "scheduled_at"
        r = await c.post("/api/v1/social/posts/", json={"site_id": "itest", "account_id": system.accounts["it-review"]})
        assert r.status_code == 422 and r.json()["field"] == "text"
        r = await c.get("/api/v1/social/calendar/", params={"site_id": "itest", "month": "2026-13"})
        assert r.status_code == 422 and r.json()["field"] == "month"
        r = await c.get("/api/v1/social/posts/not-a-post/")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        r = await c.post("/api/v1/social/posts/generate/", json={"content_id": "never-published"})
        assert r.status_code == 404 and r.json()["field"] == "content_id"

        spec = (await c.get("/openapi.json")).json()
        assert "/api/v1/social/posts/{post_id}/schedule/" in spec["paths"]
        health = (await c.get("/healthz")).json()
        assert health["status"] == "ok" and set(health["projection_lag"]) >= {"posts"}


async def test_generate_over_http_and_bulk_schedule_auto_spaces(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("slice-2", image_urls=[]))
    async with system.client() as c:

        async def review_draft():  # type: ignore[no-untyped-def]
            r = await c.get("/api/v1/social/posts/", params={"site_id": "itest", "content_id": "slice-2", "status": "draft"})
            # Only the review account's: the others' drafts are being scheduled and published meanwhile.
            return [p for p in r.json()["results"] if p["account_id"] == system.accounts["it-review"]]

        drafts = await eventually(review_draft, what="the review account's draft")
        # Without images, Instagram and TikTok get no announcement (the test site asks for announcements only).
        everything = (await c.get("/api/v1/social/posts/", params={"site_id": "itest", "content_id": "slice-2"})).json()["results"]
        assert not {p["platform"] for p in everything} & {"instagram", "tiktok"}
        # Generating again is idempotent: the same posts, not new ones.
        r = await c.post("/api/v1/social/posts/generate/", json={"content_id": "slice-2"})
        assert r.status_code == 202 and {p["post_id"] for p in everything} <= set(r.json()["post_ids"])  # known before adapt runs
        r = await c.post("/api/v1/social/posts/bulk-schedule/?wait=true", json={"post_ids": [d["post_id"] for d in drafts]})
        assert r.status_code == 202 and r.json()["events"][0]["type"] == "socializer.post.queued.v1", r.text

        async def scheduled():  # type: ignore[no-untyped-def]
            rows = [(await c.get(f"/api/v1/social/posts/{d['post_id']}/")).json() for d in drafts]
            return rows if all(x["status"] in ("scheduled", "publishing", "published") for x in rows) else None

        await eventually(scheduled, what="the queued draft to get a slot")
        again = (await c.get("/api/v1/social/posts/", params={"site_id": "itest", "content_id": "slice-2"})).json()["results"]
        assert len(again) == len(everything)
