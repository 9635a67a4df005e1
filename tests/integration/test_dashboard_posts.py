"""Posts in a real browser: the list with its filters and bulk review, each platform's preview (X's
weighted count and thread, LinkedIn's fold, Instagram's crop and hashtags, Facebook, TikTok), the
validator's 422 shown at its field, and a post awaiting review approved from its page until it is
published. Site ``dash`` (America/New_York)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from domain.post.limits import x_weighted_length
from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration

POSTS = "/api/v1/social/posts/"
LONG = (
    "Event sourcing changed how we think about scheduling. Every decision is an event, every read a projection,"
    " and every retry is safe because the writer dedupes on the command id. Here is what we learned after a year"
    " in production, and what we would do differently next time."
)


async def make(system: System, account: str, text: str, **extra: Any) -> str:
    async with system.client("dash") as c:
        body = {"site_id": "dash", "account_id": system.accounts[account], "text": text, **extra}
        r = await c.post(POSTS + "?wait=true", json=body)
        assert r.status_code == 202, r.text
        return str(r.json()["post_id"])


async def status_of(system: System, pid: str) -> str:
    async with system.client("dash") as c:
        return str((await c.get(f"{POSTS}{pid}/")).json()["status"])


async def reached(system: System, pid: str, *statuses: str) -> bool:
    return await status_of(system, pid) in statuses


def check_page(browser: Browser, name: str) -> None:
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    assert browser.page_weight() < 300_000
    browser.screenshot(name)


def signed_in(browser: Browser, system: System, path: str) -> None:
    browser.open(path)
    if "/socializer/login" in browser.driver.current_url:
        browser.sign_in(system.keys["dash"])


def test_the_list_filters_and_reviews_in_bulk(system: System, browser: Browser) -> None:
    word = "Bulkreview"
    keep = [asyncio.run(make(system, "dash-review", f"{word} post {i} for the list")) for i in range(2)]
    drop = [asyncio.run(make(system, "dash-review", f"{word} post {i} to reject")) for i in range(2, 4)]
    browser.driver.delete_all_cookies()
    signed_in(browser, system, f"/socializer/posts?account_id={system.accounts['dash-review']}&status=draft&q={word}")
    rows = browser.find_all("table.posts tbody tr[data-post]")
    assert {r.get_attribute("data-post") for r in rows} == set(keep + drop), "the filters keep exactly the matching posts"
    assert all("awaiting review" in r.text for r in rows)
    check_page(browser, "posts")

    # Keyboard: tick two posts with the space bar, then the bulk bar's Reject.
    for pid in drop:
        box = browser.find(f'input.pick[value="{pid}"]')
        box.send_keys(" ")
        assert box.is_selected()
    assert browser.find("#bulk-count").text == "2 selected"
    browser.find("#bulk-reason").send_keys("off brand")
    browser.find("#bulk-reject").click()
    for pid in drop:
        asyncio.run(eventually(lambda pid=pid: reached(system, pid, "cancelled"), timeout=30, what=f"{pid} rejected"))

    WebDriverWait(browser.driver, 30).until(lambda d: len(browser.find_all("table.posts tbody tr[data-post]")) == 2)
    browser.find("#pick-all").click()
    browser.find("#bulk-approve").click()
    for pid in keep:
        asyncio.run(
            eventually(lambda pid=pid: reached(system, pid, "scheduled", "publishing", "published"), timeout=60, what=f"{pid} approved")
        )


def test_each_platform_is_previewed_as_it_shows_posts(system: System, browser: Browser) -> None:
    image = f"{system.api}/static/favicon.svg"
    thread = [
        "A thread about weighted counts: links are 23, emoji 2 🎉",
        "Second post: https://example.com/a/very/long/path/of/the/article",
    ]
    x = asyncio.run(make(system, "dash-x", thread[0], thread=thread))
    li = asyncio.run(make(system, "dash-review", LONG))
    ig = asyncio.run(make(system, "dash-instagram", "A quote card from the article #EventSourcing", hashtags=["Kafka"], media_urls=[image]))
    fb = asyncio.run(make(system, "dash-facebook", "Facebook shows the whole text #Postgres"))
    tt = asyncio.run(make(system, "dash-tiktok", "A caption over the video #Streams", media_urls=[image]))

    signed_in(browser, system, f"/socializer/posts/{x}")
    tweets = browser.find_all(".x-thread .x-post")
    assert len(tweets) >= 2

    async def stored() -> list[str]:
        async with system.client("dash") as c:
            return list((await c.get(f"{POSTS}{x}/")).json()["thread"])

    for el, text in zip(tweets, asyncio.run(stored()), strict=True):
        assert el.find_element("css selector", ".count").text.startswith(f"{x_weighted_length(text)}/280")
    check_page(browser, "post-x")

    browser.open(f"/socializer/posts/{li}")
    more = browser.find(".seemore")
    assert browser.find("#li-rest").get_attribute("hidden") is not None and more.text == "…see more"
    shown = browser.find(".li-text").text
    assert len(shown.replace("…see more", "").strip()) <= 215
    more.click()
    assert browser.find("#li-rest").is_displayed() and more.get_attribute("aria-expanded") == "true"
    check_page(browser, "post-linkedin")

    browser.open(f"/socializer/posts/{ig}")
    frame = browser.find("#ig-frame")
    assert "portrait" in frame.get_attribute("class")
    width, height = frame.size["width"], frame.size["height"]
    assert abs(height / width - 5 / 4) < 0.02, "Instagram's 4:5 crop"
    browser.find('[data-crop="square"]').click()
    assert abs(frame.size["height"] / frame.size["width"] - 1) < 0.02
    tags = [t.text for t in browser.find_all(".ig-caption .tag")]
    assert "#EventSourcing" in tags and "#Kafka" in tags
    check_page(browser, "post-instagram")

    browser.open(f"/socializer/posts/{fb}")
    assert "Facebook shows the whole text" in browser.find(".fb-text").text
    check_page(browser, "post-facebook")
    browser.open(f"/socializer/posts/{tt}")
    assert "#Streams" in browser.find(".tt-caption").text
    check_page(browser, "post-tiktok")


def test_a_refused_edit_is_shown_at_its_field_and_an_approved_post_is_published(system: System, browser: Browser) -> None:
    pid = asyncio.run(make(system, "dash-review", "Waiting for a person to approve it"))
    signed_in(browser, system, f"/socializer/posts/{pid}")
    assert "awaiting review" in browser.find("h1 + p").text
    assert browser.find("#status").text == "draft"

    tags = browser.find("#e-hashtags")
    tags.clear()
    tags.send_keys("!!")
    browser.find("#edit button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda _: tags.get_attribute("aria-invalid") == "true")
    message = browser.find("#err-hashtags")
    assert message.is_displayed() and "not a hashtag" in message.text
    assert tags.get_attribute("aria-describedby") == "err-hashtags"
    assert browser.axe() == []
    browser.screenshot("post-invalid")

    text = browser.find("#e-text")
    text.clear()
    text.send_keys("Approved from its page")
    tags.clear()
    browser.find("#edit button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda _: "Approved from its page" in browser.find(".li-text").text)

    browser.script("document.getElementById('when').value = 'now'; document.getElementById('when').dispatchEvent(new Event('change'))")
    browser.find("#approve").click()
    asyncio.run(eventually(lambda: reached(system, pid, "published"), timeout=90, what="the approved post published"))
    browser.open(f"/socializer/posts/{pid}")
    assert browser.find("#status").text == "published"
    assert "approved" in browser.find(".history").text and "published" in browser.find(".history").text
    check_page(browser, "post-published")
