"""The dashboard's frame in a real browser: signing in, the session cookie and its CSRF token, the
content security policy, and the API's documentation served offline."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.browser import Browser
from tests.integration.conftest import System

pytestmark = pytest.mark.integration


def test_a_wrong_key_is_refused_and_the_right_one_opens_the_dashboard(system: System, browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/socializer/dashboard?view=week")
    assert "/socializer/login" in browser.driver.current_url, "a page without a session asks to sign in first"
    browser.find("#api_key").send_keys("sk_nothing_notarealkeynotarealkeynotarealkey")
    browser.find("form button[type=submit]").click()
    assert "not valid" in browser.wait_for("#login-error").text
    assert browser.axe() == []
    browser.screenshot("login")

    browser.sign_in(system.keys["dash"])
    assert browser.driver.current_url.endswith("/socializer/dashboard?view=week"), "signing in goes back to the page asked for"
    cookie = browser.driver.get_cookie("socializer_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert system.keys["dash"] not in str(browser.driver.get_cookies()), "the key itself is not kept by the browser"

    browser.open("/socializer/dashboard")
    assert browser.find("h1").text == "Dashboard"
    assert browser.find(".signout .site").text.startswith("site dash")
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    browser.screenshot("dashboard")


def test_every_page_is_served_under_a_policy_that_allows_only_this_origin(system: System) -> None:
    for path in ("/socializer/login", "/static/app.css"):
        r = httpx.get(system.api + path)
        assert r.status_code == 200
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    r = httpx.post(system.api + "/socializer/login", data={"api_key": "sk_x_y", "next": "https://evil.example/"})
    assert r.status_code == 401 and "evil.example" not in r.text, "an address elsewhere is never a place to go back to"


def test_the_session_reads_the_api_but_a_change_without_its_csrf_token_is_refused(system: System) -> None:
    with httpx.Client(base_url=system.api) as c:
        r = c.post("/socializer/login", data={"api_key": system.keys["dash"], "next": "//evil.example/x"})
        assert r.status_code == 303 and r.headers["location"] == "/socializer/dashboard"
        assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=strict" in r.headers["set-cookie"]
        assert c.get("/api/v1/social/posts/").status_code == 200
        csrf = c.get("/socializer/dashboard").text.split('name="csrf-token" content="')[1].split('"')[0]
        body = {"name": "dash-x", "settings": {}}
        refused = c.put("/api/v1/social/accounts/none/settings/", json=body)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
        allowed = c.put("/api/v1/social/accounts/none/settings/", json=body, headers={"X-CSRF-Token": csrf})
        assert allowed.status_code != 403, "with the token the API decides on the request itself"
        # Signing out ends the session on the server, not only in this browser.
        cookie = c.cookies.get("socializer_session")
        assert c.post("/socializer/logout", data={"csrf": csrf}).status_code == 303
        again = httpx.get(system.api + "/api/v1/social/posts/", cookies={"socializer_session": cookie or ""})
        assert again.status_code == 401


def test_the_api_documentation_works_offline(system: System, browser: Browser) -> None:
    browser.open("/docs")
    browser.wait_for(".swagger-ui .opblock", timeout=60)
    assert "Socializer" in browser.find(".swagger-ui .title").text
    assert browser.foreign_requests() == []
    browser.screenshot("docs")

    browser.open("/redoc")
    browser.wait_for("#redoc h1", timeout=60)
    assert "Socializer" in browser.find("#redoc h1").text
    assert browser.foreign_requests() == []
    browser.screenshot("redoc")
