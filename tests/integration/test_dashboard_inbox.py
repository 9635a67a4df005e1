"""The inbox and automations pages in a real browser: the inbox lists what came in across platforms
with its filters, a thread view answers a comment through the API's reply route and the reply
reaches the sandbox platform (once); an automation made from the page's form is activated from its
page (the API shows it active) and, once a matching comment comes in, its run and its sent reply
show there."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from selenium.webdriver.support.ui import WebDriverWait

from domain.inbox import comment_event_id, comment_key, item_id, message_event_id
from schemas import events as e
from schemas import topics
from schemas.registry import registry
from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
INBOX = "/api/v1/social/inbox/"
AUTOMATIONS = "/api/v1/social/automations/"


async def _produce(system: System, ev: e.CommentReceived | e.MessageReceived) -> None:
    """As the webhook receiver or the sweep would: the item on ``social.inbox``, named by its ids."""
    if isinstance(ev, e.CommentReceived):
        key, eid = comment_key(ev.platform, ev.comment_id), comment_event_id(ev.platform, ev.comment_id)
    else:
        key, eid = ev.conversation_id, message_event_id(ev.platform, ev.message_id)
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.broker, enable_idempotence=False)
    await producer.start()
    try:
        env = registry.envelope(ev, source="tests/dashboard", subject=key, id=eid)
        await producer.send_and_wait(topics.INBOX, env.encode(), key=key.encode(), headers=env.headers())
    finally:
        await producer.stop()


async def _x_comment(system: System, text: str, author: str = "fan") -> tuple[str, str]:
    """A simulated user's tweet mentioning dash-x on the sandbox, then in the inbox: (item id, post id)."""
    [row] = await system.sql("SELECT platform_account_id FROM accounts WHERE account_id = $1", system.accounts["dash-x"])
    async with httpx.AsyncClient() as c:
        r = await c.post(
            f"{system.sandbox.url}/_sandbox/talk",
            json={"platform": "x", "account": row["platform_account_id"], "kind": "mention", "author": author, "text": text},
        )
        assert r.status_code == 201, r.text
        cid = str(r.json()["comment"]["id"])
    post = "dash-post-" + cid
    ev = e.CommentReceived(
        platform="x",
        account_id=system.accounts["dash-x"],
        site_id="dash",
        comment_id=cid,
        platform_post_id=post,
        author_id=author + "-id",
        author_name=author.capitalize(),
        text=text,
        created_at=datetime.now(UTC) - timedelta(minutes=2),
    )
    await _produce(system, ev)
    return item_id("x", "comment", cid), post


async def _listed(system: System, iid: str) -> dict[str, Any]:
    async with system.client("dash") as c:

        async def found() -> dict[str, Any] | None:
            r = await c.get(f"{INBOX}{iid}/")
            return r.json() if r.status_code == 200 else None

        return await eventually(found, timeout=60, what=f"{iid} in the inbox")


async def test_the_inbox_filters_and_a_reply_from_the_thread_reaches_the_platform(system: System, browser: Browser) -> None:
    iid, _ = await _x_comment(system, "Does this work offline too?")
    conversation = "dash-conv-" + uuid.uuid4().hex[:8]
    message = e.MessageReceived(
        platform="facebook",
        account_id=system.accounts["dash-facebook"],
        site_id="dash",
        conversation_id=conversation,
        message_id="m-" + conversation,
        sender_id="reader-1",
        sender_name="Rita Reader",
        text="Hello, is the shop open on Sunday?",
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await _produce(system, message)
    mid = item_id("facebook", "message", message.message_id)
    await _listed(system, iid)
    await _listed(system, mid)

    # The API's kind filter (the page's): messages only; an unknown kind is a 422 naming it.
    async with system.client("dash") as c:
        shown = [i["item_id"] for i in (await c.get(INBOX, params={"kind": "message", "limit": 1000})).json()["results"]]
        assert mid in shown and iid not in shown
        bad = await c.get(INBOX, params={"kind": "letter"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert "kind" in bad.json()["field"]

    browser.sign_in(system.keys["dash"])
    browser.open("/socializer/inbox?unanswered=true")
    assert browser.find("h1").text == "Inbox"
    rows = {r.get_attribute("data-item-id"): r.text for r in browser.find_all("tr.inbox-item")}
    assert "Does this work offline too?" in rows[iid] and "unanswered" in rows[iid]
    assert "Rita Reader" in rows[mid]
    browser.owes("inbox")

    # The filters: messages only, then X only.
    browser.open("/socializer/inbox?kind=message")
    shown = [r.get_attribute("data-item-id") for r in browser.find_all("tr.inbox-item")]
    assert mid in shown and iid not in shown
    browser.open("/socializer/inbox?platform=x")
    shown = [r.get_attribute("data-item-id") for r in browser.find_all("tr.inbox-item")]
    assert iid in shown and mid not in shown

    # The thread, and an answer from it: through the API's reply route, followed until it is sent.
    browser.find(f'tr[data-item-id="{iid}"] a').click()
    browser.wait_for("#reply-form")
    assert "Does this work offline too?" in browser.find(".thread-item.current").text
    browser.owes("inbox-thread")
    # A reply the platform would refuse is refused before any call, the reason shown at the field.
    browser.find("#reply-text").send_keys("x" * 300)
    browser.find("#reply-form button[type=submit]").click()
    WebDriverWait(browser.driver, 30).until(lambda d: "text" in browser.find("#reply-error").text)
    assert "280" in browser.find("#reply-error").text or "too long" in browser.find("#reply-error").text.lower()
    assert all("422" in m for m in browser.console_errors()), "the refusal is the only error (drained here)"
    browser.find("#reply-text").clear()
    text = f"Yes, every page works offline ({uuid.uuid4().hex[:6]})"
    browser.find("#reply-text").send_keys(text)
    browser.find("#reply-form button[type=submit]").click()
    browser.wait_for('#reply-result .reply-status[data-status="sent"]', timeout=90)
    tweets = [p for p in system.sandbox.posts("x") if p.get("submitted_text") == text]
    assert len(tweets) == 1, "the reply reached the platform, once"
    # A second click with the same text is the same reply (the same Idempotency-Key): nothing sent twice.
    browser.find("#reply-form button[type=submit]").click()
    browser.wait_for('#reply-result .reply-status[data-status="sent"]', timeout=30)
    got = await _listed(system, iid)
    assert [r["text"] for r in got["replies"]] == [text] and got["unanswered"] is False
    browser.open(f"/socializer/inbox/{iid}")
    assert "sent" in browser.find(".replies .reply").text
    assert len([p for p in system.sandbox.posts("x") if p.get("submitted_text") == text]) == 1


async def test_an_automation_made_on_the_page_is_activated_there_and_shows_its_run(system: System, browser: Browser) -> None:
    browser.sign_in(system.keys["dash"])
    browser.open("/socializer/automations")
    word = "dashpromo" + uuid.uuid4().hex[:4]
    browser.find("#a-name").send_keys("Dashboard promo")
    browser.find("#a-keywords").send_keys(word)
    browser.find("#a-text").send_keys("Thanks {{name}}, the code is SPRING25")
    browser.find("#automation-form button[type=submit]").click()
    WebDriverWait(browser.driver, 90).until(lambda d: "/socializer/automations/" in d.current_url)
    aid = browser.find("#automation").get_attribute("data-automation-id")
    assert browser.find("#automation-status").get_attribute("data-status") == "draft"
    browser.owes("automation")

    # Edit as JSON: a new version, through PUT with If-Match.
    definition = json.loads(browser.find("#definition-json").get_attribute("value"))
    definition["nodes"][0]["text"] = "Thanks {{name}}, the code is SPRING26"
    browser.find("#definition-details summary").click()
    browser.script("document.getElementById('definition-json').value = arguments[0];", json.dumps(definition))
    browser.find("#definition-form button[type=submit]").click()
    WebDriverWait(browser.driver, 90).until(lambda d: browser.find("#automation-version").text == "2")
    assert browser.find("#automation-status").get_attribute("data-status") == "draft"

    # Activate from the page: the API (If-Match on the version shown) says active.
    browser.find("#activate-button").click()
    browser.wait_for('#automation-status[data-status="active"]', timeout=90)
    async with system.client("dash") as c:
        r = await c.get(f"{AUTOMATIONS}{aid}/")
        assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["definition"]["trigger"]["keywords"] == [word]

    # A matching comment: a run, and its public reply sent.
    iid, _ = await _x_comment(system, f"{word} please!", author="mila")
    async with system.client("dash") as c:

        async def sent() -> list[dict[str, Any]] | None:
            rows = (await c.get(f"{AUTOMATIONS}{aid}/log/")).json()["results"]
            return rows if rows and rows[0]["status"] == "sent" else None

        await eventually(sent, timeout=120, every=1, what="the automation's reply sent")
    browser.open(f"/socializer/automations/{aid}")
    assert "mila" in browser.find("tr.run").text.lower()
    assert browser.find("tr.send .badge").get_attribute("data-status") == "sent"
    assert "SPRING26" in browser.find("tr.send").text
    browser.owes("automation-runs")

    browser.open("/socializer/automations?status=active")
    row = browser.find(f'tr.automation-row[data-automation-id="{aid}"]')
    assert "Dashboard promo" in row.text and row.find_element("css selector", ".badge").get_attribute("data-status") == "active"
    browser.owes("automations")

    # An active automation's edit is checked: an unknown placeholder is refused, the field named.
    browser.open(f"/socializer/automations/{aid}")
    definition["nodes"][0]["text"] = "Your code: {{coupon}}"
    browser.find("#definition-details summary").click()
    browser.script("document.getElementById('definition-json').value = arguments[0];", json.dumps(definition))
    browser.find("#definition-form button[type=submit]").click()
    WebDriverWait(browser.driver, 90).until(lambda d: "nodes[0].text" in browser.find("#definition-error").text)
    assert all("422" in m for m in browser.console_errors()), "the refusal is the only error (drained here)"
    async with system.client("dash") as c:
        assert (await c.get(f"{AUTOMATIONS}{aid}/")).json()["version"] == 2

    # Pause from the page, too.
    browser.find("#pause-button").click()
    browser.wait_for('#automation-status[data-status="paused"]', timeout=90)
    async with system.client("dash") as c:
        assert (await c.get(f"{AUTOMATIONS}{aid}/")).json()["status"] == "paused"
