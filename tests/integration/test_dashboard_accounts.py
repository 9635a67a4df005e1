"""The accounts page in a real browser: each platform's accounts with their status, an account connected
through the sandbox's OAuth (the browser follows the consent redirect back to the page), re-authorised
after its grant died, an expired one shown as expired, and settings changed with If-Match (the
validator's 422 at the field, a stale tag's 409). The settings' ETag through the API itself."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.integration.browser import Browser
from tests.integration.conftest import System

pytestmark = pytest.mark.integration

SITE = "dashacct"
P = "/api/v1/social"


def until(check: Any, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}: last={last!r}")


def states(browser: Browser, platform: str) -> dict[str, str]:
    return {
        a.get_attribute("data-account-id"): a.get_attribute("data-state")
        for a in browser.find_all(f'section[data-platform="{platform}"] article.account')
    }


def checked(browser: Browser, name: str) -> None:
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    assert 0 < browser.page_weight() < 300_000
    browser.screenshot(name)


async def test_accounts_are_connected_reauthorised_and_their_settings_changed_from_the_page(system: System, browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/socializer/accounts")
    browser.sign_in(system.keys[SITE])
    assert browser.find("h1").text == "Accounts"
    linkedin, facebook = system.accounts["da-linkedin"], system.accounts["da-facebook"]
    assert states(browser, "linkedin") == {linkedin: "connected"}
    assert states(browser, "facebook") == {facebook: "connected"}
    assert states(browser, "x") == {} and "No X account is connected" in browser.find('section[data-platform="x"]').text
    checked(browser, "accounts")

    # ---- Connect: the browser goes to the sandbox's authorization server and comes back here
    browser.script("document.getElementById('connect-what').value = 'x:personal'")
    browser.find("#connect button[type=submit]").click()
    until(lambda: "connected=1" in browser.driver.current_url, timeout=60, what="the way back from the consent")
    assert browser.driver.current_url.startswith(system.api + "/socializer/accounts?")
    assert browser.find("#connect-result").text == "Connected 1 X account."
    [(x, state)] = states(browser, "x").items()
    assert state == "connected"
    seen = browser.drain_requests()
    assert any(u.startswith(system.sandbox.url) and "/oauth2/authorize" in u for u in seen), seen
    assert browser.foreign_requests() == []
    async with system.client(SITE) as api:
        got = (await api.get(f"{P}/accounts/{x}/")).json()
        assert got["platform"] == "x" and got["status"] == "active"

    # ---- Re-authorise: its grant died (needs_reauth); the same account comes back, its settings kept
    await system.sql("UPDATE accounts SET status = 'needs_reauth', status_reason = 'x refused the refresh token' WHERE account_id = $1", x)
    browser.open("/socializer/accounts")
    assert states(browser, "x") == {x: "needs_reauth"}
    assert "x refused the refresh token" in browser.find(f'article[data-account-id="{x}"]').text
    checked(browser, "accounts-needs-reauth")
    browser.find(f'article[data-account-id="{x}"] button.reauth').click()
    until(lambda: "connected=1" in browser.driver.current_url, timeout=60, what="the re-authorisation")
    assert states(browser, "x") == {x: "connected"}

    # ---- Expired: a token that ran out and cannot be refreshed (Facebook's) waits for a person
    await system.sql("UPDATE accounts SET token_expires_at = now() - interval '1 day' WHERE account_id = $1", facebook)
    try:
        browser.open("/socializer/accounts")
        assert states(browser, "facebook") == {facebook: "expired"}
        assert browser.find(f'article[data-account-id="{facebook}"] [data-role="state"]').text == "Expired"
        # The sandbox's consent signs in as another person, whose login manages no such page: the page says so.
        browser.find(f'article[data-account-id="{facebook}"] button.reauth').click()
        until(lambda: "error=" in browser.driver.current_url, timeout=60, what="the refusal on the way back")
        assert "Facebook was not connected" in browser.find("#connect-result").text
        assert "no page account" in browser.find("#connect-result").text
        assert browser.axe() == []
    finally:
        await system.sql("UPDATE accounts SET token_expires_at = now() + interval '60 days' WHERE account_id = $1", facebook)

    # ---- Settings: the validator's 422 at its field, a change saved with If-Match, a stale tag's 409
    browser.open("/socializer/accounts")
    form = f'form.settings[data-account-id="{linkedin}"]'
    browser.find(f'article[data-account-id="{linkedin}"] summary').click()
    times = browser.find(f"#times-{linkedin}")
    times.clear()
    times.send_keys("09:00, 25:99")
    browser.find(f"{form} button[type=submit]").click()
    until(lambda: browser.find(f"#times-{linkedin}-err").text, what="the 422 at the best times' field")
    assert "best_times" in browser.find(f"#times-{linkedin}-err").text and times.get_attribute("aria-invalid") == "true"
    times.clear()
    times.send_keys("09:00, 17:30")
    most = browser.find(f"#max-{linkedin}")
    most.clear()
    most.send_keys("3")
    browser.find(f"#auto-{linkedin}").click()  # auto-publish off: drafts wait for review
    tag = browser.find(form).get_attribute("data-tag")
    browser.find(f"{form} button[type=submit]").click()
    until(lambda: browser.find(form).get_attribute("data-tag") != tag, what="the saved settings' new tag")
    async with system.client(SITE) as api:
        got = await api.get(f"{P}/accounts/{linkedin}/")
        s = got.json()["settings"]
        assert s["best_times"] == ["09:00", "17:30"] and s["max_per_day"] == 3 and s["auto_publish"] is False
        assert got.headers["etag"] == f'"{browser.find(form).get_attribute("data-tag")}"'
        # Someone else changes them: the page's tag is stale, and its save is refused, not lost silently.
        other = await api.put(f"{P}/accounts/{linkedin}/settings/", json={"cooldown_hours": 2}, headers={"If-Match": got.headers["etag"]})
        assert other.status_code == 200
    most.clear()
    most.send_keys("5")
    browser.find(f"{form} button[type=submit]").click()
    until(lambda: browser.find(f'{form} .field-error[data-field="form"]').text, what="the 409")
    assert "changed since" in browser.find(f'{form} .field-error[data-field="form"]').text
    async with system.client(SITE) as api:
        assert (await api.get(f"{P}/accounts/{linkedin}/")).json()["settings"]["max_per_day"] == 3
    # The console shows only the refused requests (the 422 and the 409), no script error.
    assert all("status of 4" in e for e in browser.console_errors())
    checked(browser, "accounts-settings")


async def test_account_settings_take_if_match_and_the_callback_answers_an_api_client_in_json(system: System) -> None:
    facebook = system.accounts["da-facebook"]
    async with system.client(SITE) as api:
        got = await api.get(f"{P}/accounts/{facebook}/")
        etag = got.headers["etag"]
        stale = await api.put(f"{P}/accounts/{facebook}/settings/", json={"max_per_day": 4}, headers={"If-Match": '"0000"'})
        assert stale.status_code == 409 and stale.json()["field"] == "If-Match"
        assert stale.headers["content-type"] == "application/problem+json"
        ok = await api.put(f"{P}/accounts/{facebook}/settings/", json={"max_per_day": 4}, headers={"If-Match": etag})
        assert ok.status_code == 200 and ok.json()["settings"]["max_per_day"] == 4 and ok.headers["etag"] != etag
        assert (await api.get(f"{P}/accounts/{facebook}/")).headers["etag"] == ok.headers["etag"]
        again = await api.put(f"{P}/accounts/{facebook}/settings/", json={"max_per_day": 5}, headers={"If-Match": etag})
        assert again.status_code == 409  # the tag the first change was made on is spent
        bad = await api.put(f"{P}/accounts/{facebook}/settings/", json={"max_per_day": 0}, headers={"If-Match": ok.headers["etag"]})
        assert bad.status_code == 422 and bad.json()["field"] == "max_per_day"
        # A browser back from the consent is sent to the dashboard; an API client gets JSON (as before).
        r = await api.post(f"{P}/accounts/connect/tiktok/", json={})
        consent = httpx.get(f"{r.json()['authorization_url']}&sandbox_user=da-tt2", follow_redirects=False)
        back = consent.headers["location"]
        html = httpx.get(back, headers={"Accept": "text/html"}, follow_redirects=False)
        assert html.status_code == 303 and html.headers["location"] == "/socializer/accounts?platform=tiktok&connected=1"
        reused = httpx.get(back, headers={"Accept": "text/html"}, follow_redirects=False)
        assert reused.status_code == 303 and "error=" in reused.headers["location"] and "already+used" in reused.headers["location"]
        as_api = httpx.get(back, follow_redirects=False)
        assert as_api.status_code == 400 and as_api.json()["field"] == "state"
