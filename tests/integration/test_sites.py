"""Sites are data: a site added after start-up is made by its first settings change, every change
applies without a restart (PATCH semantics), an article of a site with social posting off is
recorded and skipped with the reason (never dead-lettered), and drafts under manual review go out
only when a person approves them, who and when recorded."""

from __future__ import annotations

import asyncio

import pytest

from adapters.sites import SITE_CACHE_SECONDS
from tests.integration.articles import article
from tests.integration.conftest import FAST, eventually

pytestmark = pytest.mark.integration


async def test_site_settings_drive_intake_review_and_utm_without_a_restart(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("later") as api:
        r = await api.get("/api/v1/social/settings/")
        assert r.status_code == 200 and r.json()["auto_social_publish"] is False  # the seed's default: manual review
        r = await api.put(
            "/api/v1/social/settings/",
            json={"social_enabled": False, "platforms": ["x"], "post_types": ["announcement", "thread"], "timezone": "UTC"},
        )
        assert r.status_code == 200, r.text
        r = await api.patch("/api/v1/social/settings/", json={"utm_campaign": "spring-launch"})
        body = r.json()
        assert (
            body["timezone"] == "UTC" and body["social_enabled"] is False and body["utm_campaign"] == "spring-launch"
        )  # not sent: not changed
        r = await api.patch("/api/v1/social/settings/", json={"timezone": "Mars/Olympus"})
        assert r.status_code == 422 and r.json()["field"] == "timezone"

    r = await system.connect("later", "x", "later-x", settings={**FAST, "auto_publish": True}, features=["publish"])
    assert r.status_code == 201, r.text

    await system.emit(article("later-1", site_id="later", title="Skipped while social posting is off"))

    async def skipped():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT reason FROM content_skips WHERE content_id = 'later-1'")

    [row] = await eventually(skipped, timeout=60, what="the article to be recorded as skipped")
    assert "social_enabled" in row["reason"]
    assert await system.sql("SELECT 1 FROM posts WHERE content_id = 'later-1'") == []

    async with system.client("later") as api:
        assert (await api.patch("/api/v1/social/settings/", json={"social_enabled": True})).status_code == 200
    await asyncio.sleep(SITE_CACHE_SECONDS + 0.5)  # the agents read settings through a cache of this age
    await system.emit(article("later-2", site_id="later", title="Reviewed before it goes out"))

    async def drafts():  # type: ignore[no-untyped-def]
        rows = await system.sql(
            "SELECT post_id, post_type, status, text, link_url FROM posts WHERE content_id = 'later-2' ORDER BY post_type"
        )
        return rows if len(rows) == 2 else None

    announcement, thread = await eventually(drafts, timeout=90, what="two X drafts")
    assert announcement["status"] == thread["status"] == "draft"  # the account auto-publishes, the site reviews
    assert "utm_campaign=spring-launch" in (announcement["link_url"] or announcement["text"])

    async with system.client("later") as api:
        r = await api.post(f"/api/v1/social/posts/{announcement['post_id']}/approve/", json={"reviewer": "Ana"}, params={"wait": True})
        assert r.status_code == 202, r.text
        r = await api.post(
            f"/api/v1/social/posts/{thread['post_id']}/reject/", json={"reason": "too long", "reviewer": "Bo"}, params={"wait": True}
        )
        assert r.status_code == 202, r.text
        r = await api.post(f"/api/v1/social/posts/{thread['post_id']}/approve/")
        assert r.status_code == 409  # rejected is final

    async def reviewed():  # type: ignore[no-untyped-def]
        rows = await system.sql(
            "SELECT post_id, status, review, reviewed_by, reviewed_at, error FROM posts WHERE content_id = 'later-2' ORDER BY post_type"
        )
        return rows if rows[0]["status"] == "published" and rows[1]["status"] == "cancelled" else None

    published, rejected = await eventually(reviewed, timeout=90, what="the approved post published, the rejected one cancelled")
    assert published["review"] == "approved" and published["reviewed_by"].startswith("Ana (key ") and published["reviewed_at"]
    assert rejected["review"] == "rejected" and rejected["error"].endswith(": too long") and rejected["reviewed_by"].startswith("Bo")
