"""The Video Creator's pages in a real browser: a project made from the create form, its script edited
(the validator's 422 at the field), a section regenerated and the script approved from the page, the
rendered video PLAYED with its captions, its renders and publish status; the overview and the list.

Page weight: ``Browser.page_weight`` counts every resource the page loaded, the video file too (its
preload). The video is the media the page is about, not the page: these tests weigh the project page
without the resources the <video> element fetched (initiatorType "video"); its captions track counts."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.articles import article
from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration

SITE = "dashvid"
HTML = (
    "<p>Logs remember everything. Teams replay three years of events in minutes.</p>"
    "<h2>Replay</h2><p>Replay rebuilds a read model. It reads every event again. It swaps the new tables in.</p>"
)


def weight_without_media(browser: Browser) -> int:
    """The page's bytes without what its <video> element streamed (see the module's docstring)."""
    return int(
        browser.script(
            "const nav = performance.getEntriesByType('navigation')[0];"
            "return (nav ? (nav.transferSize || nav.encodedBodySize) : 0) + performance.getEntriesByType('resource')"
            ".filter(r => r.initiatorType !== 'video').reduce((s, r) => s + (r.transferSize || r.encodedBodySize || 0), 0);"
        )
    )


def until(check: Any, timeout: float = 30, what: str = "") -> Any:
    """Poll a browser-side condition (Selenium is synchronous)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}: last={last!r}")


def checked(browser: Browser, name: str, *, media: bool = False) -> None:
    """What every page owes: nothing from another host, no accessibility violation, under 300 KB, a screenshot."""
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    weight = weight_without_media(browser) if media else browser.page_weight()
    assert 0 < weight < 300_000, weight
    browser.screenshot(name)


async def test_a_video_is_made_reviewed_approved_and_played_from_its_pages(system: System, browser: Browser) -> None:
    await system.emit(article("dv-1", site_id=SITE, title="Replay, narrated", html=HTML))

    async def published() -> Any:
        return await system.sql("SELECT 1 FROM contents WHERE content_id = 'dv-1'")

    await eventually(published, timeout=60, what="the article in the read model")

    browser.driver.delete_all_cookies()
    browser.open("/video/dashboard")
    browser.sign_in(system.keys[SITE])
    assert browser.find("h1").text == "Video"
    assert browser.find('[data-status="ready"]').text == "0"

    # ---- create: a wrong content id is refused at its field, the article's makes a project in review
    browser.open("/video/create")
    assert "dv-1" in [o.get_attribute("value") for o in browser.find_all("#articles option")]
    checked(browser, "video-create")
    field = browser.find("#content_id")
    field.clear()
    field.send_keys("no-such-article")
    browser.find("#create-video button[type=submit]").click()
    until(lambda: browser.find("#content_id-error").text, what="the refusal at the field")
    assert "content_id" in browser.find("#content_id-error").text and field.get_attribute("aria-invalid") == "true"
    field.clear()
    field.send_keys("dv-1")
    browser.find("#create-video button[type=submit]").click()
    until(lambda: "/video/projects/" in browser.driver.current_url, what="the project's page")
    pid = browser.driver.current_url.rsplit("/", 1)[1]
    browser.wait_for("form.section")

    # ---- the script editor: the validator's 422 at the field, an edit, a regenerated section
    assert browser.find("#project-status").text == "script review" and browser.find("#revision").text == "1"
    sections = browser.find_all("form.section")
    assert len(sections) >= 2 and "hook" in sections[0].find_element("css selector", "legend").text
    checked(browser, "video-project-script")
    hook = browser.find("#text-0")
    hook.clear()
    browser.find("form.section[data-index='0'] button.save").click()
    until(lambda: browser.find("#err-0").text, what="the 422 at the section's field")
    assert "sections.0.text" in browser.find("#err-0").text and hook.get_attribute("aria-invalid") == "true"
    hook.send_keys("Logs never forget.")
    browser.find("form.section[data-index='0'] button.save").click()
    until(lambda: browser.find("#revision").text == "2", what="revision 2 after the edit")
    assert browser.find("#text-0").get_attribute("value") == "Logs never forget."
    last = len(browser.find_all("form.section")) - 1
    before = browser.find(f"#text-{last}").get_attribute("value")
    browser.find(f"form.section[data-index='{last}'] button.regenerate").click()
    until(lambda: browser.find("#revision").text == "3", what="revision 3 after regenerating")
    assert browser.find(f"#text-{last}").get_attribute("value") != before
    assert browser.find("#text-0").get_attribute("value") == "Logs never forget."  # every other section as it was

    # ---- approve from the page: the writer decides it, the render starts
    browser.find("#approve").click()
    until(lambda: browser.find("#project-status").text in ("rendering", "ready"), what="the render to start")
    async with system.client(SITE, timeout=30) as api:
        script = (await api.get(f"/api/v1/video/projects/{pid}/script/")).json()
        assert script["approved"] and script["revision"] == 3

        async def ready() -> Any:
            got = (await api.get(f"/api/v1/video/projects/{pid}/")).json()
            return got if got["status"] not in ("rendering", "approved") else None

        project = await eventually(ready, timeout=300, every=2, what="the video to be rendered")
        assert project["status"] == "ready", project

        async def drafted() -> Any:
            got = (await api.get(f"/api/v1/video/projects/{pid}/publish-status/")).json()["results"]
            return got if len(got) == 3 else None

        posts = await eventually(drafted, timeout=120, every=2, what="a video post per platform")

    # ---- the player plays the rendered video, with its captions from the same origin
    refused = browser.console_errors()  # the two refusals above (the 404 and the 422) the browser logged
    assert len(refused) == 2 and all("status of 4" in e for e in refused), refused
    browser.open(f"/video/projects/{pid}")
    assert browser.find("#project-status").text == "ready"
    player = browser.find("video#player")
    track = player.find_element("css selector", "track[kind=captions]")
    assert track.get_attribute("src").startswith(system.api) and track.get_attribute("src").endswith(".vtt")
    assert player.get_attribute("src").startswith(system.api + "/")
    browser.script(
        "const v = document.getElementById('player'); v.muted = true; window.__played = v.play().then(() => 'ok', e => String(e));"
    )
    until(lambda: browser.script("return document.getElementById('player').readyState") >= 2, what="the video's data")
    start = browser.script("return document.getElementById('player').currentTime")
    until(lambda: browser.script("return document.getElementById('player').currentTime") > start + 0.2, what="the video to play on")
    assert browser.script("return document.getElementById('player').error") is None
    cues = until(
        lambda: browser.script("const t = document.getElementById('player').textTracks[0]; return t && t.cues ? t.cues.length : 0"),
        what="the captions' cues",
    )
    assert cues > 0
    assert browser.script("return document.getElementById('player').textTracks[0].kind") == "captions"
    browser.script("document.getElementById('player').pause()")
    # Its renders and its post on each platform.
    assert browser.find("#renders tbody tr td").text == "3"
    shown = {r.get_attribute("data-platform"): r.text for r in browser.find_all("#publish-status tbody tr")}
    async with system.client(SITE, timeout=30) as api:  # the posts go on (scheduled, publishing, …) while the page loads
        now = (await api.get(f"/api/v1/video/projects/{pid}/publish-status/")).json()["results"]
    for p in posts:
        seen = {p["status"].replace("_", " "), *(q["status"].replace("_", " ") for q in now if q["platform"] == p["platform"])}
        assert any(status in shown[p["platform"]] for status in seen), (shown, seen)
    assert set(shown) == {"youtube", "instagram", "tiktok"}
    assert browser.console_errors() == []
    checked(browser, "video-project", media=True)

    # ---- the overview and the list, with the status filter
    browser.open("/video/dashboard")
    assert browser.find('[data-status="ready"]').text == "1"
    assert "Replay, narrated" in browser.find("#recent-renders").text
    assert {r.get_attribute("data-platform") for r in browser.find_all("#video-platforms tbody tr")} == {"youtube", "instagram", "tiktok"}
    checked(browser, "video-dashboard")

    browser.open("/video/projects?status=ready")
    assert [r.get_attribute("data-project-id") for r in browser.find_all("#projects tbody tr")] == [pid]
    assert browser.find("#status option[selected]").get_attribute("value") == "ready"
    checked(browser, "video-projects")
    browser.open("/video/projects?status=failed")
    assert browser.find_all("#projects") == [] and "No project is failed" in browser.find("main").text


async def test_another_sites_project_is_not_found_and_a_reader_cannot_create(system: System, browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/video/projects/nothing-here")
    browser.sign_in(system.keys["dash-read"])
    assert browser.find("h1").text == "No such video project"
    browser.open("/video/create")
    assert browser.find("#create-video button[type=submit]").get_attribute("disabled") is not None
    browser.driver.delete_all_cookies()
