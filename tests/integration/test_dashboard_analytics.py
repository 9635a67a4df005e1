"""The analytics page in a real browser: the range's totals against the previous period, per
platform, top posts, per article, the best-time heatmap with its intervals, decay curves and
followers over time; changing the range; nothing fetched from another host."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.articles import article
from tests.integration.browser import Browser
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
P = "/api/v1/social/analytics"


async def test_the_analytics_page_shows_the_range_against_the_previous_period(system: System, browser: Browser) -> None:
    await system.emit(article("dash-analytics-1", site_id="dash", title="Analytics in a real browser"))
    async with system.client("dash") as c:

        async def measured():  # type: ignore[no-untyped-def]
            posts = (await c.get(P + "/articles/dash-analytics-1/")).json().get("posts", [])
            decay = (await c.get(P + "/decay/", params={"account_id": system.accounts["dash-x"]})).json()
            followers = (await c.get(P + "/platform/x/")).json()["followers"]
            curve = [pt for pt in decay["points"] if pt["of_24h"] is not None]
            return posts if len([p for p in posts if p["impressions"]]) >= 3 and curve and followers else None

        await eventually(measured, timeout=120, what="the article's posts measured, a decay curve and followers counted")
        overview = (await c.get(P + "/")).json()
    today = datetime.now(ZoneInfo("America/New_York")).date()

    browser.sign_in(system.keys["dash"])
    browser.open("/socializer/analytics")
    assert browser.find("h1").text == "Analytics"
    published = browser.find('#totals [data-metric="published"] .value').text
    assert int(published.replace(",", "")) >= overview["totals"]["published"] >= 3  # the page read at least what the API read before
    assert "28 days, America/New_York" in browser.find("#period").text
    assert {r.get_attribute("data-platform") for r in browser.find_all("#platform-table tbody tr")} >= {"x", "facebook", "linkedin"}
    assert browser.find_all("#top-posts tbody tr")
    assert "Analytics in a real browser" in browser.find("#article-table").text
    assert len(browser.find_all("#heatmap tbody tr")) == 7 and len(browser.find_all("#heatmap tbody tr:first-child td")) == 18
    assert "80 % interval" in browser.find("#heatmap td").get_attribute("innerHTML")
    assert browser.find("#decay-chart title").get_attribute("textContent") == "Engagement by a post's age"
    assert browser.find_all("#followers-chart circle") and browser.find_all("#followers-table tbody tr")
    assert browser.foreign_requests() == []
    assert browser.axe() == []
    assert browser.page_weight() < 300_000
    browser.screenshot("analytics")

    # The range changed through the form: tomorrow has nothing yet, today was everything.
    tomorrow = (today + timedelta(days=1)).isoformat()
    for field in ("#from", "#to"):
        browser.script("arguments[0].value = arguments[1]", browser.find(field), tomorrow)
    browser.follow("#apply-range")
    assert f"from={tomorrow}" in browser.driver.current_url
    assert browser.find('#totals [data-metric="published"] .value').text == "0"
    assert "was" in browser.find('#totals [data-metric="published"] .was').text
    assert (
        "−100" in browser.find('#totals [data-metric="impressions"] .was').text
        or "-100" in browser.find('#totals [data-metric="impressions"] .was').text
    )

    # One platform, through its tab; one article, through its link.
    browser.open("/socializer/analytics")
    browser.follow('.tabs a[href*="platform=x"]')
    assert browser.find("h1").text == "Analytics: x" and browser.find(".tabs a[aria-current=page]").text == "x"
    assert [r.find_element("css selector", "td").text for r in browser.find_all("#account-table tbody tr")] == ["dash_x"]
    browser.open("/socializer/analytics?article=dash-analytics-1")
    rows = browser.find_all("#article-posts tbody tr")
    assert len(rows) >= 3 and "Analytics in a real browser" in browser.find("#article-h").text
    assert browser.axe() == []
    browser.screenshot("analytics-article")

    # A range backwards is shown at its field.
    browser.open("/socializer/analytics?from=2026-03-10&to=2026-03-09")
    assert "after to" in browser.find("#from-error").text and browser.find("#from").get_attribute("aria-invalid") == "true"
    browser.open("/socializer/analytics?platform=myspace")
    assert "myspace" in browser.find(".error").text
    assert browser.foreign_requests() == []
