"""The Video Creator's API through the real roles: voices, projects from the API and from publishing,
the script reviewed, edited, regenerated and approved, stages rendered, another site kept out."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest

from adapters.sites import SITE_CACHE_SECONDS

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
    # The site's YouTube channel is unverified: its custom thumbnail is refused, and the video is published
    # all the same, with a warning that says so.
    httpx.post(f"{system.sandbox.url}/_sandbox/uploads", json={"youtube_verified": False}, timeout=10).raise_for_status()
    try:
        await _video_passes_its_preset(system)
    finally:
        httpx.post(f"{system.sandbox.url}/_sandbox/uploads", json={"youtube_verified": True}, timeout=10).raise_for_status()


async def _video_passes_its_preset(system) -> None:  # type: ignore[no-untyped-def]
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
        # A layout per scene from its content, never the same twice in a row; a contact sheet to review them at a glance.
        layouts = project["layouts"]
        assert (
            len(layouts) == project["sections"] and layouts[-1] == "cta" and all(a != b for a, b in zip(layouts, layouts[1:], strict=False))
        )
        sheet = await api.get(project["contact_sheet_url"].split(f":{system.api_port}", 1)[1])
        assert sheet.status_code == 200 and sheet.headers["content-type"] == "image/jpeg" and sheet.content[:2] == b"\xff\xd8"
        video = await api.get(project["video_url"].split(f":{system.api_port}", 1)[1])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and len(video.content) > 10_000
        listed = (await api.get("/api/v1/video/projects/")).json()
        assert pid in [p["project_id"] for p in listed["results"]]

        # Posted to the site's YouTube, Instagram and TikTok accounts (auto-publish), then measured.
        async def posted():  # type: ignore[no-untyped-def]
            got = (await api.get(f"/api/v1/video/projects/{pid}/publish-status/")).json()["results"]
            done = [p for p in got if p["status"] == "published" and p["views"] is not None]
            return got if len(got) == 3 and len(done) == 3 else None

        status = await eventually(posted, timeout=180, every=2, what="the video published on three platforms and measured")
        assert sorted(p["platform"] for p in status) == ["instagram", "tiktok", "youtube"], status
        uploaded = {p["platform"]: p for p in system.sandbox.posts() if p.get("video")}
        size = len(video.content)
        for p in status:  # exactly one upload each, of the rendered file's bytes
            mine = [u for u in system.sandbox.posts(p["platform"]) if u["id"] == p["platform_post_id"]]
            assert len(mine) == 1 and mine[0]["size"] == size and mine[0]["sha256"] == hashlib.sha256(video.content).hexdigest()
        yt = next(
            u
            for u in system.sandbox.posts("youtube")
            if u["id"] == next(p for p in status if p["platform"] == "youtube")["platform_post_id"]
        )
        assert "thumbnail" not in yt and yt["captions"] and yt["made_for_kids"] is False and "youtube" in uploaded
        youtube_post = next(p for p in status if p["platform"] == "youtube")["post_id"]
        post = (await api.get(f"/api/v1/social/posts/{youtube_post}/")).json()
        assert post["status"] == "published" and len(post["warnings"]) == 1, post
        assert post["warnings"][0].startswith("thumbnail not set") and "custom video thumbnails" in post["warnings"][0]
        # Under the same rules as every post: the article's link tagged (utm_content is the post's code),
        # Instagram's caption pointing to the link in bio (a caption's links are not clickable there).
        assert "/video-1" in yt["description"] and "utm_content=" in yt["description"] and "utm_campaign=" in yt["description"]
        assert "link in bio" in uploaded["instagram"]["text"].lower() and "https://" not in uploaded["instagram"]["text"]
        overview = (await api.get("/api/v1/video/analytics/overview/")).json()
        assert {p["platform"] for p in overview["platforms"] if p["published"]} >= {"youtube", "instagram", "tiktok"}
        assert any(a["project_id"] == pid and a["views"] > 0 for a in overview["articles"])
    async with system.client("hostile") as other:
        assert (await other.get(f"/api/v1/video/projects/{pid}/")).status_code == 404  # another site's project does not exist


async def test_a_script_in_review_is_edited_voiced_regenerated_approved_and_rendered(system) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.articles import article
    from tests.integration.conftest import eventually

    html = (
        "<p>Logs remember everything. Teams replay 3 years of events in minutes.</p>"
        "<h2>Replay</h2><p>Replay rebuilds a read model. It reads every event again. It swaps the new tables in.</p>"
    )
    await system.emit(article("video-2", title="Replay, narrated", html=html))

    async def published():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT 1 FROM contents WHERE content_id = 'video-2'")

    await eventually(published, timeout=60, what="the article in the read model")
    async with system.client(timeout=30) as api:
        r = await api.post("/api/v1/video/projects/", json={"content_id": "video-2", "preset": "tiktok", "review": True})
        assert r.status_code == 202 and r.json()["status"] == "script_review", r.text
        pid = r.json()["project_id"]
        base = f"/api/v1/video/projects/{pid}"
        script = (await api.get(f"{base}/script/")).json()
        assert script["revision"] == 1 and not script["approved"] and [s["kind"] for s in script["script"]["sections"]][0] == "hook"
        nope = await api.post(f"{base}/compose/")
        assert nope.status_code == 409 and nope.json()["field"] == "status"  # nothing is voiced before approval
        hook = script["script"]["sections"][0]["section_id"]

        bad = await api.put(f"{base}/script/", json={"revision": 1, "sections": [{"section_id": hook}]})
        assert bad.status_code == 422 and bad.json()["field"] == "sections.0.text"
        stale = await api.put(f"{base}/script/", json={"revision": 7, "sections": [{"section_id": hook, "text": "Logs never forget."}]})
        assert stale.status_code == 409 and stale.json()["field"] == "revision"
        unfit = await api.put(f"{base}/script/", json={"revision": 1, "sections": [{"section_id": hook, "layout": "code"}]})
        assert unfit.status_code == 422 and unfit.json()["field"] == "sections.0.layout", unfit.text  # the hook has no code to show
        # New words for the hook, and a person's choice of its layout (one its content allows).
        change = {"section_id": hook, "text": "Logs never forget.", "layout": "key_sentence"}
        edited = await api.put(f"{base}/script/", json={"revision": 1, "sections": [change]})
        assert edited.status_code == 202 and edited.json()["revision"] == 2 and edited.json()["status"] == "script_review"
        assert (await api.get(f"{base}/script/")).json()["script"]["sections"][0]["layout"] == "key_sentence"

        approved = await api.post(f"{base}/approve-script/", json={"revision": 2, "render": False})
        assert approved.status_code == 202 and approved.json()["status"] == "approved", approved.text
        assert (await api.post(f"{base}/generate-voiceover/")).status_code == 202

        async def settled():  # type: ignore[no-untyped-def]
            got = (await api.get(f"{base}/")).json()
            return got if got["status"] not in ("rendering", "approved") else None

        voiced = await eventually(settled, timeout=180, every=1, what="the voice-over")
        assert voiced["status"] == "voiced" and voiced["progress"]["voice"] == 1.0 and len(voiced["durations"]) == voiced["sections"]
        assets = (await api.get(f"{base}/assets/")).json()
        wav = await api.get(assets["audio_url"].split(f":{system.api_port}", 1)[1])
        assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"

        before = (await api.get(f"{base}/script/")).json()["script"]["sections"]
        cta = before[-1]
        regen = await api.post(f"{base}/regenerate-section/{cta['section_id']}/")
        assert regen.status_code == 202 and regen.json()["revision"] == 3 and regen.json()["status"] == "script_review"
        after = (await api.get(f"{base}/script/")).json()["script"]["sections"]
        assert after[:-1] == before[:-1] and after[0]["text"] == "Logs never forget."  # every other section as it was
        assert after[-1]["kind"] == "cta" and after[-1]["text"] != cta["text"]

        assert (await api.post(f"{base}/approve-script/")).json()["status"] == "rendering"  # approve renders by default
        ready = await eventually(settled, timeout=300, every=2, what="the video")
        assert ready["status"] == "ready" and ready["problems"] == [] and ready["revision"] == 3, ready
        assert set(ready["timings"]) == {"voice", "visuals", "render", "join"}
        # Only the regenerated call to action may be voiced again (none when an earlier project of the
        # run already voiced the same words: the voice is kept by its narration and voice).
        assert ready["made"].get("voice", 0) <= 1, ready["made"]
        assert ready["layouts"][0] == "key_sentence" and ready["layouts"][-1] == "cta"  # the person's choice was kept
        renders = (await api.get(f"{base}/renders/")).json()
        assert renders["count"] == 1 and renders["results"][0]["revision"] == 3

    async with system.client("hostile") as other:
        for path in ("/", "/script/", "/assets/", "/renders/"):
            assert (await other.get(f"{base}{path}")).status_code == 404
        assert (await other.post(f"{base}/compose/")).status_code == 404
    async with system.client() as api:
        gone = await api.delete(f"{base}/")
        assert gone.status_code == 202 and gone.json()["status"] == "cancelled"
        assert (await api.get(f"{base}/")).status_code == 404
        assert pid not in [p["project_id"] for p in (await api.get("/api/v1/video/projects/")).json()["results"]]


async def test_a_site_with_video_on_gets_a_project_for_each_article_it_publishes(system) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.articles import article
    from tests.integration.conftest import eventually

    async with system.client("acct") as api:
        on = await api.patch(
            "/api/v1/social/settings/", json={"video_enabled": True, "video_review": True, "video_preset": "instagram_reel"}
        )
        assert on.status_code == 200 and on.json()["video_enabled"] is True
        bad = await api.patch("/api/v1/social/settings/", json={"video_preset": "betamax"})
        assert bad.status_code == 422 and bad.json()["field"] == "video_preset"
        try:
            await asyncio.sleep(SITE_CACHE_SECONDS + 0.5)  # the agents act on settings at most this old
            await system.emit(article("film-1", site_id="acct", title="Filmed on publish"))

            async def project():  # type: ignore[no-untyped-def]
                got = (await api.get("/api/v1/video/projects/", params={"status": "script_review"})).json()["results"]
                return [p for p in got if p["content_id"] == "film-1"]

            [p] = await eventually(project, timeout=60, what="the project of the published article")
            assert p["preset"] == "instagram_reel" and p["review"] is True and p["revision"] == 1
        finally:
            await api.patch("/api/v1/social/settings/", json={"video_enabled": False})


async def test_one_writer_per_project_two_edits_of_one_revision_one_wins_and_if_match_is_checked(system) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.articles import article
    from tests.integration.conftest import eventually

    await system.emit(article("video-3", title="One writer, narrated"))

    async def published():  # type: ignore[no-untyped-def]
        return await system.sql("SELECT 1 FROM contents WHERE content_id = 'video-3'")

    await eventually(published, timeout=60, what="the article in the read model")
    async with system.client(timeout=30) as api:
        r = await api.post("/api/v1/video/projects/", json={"content_id": "video-3", "preset": "youtube_short", "review": True})
        assert r.status_code == 202 and r.json()["status"] == "script_review", r.text
        base = f"/api/v1/video/projects/{r.json()['project_id']}"
        got = await api.get(f"{base}/")
        assert got.headers["etag"] == f'"{got.json()["version"]}"' and got.json()["version"] == r.json()["version"] == 2
        hook = (await api.get(f"{base}/script/")).json()["script"]["sections"][0]["section_id"]

        said = ["Ann says logs never forget.", "Bob says logs never lie."]
        answers = await asyncio.gather(
            *(api.put(f"{base}/script/", json={"revision": 1, "sections": [{"section_id": hook, "text": text}]}) for text in said)
        )
        assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
        winner = [a.status_code for a in answers].index(202)
        won, lost = answers[winner], answers[1 - winner]
        assert won.json()["revision"] == 2 and won.json()["version"] == 3
        assert lost.json()["field"] == "revision" and "script_review, script revision 2" in lost.json()["detail"], lost.text
        script = (await api.get(f"{base}/script/")).json()
        assert script["revision"] == 2 and script["script"]["sections"][0]["text"] == said[winner]

        etag = (await api.get(f"{base}/")).headers["etag"]
        assert etag == '"3"'
        stale = await api.post(f"{base}/approve-script/", json={"render": False}, headers={"If-Match": '"2"'})
        assert stale.status_code == 409 and stale.json()["field"] == "version" and "version 3" in stale.json()["detail"], stale.text
        ok = await api.post(f"{base}/approve-script/", json={"render": False}, headers={"If-Match": etag})
        assert ok.status_code == 202 and ok.json()["status"] == "approved" and ok.json()["version"] == 4, ok.text
        assert (await api.get(f"{base}/")).headers["etag"] == '"4"'  # the read model counts as the writer does
        bad = await api.post(f"{base}/compose/", headers={"If-Match": "soon"})
        assert bad.status_code == 400 and bad.json()["field"] == "If-Match"
