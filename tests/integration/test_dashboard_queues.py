"""The queues pages in a real browser (site ``dashq``, America/Los_Angeles): a queue made from the
page's form is listed (a bad RRULE refused at its field first); two items added on its page, the
second given priority, go second-first; a pause sent on a version someone changed since shows the
409, then pause and resume work; what a queue posted links to the post's page; another site's queue
is a "Not found" page; a read-only key sees the pages without their actions. Every page asks nothing
of another host, is clean under axe, weighs under 300 KB, logs no console error and is kept as a
screenshot."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
API = "/api/v1/social/queues/"
PAGES = "/socializer/queues"
# Occurrences that cannot fall inside a test run: 29 February, or a weekly rule from 2030 on.
LEAP_DAY = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0"
WEEKLY = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=0"


async def _decided(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A command's answer once the queues' writer decided (the first may find it still joining)."""

    async def answer() -> httpx.Response | None:
        r = await send()
        return None if r.status_code == 202 else r

    got: httpx.Response = await eventually(answer, timeout=90, every=1, what="the queues' writer to decide")
    return got


async def _queue(system: System, name: str, items: tuple[str, ...] = (), **rule: str) -> str:
    """A queue on dashq's X account through the API: by default Berlin's Monday, Wednesday and Friday
    09:00 from 2030 on."""
    body = {
        "account_id": system.accounts["dq-x"],
        "name": name,
        "rrule": WEEKLY,
        "tzid": "Europe/Berlin",
        "starts_at": "2030-01-01T00:00:00+00:00",
        "items": [{"item_id": f"i{n}", "text": text} for n, text in enumerate(items)],
        **rule,
    }
    key = f"dq-{uuid.uuid4().hex}"
    async with system.client("dashq") as c:
        r = await _decided(lambda: c.post(API, json=body, headers={"Idempotency-Key": key}))
    assert r.status_code == 201, r.text
    return str(r.json()["queue_id"])


async def _read(system: System, qid: str) -> dict[str, Any]:
    async with system.client("dashq") as c:
        r = await c.get(f"{API}{qid}/")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_queue_made_on_the_page_is_listed_and_its_prioritised_item_goes_first(system: System, browser: Browser) -> None:
    browser.sign_in(system.keys["dashq"])
    browser.open(PAGES)
    assert browser.find("h1").text == "Queues"
    assert browser.find('nav[aria-label="Main"] a[aria-current="page"]').text == "Queues"
    assert browser.find("#q-tzid").get_attribute("value") == "America/Los_Angeles", "the site's zone by default"
    browser.owes("queues-form")

    # An RRULE the API refuses: its 422 at the field, nothing made.
    name = f"Leap-day tips {uuid.uuid4().hex[:6]}"
    browser.find("#q-name").send_keys(name)
    Select(browser.find("#q-account_id")).select_by_value(system.accounts["dq-x"])
    browser.find("#q-rrule").clear()
    browser.find("#q-rrule").send_keys("FREQ=FORTNIGHTLY")
    browser.find("#queue-form button[type=submit]").click()
    WebDriverWait(browser.driver, 90).until(lambda d: "rrule" in browser.find("#q-rrule-error").text)
    assert browser.find("#q-rrule").get_attribute("aria-invalid") == "true"
    assert all("422" in m for m in browser.console_errors()), "the refusal is the only error (drained here)"

    # The rule fixed: the queue is made and its page opens.
    browser.find("#q-rrule").clear()
    browser.find("#q-rrule").send_keys(LEAP_DAY)
    browser.follow("#queue-form button[type=submit]", timeout=90)
    assert browser.find("h1").text == name
    box = browser.find("#queue")
    qid = box.get_attribute("data-queue-id")
    assert browser.driver.current_url.endswith(f"{PAGES}/{qid}")
    assert browser.find("#queue-status").get_attribute("data-status") == "active"
    assert "Every year on the 29th in February at 09:00" in browser.find("#queue-schedule").text
    assert "America/Los_Angeles" in browser.find("#queue-schedule").text
    first = browser.find("#queue-next li").text
    assert "29 Feb" in first and first.endswith("09:00"), first  # in the site's zone, the queue's too here

    # Listed, with its account, kind, schedule, next occurrence, status and counts.
    browser.open(PAGES)
    row = browser.find(f'tr.queue-row[data-queue-id="{qid}"]')
    assert name in row.text and "dq_x" in row.text and "(x)" in row.text
    assert row.find_element("css selector", "[data-kind]").text == "fifo"
    assert LEAP_DAY in row.find_element("css selector", ".schedule").text
    assert "29 Feb" in row.find_element("css selector", ".next").text
    assert row.find_element("css selector", "[data-status]").get_attribute("data-status") == "active"
    assert (row.find_element("css selector", ".items").text, row.find_element("css selector", ".posted").text) == ("0", "0")
    browser.owes("queues")

    # Its page: an empty text is the API's 422 at its field; two items; the second given priority goes first.
    browser.follow(f'tr.queue-row[data-queue-id="{qid}"] a')
    browser.find("#item-form button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda d: "text" in browser.find("#i-text-error").text)
    assert browser.find("#i-text").get_attribute("aria-invalid") == "true"
    assert all("422" in m for m in browser.console_errors())
    # More than X takes: refused as it is added, at its field (not held later at its occurrence)
    browser.find("#i-text").send_keys("Tip zero: " + "write less. " * 30)
    browser.find("#item-form button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda d: "over x's 280" in browser.find("#i-text-error").text)
    assert all("422" in m for m in browser.console_errors())
    browser.find("#i-text").clear()
    for text in ("Tip one: write the headline last.", "Tip two: one idea per post."):
        browser.find("#i-text").send_keys(text)
        browser.follow("#item-form button[type=submit]", timeout=90)
    order = [r.get_attribute("data-item-id") for r in browser.find_all("tr.queue-item")]
    texts = [r.find_element("css selector", ".item-text").text for r in browser.find_all("tr.queue-item")]
    assert texts == ["Tip one: write the headline last.", "Tip two: one idea per post."]
    browser.follow(f'tr.queue-item[data-item-id="{order[1]}"] .priority-button')
    rows = browser.find_all("tr.queue-item")
    assert [r.get_attribute("data-item-id") for r in rows] == [order[1], order[0]]
    assert rows[0].get_attribute("data-priority") == "true" and "priority" in rows[0].text
    read = await _read(system, qid)
    assert [i["item_id"] for i in read["items"]] == [order[1], order[0]] and read["version"] == 4
    assert browser.find("#queue").get_attribute("data-version") == "4"
    browser.owes("queue")


async def test_a_pause_on_a_stale_version_shows_the_409_then_pause_and_resume_work(system: System, browser: Browser) -> None:
    qid = await _queue(system, "Weekly in Berlin", ("From the API",))
    browser.sign_in(system.keys["dashq"])
    browser.open(f"{PAGES}/{qid}")
    shown = browser.find("#queue").get_attribute("data-version")
    assert "Every week on Monday, Wednesday and Friday at 09:00" in browser.find("#queue-schedule").text
    # 09:00 in Berlin is midnight in Los Angeles: the next occurrences are in the site's zone.
    assert browser.find("#queue-next li").text.endswith("00:00")

    # Someone adds an item meanwhile: the page's version is stale, and its pause is refused with the 409.
    async with system.client("dashq") as c:
        r = await _decided(lambda: c.post(f"{API}{qid}/items/", json={"text": "Added elsewhere"}, headers={"Idempotency-Key": qid}))
        assert r.status_code == 201, r.text
    browser.find("#pause-button").click()
    WebDriverWait(browser.driver, 30).until(lambda d: "If-Match" in browser.find("#queue-error").text)
    assert f"not {shown}" in browser.find("#queue-error").text
    assert (await _read(system, qid))["status"] == "active"
    assert all("409" in m for m in browser.console_errors()), "the conflict is the only error (drained here)"

    # On the page read again: paused (no occurrence ahead), then resumed.
    browser.open(f"{PAGES}/{qid}")
    assert "Added elsewhere" in browser.find("table.queue-items").text
    browser.follow("#pause-button", timeout=90)
    assert browser.find("#queue-status").get_attribute("data-status") == "paused"
    assert "none while paused" in browser.find("#queue-next").text
    assert browser.find("#resume-button").is_enabled() and not browser.find("#pause-button").is_enabled()
    assert (await _read(system, qid))["status"] == "paused"
    browser.owes("queue-paused")
    browser.follow("#resume-button", timeout=90)
    assert browser.find("#queue-status").get_attribute("data-status") == "active"
    assert len(browser.find_all("#queue-next li")) == 5
    after = await _read(system, qid)
    assert after["status"] == "active" and str(after["version"]) == browser.find("#queue").get_attribute("data-version")


async def test_another_sites_queue_is_not_found_and_a_read_only_key_sees_no_action(system: System, browser: Browser) -> None:
    qid = await _queue(system, "Read-only view", ("One", "Two"))

    browser.sign_in(system.keys["dash"])  # another site's key
    browser.open(f"{PAGES}/{qid}")
    assert browser.find("h1").text == "Not found" and qid not in browser.driver.page_source
    browser.open(PAGES)
    assert not browser.find_all(f'tr.queue-row[data-queue-id="{qid}"]')
    with httpx.Client(base_url=system.api) as c:
        assert c.post("/socializer/login", data={"api_key": system.keys["dash"]}).status_code == 303
        assert c.get(f"{PAGES}/{qid}").status_code == 404
        assert c.get(f"{PAGES}/no-such-queue").status_code == 404

    browser.reset()
    browser.sign_in(system.keys["dashq-read"])
    browser.open(PAGES)
    assert browser.find_all(f'tr.queue-row[data-queue-id="{qid}"]') and not browser.find_all("#queue-form")
    browser.open(f"{PAGES}/{qid}")
    assert [r.find_element("css selector", ".item-text").text for r in browser.find_all("tr.queue-item")] == ["One", "Two"]
    for action in ("#pause-button", "#resume-button", "#item-form", ".priority-button", "#queue button", "main form"):
        assert not browser.find_all(action), f"{action} is offered to a read-only key"
    browser.owes("queue-read-only")


async def test_what_a_queue_posted_links_to_the_posts_page(system: System, browser: Browser) -> None:
    # An occurrence five minutes ahead is within the lead: the leader's next tick makes it a scheduled post.
    when = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    rule = f"FREQ=DAILY;BYHOUR={when.hour};BYMINUTE={when.minute};BYSECOND={when.second}"
    qid = await _queue(
        system,
        "Posts soon",
        ("Queued on the page's behalf", "Waits for tomorrow"),
        rrule=rule,
        tzid="UTC",
        starts_at=datetime.now(UTC).isoformat(),
    )

    async def posted() -> dict[str, Any] | None:
        q = await _read(system, qid)
        if not q["posted"]:
            return None
        async with system.client("dashq") as c:
            return q if (await c.get(f"/api/v1/social/posts/{q['last_post_id']}/")).status_code == 200 else None

    q = await eventually(posted, timeout=90, every=1, what="the occurrence's post")
    browser.sign_in(system.keys["dashq"])
    browser.open(f"{PAGES}/{qid}")
    assert browser.find("#queue-posted .posted").text == "1"
    assert rule in browser.find("#queue-schedule").text and "Every" not in browser.find("#queue-schedule").text, "BYSECOND: the RRULE alone"
    assert [r.find_element("css selector", ".item-text").text for r in browser.find_all("tr.queue-item")] == ["Waits for tomorrow"]
    link = browser.find("#last-post a")
    assert link.text == "Queued on the page's behalf" and link.get_attribute("href").endswith(f"/socializer/posts/{q['last_post_id']}")
    browser.owes("queue-posted")
    browser.follow("#last-post a")
    assert browser.driver.current_url.endswith(f"/socializer/posts/{q['last_post_id']}")
    assert "Queued on the page's behalf" in browser.find("main").text
