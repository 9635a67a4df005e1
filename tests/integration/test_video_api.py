"""The Video Creator's API so far: the voices, and the languages each speaks, behind the API key."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_voices_say_which_languages_they_speak(system) -> None:  # type: ignore[no-untyped-def]
    async with system.client("itest-read") as api:
        r = await api.get("/api/v1/video/voices/")
    assert r.status_code == 200
    [voice] = r.json()["results"]
    assert voice["voice_id"] == "joe-us" and voice["languages"] == ["en"] and voice["offline"] is True
    anonymous = httpx.get(f"{system.api}/api/v1/video/voices/", timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"


async def test_a_published_article_becomes_a_video_that_passes_its_preset(system) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.articles import article
    from tests.integration.conftest import eventually

    await system.emit(article("video-1", title="Event sourcing, narrated"))

    async def published():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT 1 FROM contents WHERE content_id = 'video-1'")

    await eventually(published, timeout=60, what="the article in the read model")
    async with system.client() as api:
        bad = await api.post("/api/v1/video/projects/", json={"content_id": "video-1", "preset": "vhs"})
        assert bad.status_code == 422 and bad.json()["field"] == "preset"
        r = await api.post("/api/v1/video/projects/", json={"content_id": "video-1", "preset": "youtube_short"})
        assert r.status_code == 202, r.text
        pid = r.json()["project_id"]

        async def ready():  # type: ignore[no-untyped-def]
            got = await api.get(f"/api/v1/video/projects/{pid}/")
            return got.json() if got.status_code == 200 and got.json()["status"] != "rendering" else None

        project = await eventually(ready, timeout=300, every=2, what="the video to be rendered")
        assert project["status"] == "ready" and project["problems"] == [], project
        assert 3 < project["seconds"] <= 180 and project["sections"] >= 2  # a hook and a call to action at least
        video = await api.get(project["video_url"].split(f":{system.api_port}", 1)[1])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and len(video.content) > 10_000
        listed = (await api.get("/api/v1/video/projects/")).json()
        assert pid in [p["project_id"] for p in listed["results"]]
    async with system.client("hostile") as other:
        assert (await other.get(f"/api/v1/video/projects/{pid}/")).status_code == 404  # another site's project does not exist
