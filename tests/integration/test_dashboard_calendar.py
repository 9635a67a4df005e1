"""The calendar in a real browser: posts on their local days and hours, the learner's ghosts, a post
dragged to another day rescheduled through the API (If-Match), a drop inside another post's cooldown
answered with the 409's conflicting post and next free slot, and the keyboard's Move instead of a drag.

Site ``dashcal`` (America/New_York) has one X account with a 4 h cooldown and learned slots."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
POSTS = "/api/v1/social/posts/"
# A month well ahead, so nothing the scheduler does today lands in it.
BASE = (datetime.now(NY).date() + timedelta(days=45)).replace(day=10)
D1, D2, D3, D4 = BASE, BASE + timedelta(days=1), BASE + timedelta(days=3), BASE + timedelta(days=5)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY)


async def make(system: System, text: str, when: datetime | None) -> str:
    async with system.client("dashcal") as c:
        body = {"site_id": "dashcal", "account_id": system.accounts["dashcal-x"], "text": text}
        r = await c.post(POSTS + "?wait=true", json=body)
        assert r.status_code == 202, r.text
        pid = str(r.json()["post_id"])
        if when is not None:
            s = await c.post(f"{POSTS}{pid}/schedule/?wait=true", json={"scheduled_at": when.isoformat()})
            assert s.status_code == 202, s.text
        return pid


async def read(system: System, pid: str) -> dict[str, Any]:
    async with system.client("dashcal") as c:
        r = await c.get(f"{POSTS}{pid}/")
        assert r.status_code == 200
        return dict(r.json())


async def scheduled_at(system: System, pid: str, want: datetime) -> bool:
    got = (await read(system, pid))["scheduled_at"]
    return got is not None and datetime.fromisoformat(got.replace("Z", "+00:00")) == want


def drag(browser: Browser, post_id: str, cell_css: str) -> None:
    """Drag a post's chip onto a cell as a person's mouse does: dragstart on the chip, dragover and
    drop on the cell, sharing one DataTransfer (Selenium cannot drive HTML5 drag and drop itself)."""
    browser.script(
        """
        const [chip, cell] = [document.querySelector(`.cal .chip[data-post="${arguments[0]}"]`), document.querySelector(arguments[1])];
        const dt = new DataTransfer();
        chip.dispatchEvent(new DragEvent("dragstart", {bubbles: true, cancelable: true, dataTransfer: dt}));
        cell.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
        cell.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
        chip.dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
        """,
        post_id,
        cell_css,
    )


def in_cell(browser: Browser, day: date, post_id: str) -> bool:
    return bool(browser.find_all(f'.cal td[data-date="{day.isoformat()}"] .chip[data-post="{post_id}"]'))


def check_page(browser: Browser, name: str) -> None:
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    assert browser.page_weight() < 300_000
    assert browser.console_errors() == []
    browser.screenshot(name)


def test_the_month_shows_posts_and_ghosts_and_a_dragged_post_is_rescheduled(system: System, browser: Browser) -> None:
    one = asyncio.run(make(system, "Dragged from one day to the next", at(D1, 10)))
    aside = asyncio.run(make(system, "A draft without a time yet", None))
    browser.driver.delete_all_cookies()
    browser.open(f"/socializer/calendar?view=month&date={BASE.isoformat()}")
    browser.sign_in(system.keys["dashcal"])
    browser.wait_for(".cal.month")
    assert BASE.strftime("%B %Y") in browser.find("h1").text
    assert in_cell(browser, D1, one), "the post is on its local day"
    assert "10:00" in browser.find(f'.chip[data-post="{one}"]').text
    assert browser.find_all(f'.aside .chip[data-post="{aside}"]'), "a draft without a time is listed aside"
    ghosts = browser.find_all(".cal .ghost")
    assert ghosts and "proposed for" in ghosts[0].text and "engagement" in ghosts[0].text, "the learner's slots show with their why"
    check_page(browser, "calendar-month")

    drag(browser, one, f'.cal td[data-date="{D2.isoformat()}"]')
    asyncio.run(eventually(lambda: scheduled_at(system, one, at(D2, 10)), timeout=30, what="the dragged post's new time"))
    WebDriverWait(browser.driver, 30).until(lambda _: in_cell(browser, D2, one))

    # The keyboard's way: Move opens a date-time field; the draft is scheduled where it says.
    browser.find(f'.aside .chip[data-post="{aside}"] button.move').click()
    field = browser.wait_for("#mover-at")
    assert field == browser.driver.switch_to.active_element
    browser.script("arguments[0].value = arguments[1]", field, f"{D4.isoformat()}T14:30")
    browser.find("#mover-form button[type=submit]").click()
    asyncio.run(eventually(lambda: scheduled_at(system, aside, at(D4, 14, 30)), timeout=30, what="the moved draft's time"))
    WebDriverWait(browser.driver, 30).until(lambda _: in_cell(browser, D4, aside))


def test_a_drop_inside_another_posts_cooldown_shows_the_409_and_the_next_free_slot(system: System, browser: Browser) -> None:
    mover = asyncio.run(make(system, "Wants the afternoon", at(D3, 8)))
    holder = asyncio.run(make(system, "Holds the afternoon", at(D3, 15)))

    # The API's problem names the post in the way and the next free slot, not only in its detail.
    async def refused() -> dict[str, Any]:
        async with system.client("dashcal") as c:
            r = await c.post(f"{POSTS}{mover}/schedule/", json={"scheduled_at": at(D3, 16).isoformat()})
            assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
            return dict(r.json())

    problem = asyncio.run(refused())
    assert problem["type"].endswith("/schedule_conflict") and problem["field"] == "scheduled_at"
    conflict = problem["conflict"]
    assert conflict["post_id"] == holder and datetime.fromisoformat(conflict["at"]) == at(D3, 15)
    assert "cooldown" in conflict["reason"] and conflict["next_free_slot"] is not None
    free = datetime.fromisoformat(conflict["next_free_slot"])
    assert free - at(D3, 15) >= timedelta(hours=4)

    browser.open(f"/socializer/calendar?view=week&date={D3.isoformat()}")
    if "/socializer/login" in browser.driver.current_url:
        browser.sign_in(system.keys["dashcal"])
    browser.wait_for(".cal.hours")
    assert browser.find_all(f'.cal td[data-date="{D3.isoformat()}"][data-hour="8"] .chip[data-post="{mover}"]')
    check_page(browser, "calendar-week")

    drag(browser, mover, f'.cal td[data-date="{D3.isoformat()}"][data-hour="16"]')
    box = browser.wait_for("#conflict:not([hidden])")
    text = browser.find("#conflict-text").text
    assert "conflicts with post " + holder in text and "next free slot" in text and "cooldown" in text
    assert browser.find("#conflict-post").get_attribute("href").endswith(f"/socializer/posts/{holder}")
    assert box.is_displayed()
    assert asyncio.run(scheduled_at(system, mover, at(D3, 8))), "a refused drop changes nothing"
    assert all("409" in e for e in browser.console_errors()), "the browser logs the refused request, and nothing else"
    browser.screenshot("calendar-conflict")

    browser.find("#conflict-free").click()
    asyncio.run(eventually(lambda: scheduled_at(system, mover, free), timeout=30, what="the post at the next free slot"))


def test_the_day_and_list_views_show_the_same_posts(system: System, browser: Browser) -> None:
    pid = asyncio.run(make(system, "Seen by day and in the list", at(D1, 18, 45)))
    browser.open(f"/socializer/calendar?view=day&date={D1.isoformat()}")
    if "/socializer/login" in browser.driver.current_url:
        browser.sign_in(system.keys["dashcal"])
    chip = browser.wait_for(f'.cal td[data-hour="18"] .chip[data-post="{pid}"]')
    assert "18:45" in chip.text and D1.strftime("%A") in browser.find("h1").text
    check_page(browser, "calendar-day")

    browser.open(f"/socializer/calendar?view=list&date={D1.isoformat()}")
    row = browser.wait_for(f'.cal.list td[data-date="{D1.isoformat()}"]')
    assert pid in row.get_attribute("innerHTML") and "Seen by day" in row.text
    check_page(browser, "calendar-list")
