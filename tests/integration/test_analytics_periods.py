"""Analytics over time on a real broker and Postgres: a range of local days in the site's zone
(Pacific/Auckland, far from UTC), the previous period of equal length and the change; per platform;
per article; a range refused at its field."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.articles import article
from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
P = "/api/v1/social/analytics"


async def test_ranges_compare_with_the_previous_period_per_platform_and_per_article(system: System) -> None:
    await system.emit(article("periods-1", site_id="periods"))
    async with system.client("periods") as c:

        async def measured():  # type: ignore[no-untyped-def]
            rows = (await c.get(f"{P}/posts/")).json()["results"]
            return rows if {r["platform"] for r in rows if r["impressions"]} == {"x", "linkedin"} else None

        rows = await eventually(measured, timeout=120, what="both posts published and measured")
        today = datetime.now(ZoneInfo("Pacific/Auckland")).date()
        day, yesterday, tomorrow = today.isoformat(), (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()

        # Today against yesterday (nothing then): the change is all of today, its percent null.
        now = (await c.get(f"{P}/", params={"from": day, "to": day})).json()
        assert now["period"] == {"from": day, "to": day, "days": 1, "timezone": "Pacific/Auckland"}
        assert now["previous_period"]["from"] == now["previous_period"]["to"] == yesterday
        impressions = sum(r["impressions"] for r in rows)
        assert now["totals"]["published"] == 2 and now["totals"]["impressions"] == impressions > 0
        assert now["previous"]["published"] == 0
        assert now["change"]["impressions"] == {"current": impressions, "previous": 0, "change": impressions, "percent": None}
        assert {p["platform"] for p in now["platforms"]} == {"x", "linkedin"}
        assert {t["post_id"] for t in now["top_posts"]} == {r["post_id"] for r in rows}
        assert [a["content_id"] for a in now["articles"]] == ["periods-1"] and now["articles"][0]["title"].startswith("Testing")

        # Tomorrow against today: nothing now, all of it before, -100 %.
        later = (await c.get(f"{P}/", params={"from": tomorrow, "to": tomorrow})).json()
        assert later["totals"]["published"] == 0 and later["previous"]["impressions"] == impressions
        assert later["change"]["impressions"]["percent"] == -100.0 and later["change"]["impressions"]["change"] == -impressions
        assert later["platforms"] == [] and later["top_posts"] == []

        # The default: the last 28 local days, ending today in the site's zone.
        default = (await c.get(f"{P}/")).json()
        assert default["period"]["to"] == day and default["period"]["days"] == 28
        assert default["previous_period"]["to"] == (today - timedelta(days=28)).isoformat()
        assert default["totals"]["published"] == 2
        assert (await c.get(f"{P}/posts/", params={"from": tomorrow, "to": tomorrow})).json()["total"] == 0
        assert (await c.get(f"{P}/posts/", params={"from": day})).json()["total"] == 2

        # One platform: its totals, per account, every day of the range, its top posts.
        x = (await c.get(f"{P}/platform/x/", params={"from": yesterday, "to": day})).json()
        [x_post] = [r for r in rows if r["platform"] == "x"]
        assert x["platform"] == "x" and x["totals"]["published"] == 1 and x["totals"]["impressions"] == x_post["impressions"]
        assert [d["day"] for d in x["daily"]] == [yesterday, day]
        assert x["daily"][0]["published"] == 0 and x["daily"][1]["impressions"] == x_post["impressions"]
        assert [a["account_id"] for a in x["accounts"]] == [system.accounts["periods-x"]]
        assert [t["post_id"] for t in x["top_posts"]] == [x_post["post_id"]]
        assert x["previous_period"] == {
            "from": (today - timedelta(days=3)).isoformat(),
            "to": (today - timedelta(days=2)).isoformat(),
            "days": 2,
            "timezone": "Pacific/Auckland",
        }
        youtube = (await c.get(f"{P}/platform/youtube/")).json()
        assert youtube["totals"]["posts"] == 0 and len(youtube["daily"]) == 28
        unknown = await c.get(f"{P}/platform/myspace/")
        assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["field"] == "platform" and "myspace" in unknown.json()["detail"]

        # One article: the posts it became with their engagement and clicks.
        art = (await c.get(f"{P}/articles/periods-1/")).json()
        assert art["content"]["content_id"] == "periods-1" and art["content"]["url"] == "https://blog.example/periods-1"
        assert {p["post_id"] for p in art["posts"]} == {r["post_id"] for r in rows} and art["videos"] == []
        assert all(p["impressions"] and p["clicks"] is not None for p in art["posts"])
        assert art["totals"]["impressions"] == impressions and art["totals"]["clicks"] == sum(p["clicks"] for p in art["posts"])
        gone = await c.get(f"{P}/articles/periods-none/")
        assert gone.status_code == 404 and gone.json()["field"] == "content_id"

        # Followers over time, where the platform reports them: X's public_metrics, a LinkedIn organization's network size.
        async def counted():  # type: ignore[no-untyped-def]
            found = {}
            for platform in ("x", "linkedin"):
                found[platform] = (await c.get(f"{P}/platform/{platform}/", params={"from": day, "to": day})).json()["followers"]
            return found if all(found.values()) else None

        followers = await eventually(counted, timeout=90, what="both accounts' followers counted")
        for platform, name in (("x", "periods-x"), ("linkedin", "periods-linkedin")):
            [series] = followers[platform]
            assert series["account_id"] == system.accounts[name] and series["platform"] == platform
            assert [p["day"] for p in series["points"]] == [day] and series["latest"] == series["points"][0]["followers"] > 0
    async with system.client("hostile") as other:
        assert (await other.get(f"{P}/articles/periods-1/")).status_code == 404  # another site's article does not exist


async def test_a_range_backwards_too_long_or_not_a_date_is_a_422_naming_the_field(system: System) -> None:
    async with system.client("periods") as c:
        for path in (f"{P}/", f"{P}/posts/", f"{P}/platform/x/", f"{P}/articles/periods-1/", "/api/v1/video/analytics/overview/"):
            backwards = await c.get(path, params={"from": "2026-03-10", "to": "2026-03-09"})
            assert backwards.status_code == 422 and backwards.json()["field"] == "from", (path, backwards.text)
            long = await c.get(path, params={"from": "2025-01-01", "to": "2026-01-02"})
            assert long.status_code == 422 and long.json()["field"] == "to" and "366" in long.json()["detail"], path
            bad = await c.get(path, params={"from": "2026-13-01"})
            assert bad.status_code == 422 and bad.json()["field"] == "from", path
        year = await c.get(f"{P}/", params={"from": "2025-01-01", "to": "2026-01-01"})
        assert year.status_code == 200 and year.json()["period"]["days"] == 366
        video = (await c.get("/api/v1/video/analytics/overview/", params={"from": "2026-01-01", "to": "2026-01-31"})).json()
        assert video["period"]["days"] == 31 and video["previous_period"] == {
            "from": "2025-12-01",
            "to": "2025-12-31",
            "days": 31,
            "timezone": "Pacific/Auckland",
        }
        assert video["totals"]["posts"] == 0 and video["change"]["views"]["percent"] is None
