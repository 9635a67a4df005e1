"""The webhooks and notifications pages in a real browser: an endpoint added on the page is listed
(its secret shown that once, never on a page again), a test event sent from its page shows its
delivery (the answer's status code, the attempts), the secret is rotated and the endpoint deleted
there; an endpoint that answers 410 is disabled and becomes a notification, marked read on the
notifications page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
HOOKS = "/api/v1/social/webhooks/"
NOTES = "/api/v1/social/notifications/"


class _Answer(BaseHTTPRequestHandler):
    """``/ok`` answers 200, ``/gone`` 410; each request is counted by path."""

    got: dict[str, int] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
        self.rfile.read(int(self.headers.get("content-length", 0)))
        _Answer.got[self.path] = _Answer.got.get(self.path, 0) + 1
        self.send_response(410 if self.path == "/gone" else 200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    """A receiver on its own thread (the browser's waits block the test's event loop)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_an_endpoint_added_on_the_page_is_listed_delivered_to_rotated_and_deleted(
    system: System, browser: Browser, receiver: str
) -> None:
    browser.sign_in(system.keys["dash"])
    browser.open("/socializer/webhooks")
    # An address the outbound guard refuses is refused at its field.
    browser.find("#w-url").send_keys("http://169.254.169.254/latest/meta-data")
    browser.find("#webhook-form button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda d: "url" in browser.find("#w-url-error").text)
    assert all("422" in m for m in browser.console_errors()), "the refusal is the only error (drained here)"
    browser.find("#w-url").clear()
    url = receiver + "/ok"
    browser.find("#w-url").send_keys(url)
    browser.find("#w-description").send_keys("made on the page")
    browser.find("#webhook-form button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda d: browser.find("#secret").text.startswith("whsec_"))
    secret = browser.find("#secret").text
    async with system.client("dash") as c:
        listed = [w for w in (await c.get(HOOKS)).json()["results"] if w["url"] == url]
    assert len(listed) == 1 and listed[0]["description"] == "made on the page"
    wid = listed[0]["id"]
    try:
        # Listed by the server, never with its secret.
        browser.open("/socializer/webhooks")
        row = browser.find(f'tr.endpoint[data-endpoint-id="{wid}"]')
        assert url in row.text and row.find_element("css selector", ".badge").get_attribute("data-status") == "enabled"
        assert secret not in browser.driver.page_source and "whsec_" not in browser.driver.page_source
        browser.owes("webhooks")

        # Its page: a test event, delivered (200, one attempt).
        row.find_element("css selector", "a").click()
        browser.wait_for("#test-button").click()

        async def delivered() -> list[dict[str, Any]] | None:
            async with system.client("dash") as c:
                rows = (await c.get(f"{HOOKS}{wid}/deliveries/")).json()["results"]
            return rows if rows and rows[0]["status"] == "delivered" else None

        [d] = await eventually(delivered, timeout=60, what="the test event delivered")
        browser.open(f"/socializer/webhooks/{wid}")
        shown = browser.find(f'tr.delivery[data-event-id="{d["event_id"]}"]')
        assert shown.find_element("css selector", ".badge").get_attribute("data-status") == "delivered"
        assert shown.find_element("css selector", ".http-status").text.startswith("200")
        assert shown.find_element("css selector", ".attempts").text == "1"
        assert "webhook.test" in shown.text and _Answer.got.get("/ok", 0) >= 1
        assert "whsec_" not in browser.driver.page_source
        browser.owes("webhook")

        # Rotate: a new secret, shown once; the old one signs beside it for 24 h.
        browser.script("window.confirm = () => true;")
        browser.find("#rotate-button").click()
        WebDriverWait(browser.driver, 30).until(lambda d: browser.find("#secret").text.startswith("whsec_"))
        assert browser.find("#secret").text != secret
        async with system.client("dash") as c:
            assert (await c.get(f"{HOOKS}{wid}/")).json()["previous_secret_until"]

        # Delete from its page: gone from the list and from the API.
        browser.script("window.confirm = () => true;")
        browser.find("#delete-button").click()
        WebDriverWait(browser.driver, 30).until(lambda d: d.current_url.endswith("/socializer/webhooks"))
        assert not browser.find_all(f'tr.endpoint[data-endpoint-id="{wid}"]')
        async with system.client("dash") as c:
            assert (await c.get(f"{HOOKS}{wid}/")).status_code == 404
    finally:
        async with system.client("dash") as c:
            await c.delete(f"{HOOKS}{wid}/")


async def test_a_disabled_endpoint_is_a_notification_marked_read_on_the_page(system: System, browser: Browser, receiver: str) -> None:
    async with system.client("dash") as c:
        r = await c.post(HOOKS, json={"url": receiver + "/gone", "event_types": ["*"], "description": "gone"})
        assert r.status_code == 201, r.text
        wid = r.json()["id"]
        try:
            assert (await c.post(f"{HOOKS}{wid}/test/")).status_code == 202

            async def raised() -> list[dict[str, Any]] | None:
                rows = (await c.get(NOTES, params={"kind": "webhook_disabled"})).json()["results"]
                return [n for n in rows if wid in n["subject"] or wid in n["detail"]] or None

            [note] = await eventually(raised, timeout=90, what="the webhook_disabled notification")
            assert note["open"] is True and note["read"] is False

            browser.sign_in(system.keys["dash"])
            browser.open(f"/socializer/webhooks/{wid}")
            assert browser.find("#endpoint-status").get_attribute("data-status") == "disabled"
            assert "410" in browser.find("tr.delivery .http-status").text

            browser.open("/socializer/notifications?kind=webhook_disabled")
            row = browser.find(f'tr.notification[data-notification-id="{note["notification_id"]}"]')
            assert note["title"] in row.text and "open" in row.text
            assert row.find_element("css selector", ".email").text, "where its email went (or that none was sent)"
            assert browser.find("#email-channel").text.startswith("to ")
            browser.owes("notifications")
            row.find_element("css selector", "button.mark-read").click()
            browser.wait_for(f'tr.notification[data-notification-id="{note["notification_id"]}"] .read-mark')
            got = (await c.get(NOTES, params={"kind": "webhook_disabled", "unread": "false"})).json()["results"]
            assert note["notification_id"] in [n["notification_id"] for n in got]
        finally:
            await c.delete(f"{HOOKS}{wid}/")


async def test_a_read_only_key_sees_the_pages_without_their_actions(system: System, browser: Browser) -> None:
    browser.sign_in(system.keys["dash-read"])
    for path, action in (
        ("/socializer/webhooks", "#webhook-form"),
        ("/socializer/automations", "#automation-form"),
        ("/socializer/notifications", "#read-all-button"),
    ):
        browser.open(path)
        assert browser.find("h1").text and not browser.find_all(action), f"{path} offers no change to a read-only key"
    browser.open("/socializer/webhooks/wh_nothing_here")
    assert browser.find("h1").text == "Not found"
    browser.open("/socializer/automations/nothing-here")
    assert browser.find("h1").text == "Not found"
    browser.open("/socializer/inbox/nothing-here")
    assert browser.find("h1").text == "Not found"
    browser.sign_in(system.keys["dash"])
