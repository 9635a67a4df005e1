"""Engagement as snapshots at fixed ages: the ladders, which reading is due (after a restart too),
the seed's rate formula, the decay curve, the first tick at start; and the sandbox's hidden
response curves that make posting time matter."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from statistics import mean

import httpx
import pytest

from domain.engagement import Metrics, decay, due_snapshots, label, snapshots
from domain.platforms import PROFILES, Ladder, profile
from sandbox.app import create_sandbox
from sandbox.curves import Curve, daily_shape, default_curve, final_counts
from sandbox.state import Post, SandboxState
from streams.plumbing import repeat

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # a Monday
H, D = 3600.0, 86400.0


def test_every_platform_has_a_ladder_from_an_hour_or_a_day_to_thirty_days() -> None:
    for name, p in PROFILES.items():
        for ladder in (p.ladder, p.video_ladder):
            ages = [s.age for s in snapshots(ladder)]
            assert ages == sorted(ages) and len(set(ages)) == len(ages), name
            assert ages[-1] <= 30 * D and 24 * H in ages, name
    x = [s.label for s in snapshots(profile("x").ladder)]
    assert x[:4] == ["1h", "24h", "7d", "24h#1"] and x[-1] == "24h#23"  # X decays in minutes: daily after a week
    li = [s.label for s in snapshots(profile("linkedin").ladder)]
    assert li[:5] == ["1h", "24h", "7d", "6h#1", "6h#2"] and len(li) == 3 + 92  # a long tail: every 6 h to 30 d
    assert [s.label for s in snapshots(profile("youtube").ladder)][:4] == ["24h", "7d", "28d", "12h#1"]
    assert [label(a) for a in (60, 3600, 86400, 2 * 86400, 1800)] == ["1m", "1h", "24h", "2d", "30m"]


LADDER = Ladder((H, 24 * H, 7 * D), 6 * H, 8 * D)


def test_nothing_is_due_before_the_first_age_and_each_age_once_on_time() -> None:
    assert due_snapshots(T0, T0 + timedelta(minutes=59), LADDER, set()) == []
    (one,) = due_snapshots(T0, T0 + timedelta(hours=1, seconds=30), LADDER, set(), grace=120)
    assert (one.label, one.due_at, one.take, one.late) == ("1h", T0 + timedelta(hours=1), True, False)
    assert due_snapshots(T0, T0 + timedelta(hours=2), LADDER, {"1h"}) == []  # taken: never again
    (day,) = due_snapshots(T0, T0 + timedelta(hours=24, minutes=1), LADDER, {"1h"})
    assert day.label == "24h" and day.take


def test_after_a_restart_the_newest_due_age_is_read_and_the_ones_it_passed_are_skipped() -> None:
    due = due_snapshots(T0, T0 + timedelta(days=7, hours=7), LADDER, {"1h"}, grace=120)
    assert [(d.label, d.take) for d in due] == [("24h", False), ("7d", False), ("6h#1", True)]
    assert not due[-1].late  # an hour past a 7 d 6 h age is within a quarter of it
    # The down time was long against the age: the reading comes, marked late.
    (late,) = due_snapshots(T0, T0 + timedelta(hours=3), LADDER, set(), grace=120)
    assert late.take and late.late
    # An age older than the newest one taken is past for good, however it went missing.
    assert [(d.label, d.take) for d in due_snapshots(T0, T0 + timedelta(days=7, hours=1), LADDER, {"7d"})] == [
        ("1h", False),
        ("24h", False),
    ]


def test_the_scale_shrinks_every_age_so_tests_see_the_ladder_in_seconds() -> None:
    scale = 5 / 86400  # a day in five seconds
    assert [d.label for d in due_snapshots(T0, T0 + timedelta(seconds=5.1), LADDER, {"1h"}, scale=scale)] == ["24h"]
    assert due_snapshots(T0, T0 + timedelta(seconds=4.9), LADDER, {"1h"}, scale=scale) == []


def test_the_engagement_rate_is_likes_comments_and_shares_per_impression_without_clicks() -> None:
    m = Metrics(likes=30, comments=5, shares=5, clicks=60, impressions=1000, reach=800, saves=7, views=1000)
    assert m.engagement_rate == 0.04 and m.interactions == 40
    assert Metrics(likes=3).engagement_rate == 0.0


def test_the_decay_curve_is_the_median_share_of_the_24h_and_final_value_leaving_late_readings_out() -> None:
    ladder = Ladder((H, 24 * H, 7 * D), 0, 7 * D)
    readings = {
        "a": {"1h": (20, False), "24h": (80, False), "7d": (100, False)},
        "b": {"1h": (40, False), "24h": (80, False), "7d": (80, False)},
        "c": {"1h": (90, True), "24h": (100, False)},  # its 1 h reading came late: not a 1 h value
    }
    points = {p.label: p for p in decay(readings, ladder)}
    assert (points["1h"].posts, points["1h"].of_24h, points["1h"].of_final) == (2, 0.375, 0.35)
    assert (points["24h"].of_24h, points["24h"].of_final) == (1.0, 0.9)
    assert points["7d"].of_final == 1.0


async def test_a_timer_that_ticks_at_start_tries_every_second_until_a_tick_goes_through() -> None:
    slept: list[float] = []
    answers = iter([False, True, True])  # the producer is not up yet, then it is

    async def tick() -> bool:
        return next(answers)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        await repeat(tick, 60, sleep=sleep)
    assert slept == [1.0, 60, 60]  # first tick before any sleep; retried soon; then the interval


# ---------------------------------------------------------------- the sandbox's hidden curves
def _at(weekday: int, hour: int) -> float:
    return datetime(2026, 3, 2 + weekday, hour, 30, tzinfo=UTC).timestamp()


def test_a_posts_engagement_is_deterministic_per_post() -> None:
    c = default_curve("x", "42")
    a = final_counts("p1", "x", "text", "", _at(0, 19), c)
    assert a == final_counts("p1", "x", "text", "", _at(0, 19), c)
    assert a != final_counts("p2", "x", "text", "", _at(0, 19), c)
    assert default_curve("x", "42") == default_curve("x", "42") and default_curve("x", "42") != default_curve("x", "43")


def test_posting_at_the_accounts_peak_hour_earns_more_than_off_peak() -> None:
    curve = Curve("UTC", daily_shape(19), 19)
    at = {h: [final_counts(f"p{h}-{i}", "x", f"post {i}", "", _at(i % 7, h), curve)["likes"] for i in range(60)] for h in range(24)}
    best = max(range(24), key=lambda h: mean(at[h]))
    assert best == 19 and mean(at[19]) > 3 * mean(at[7])


def test_the_curve_follows_the_accounts_local_time() -> None:
    berlin = Curve("Europe/Berlin", daily_shape(19), 19)
    assert berlin.multiplier(datetime(2026, 3, 2, 18, 10, tzinfo=UTC).timestamp()) == pytest.approx(1.0)  # 19:10 in Berlin


def test_engagement_grows_along_the_platforms_decay() -> None:
    st = SandboxState(growth_seconds=86400)  # real time
    now = time.time()
    young = Post("1", "linkedin", "org", "hello", now - 3600)
    old = Post("1", "linkedin", "org", "hello", now - 30 * 86400)
    m_young, m_old = st.metrics(young), st.metrics(old)
    assert 0 < m_young["impressions"] < m_old["impressions"] / 10  # LinkedIn's half-life is a day
    assert m_old["views"] == m_old["impressions"] and 0 < m_old["reach"] < m_old["impressions"]


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")  # type: ignore[arg-type]


async def test_the_operator_sets_an_accounts_curve_and_the_sandbox_keeps_it_across_restarts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "state.pickle"
    async with _client(create_sandbox(growth_seconds=5, state_file=state)) as c:
        seeded = (await c.get("/_sandbox/accounts/x/42/curve")).json()
        assert seeded["default"] and seeded["timezone"] == "UTC" and 7 <= seeded["peak_hour"] <= 21
        r = await c.put("/_sandbox/accounts/x/42/curve", json={"peak_hour": 19, "timezone": "Europe/Berlin"})
        assert r.status_code == 200 and r.json()["curve"][0][19] == 1.0
        assert (await c.put("/_sandbox/accounts/x/42/curve", json={"curve": [[0.0] * 24] * 6})).status_code == 422
        assert (await c.put("/_sandbox/accounts/x/42/curve", json={"timezone": "Mars/Olympus"})).status_code == 422
        made = await c.post("/_sandbox/posts", json={"platform": "x", "account": "42", "text": "old", "created_at": "2026-03-02T18:00:00Z"})
        assert made.status_code == 201
        assert (
            await c.post("/_sandbox/posts", json={"platform": "x", "account": "42", "created_at": time.time() + 3600})
        ).status_code == 422
    async with _client(create_sandbox(growth_seconds=5, state_file=state)) as c:
        kept = (await c.get("/_sandbox/accounts/x/42/curve")).json()
        assert (kept["default"], kept["timezone"], kept["peak_hour"]) == (False, "Europe/Berlin", 19)
        posts = (await c.get("/_sandbox/posts", params={"platform": "x"})).json()["posts"]
        assert [p["created_at"] for p in posts if p["id"] == made.json()["id"]] == [datetime(2026, 3, 2, 18, tzinfo=UTC).timestamp()]
