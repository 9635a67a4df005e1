"""Rate windows from the platforms' headers: a call inside a spent window is not sent before the
window resets (a fake clock and sleep stand in for time), and one too far off is not sent at all."""

from __future__ import annotations

import json

import httpx
import pytest

from adapters.exceptions import RateLimited
from adapters.platforms.base import HttpPlatform
from adapters.platforms.ratelimit import RateWindows, attach, endpoint

NOW = 1_800_000_000.0


class FakeTime:
    def __init__(self) -> None:
        self.now = NOW
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Platform:
    """Answers with the headers each test gives it, and records when each call arrived."""

    def __init__(self, fake: FakeTime, answers: list[httpx.Response]) -> None:
        self.fake, self.answers, self.arrived = fake, answers, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.arrived.append((self.fake.now, request.method, request.url.path))
        return self.answers.pop(0) if self.answers else httpx.Response(200, json={})


def client(platform_name: str, platform: Platform, windows: RateWindows) -> HttpPlatform:
    http = httpx.AsyncClient(transport=httpx.MockTransport(platform))
    attach(http, windows)
    c = HttpPlatform(http, "https://api.example.com")
    c.platform = platform_name
    return c


AUTH = {"Authorization": "Bearer token-of-alice"}


def x_spent(reset_in: float) -> dict[str, str]:
    return {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW + reset_in))}


async def test_a_call_inside_a_spent_x_window_is_sent_only_after_the_reset() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=120, clock=fake.clock, sleep=fake.sleep)
    platform = Platform(fake, [httpx.Response(201, json={"data": {"id": "1"}}, headers=x_spent(90))])
    x = client("x", platform, windows)
    await x.request("POST", "/2/tweets", json={"text": "a"}, headers=AUTH)
    await x.request("POST", "/2/tweets", json={"text": "b"}, headers=AUTH)
    assert fake.slept == [90.0]
    assert [t for t, _, _ in platform.arrived] == [NOW, NOW + 90]  # the second call arrived at the reset, not before


async def test_a_spent_window_of_one_endpoint_or_account_leaves_the_others_alone() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=120, clock=fake.clock, sleep=fake.sleep)
    platform = Platform(fake, [httpx.Response(201, json={}, headers=x_spent(90))])
    x = client("x", platform, windows)
    await x.request("POST", "/2/tweets", json={"text": "a"}, headers=AUTH)
    await x.request("GET", "/2/tweets", params={"ids": "1"}, headers=AUTH)
    await x.request("POST", "/2/tweets", json={"text": "c"}, headers={"Authorization": "Bearer token-of-bob"})
    assert fake.slept == [] and len(platform.arrived) == 3


async def test_a_reset_beyond_the_longest_wait_is_not_waited_for_and_nothing_is_sent() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=5, clock=fake.clock, sleep=fake.sleep)
    platform = Platform(fake, [httpx.Response(200, json={}, headers=x_spent(600))])
    x = client("x", platform, windows)
    await x.request("GET", "/2/users/42/tweets", headers=AUTH)
    with pytest.raises(RateLimited) as err:
        await x.request("GET", "/2/users/42/tweets", headers=AUTH)
    assert err.value.retry_after == 600 and err.value.code == "rate_window"
    assert len(platform.arrived) == 1 and fake.slept == []


async def test_a_429_spends_its_window_until_retry_after() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=60, clock=fake.clock, sleep=fake.sleep)
    platform = Platform(fake, [httpx.Response(429, json={"title": "Too Many Requests"}, headers={"retry-after": "42"})])
    li = client("linkedin", platform, windows)
    with pytest.raises(RateLimited):
        await li.request("POST", "/rest/posts", json={}, headers=AUTH)
    await li.request("POST", "/rest/posts", json={}, headers=AUTH)
    assert fake.slept == [42.0] and platform.arrived[1][0] == NOW + 42


async def test_a_business_object_at_100_percent_waits_for_its_regain_time_on_every_call_of_that_token() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=600, clock=fake.clock, sleep=fake.sleep)
    usage = {
        "17841400000000001": [
            {"type": "instagram", "call_count": 100, "total_cputime": 12, "total_time": 9, "estimated_time_to_regain_access": 3}
        ]
    }
    platform = Platform(fake, [httpx.Response(200, json={}, headers={"x-business-use-case-usage": json.dumps(usage)})])
    ig = client("instagram", platform, windows)
    await ig.request("GET", "/v21.0/17841400000000001/media", headers=AUTH)
    await ig.request("GET", "/v21.0/998877/insights", headers=AUTH)  # a media id: the same account's token
    assert fake.slept == [180.0]


async def test_the_apps_meta_usage_at_100_percent_holds_facebook_and_instagram_alike() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=600, clock=fake.clock, sleep=fake.sleep)
    full = {"x-app-usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 20})}
    fb = client("facebook", Platform(fake, [httpx.Response(200, json={}, headers=full)]), windows)
    ig = client("instagram", Platform(fake, []), windows)
    await fb.request("GET", "/v21.0/me/accounts", headers=AUTH)
    await ig.request("GET", "/v21.0/1784/media", headers={"Authorization": "Bearer another-token"})
    assert fake.slept == [300.0]  # Meta names no time for the app's rolling hour: look again later


async def test_meta_throttling_errors_are_rate_limits_not_rejections() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=1, clock=fake.clock, sleep=fake.sleep)
    usage = {"123": [{"type": "pages", "call_count": 100, "total_cputime": 1, "total_time": 1, "estimated_time_to_regain_access": 10}]}
    body = {"error": {"message": "(#80001) There have been too many calls to this Page account.", "type": "OAuthException", "code": 80001}}
    fb = client(
        "facebook", Platform(fake, [httpx.Response(400, json=body, headers={"x-business-use-case-usage": json.dumps(usage)})]), windows
    )
    with pytest.raises(RateLimited) as err:
        await fb.request("POST", "/v21.0/123/feed", data={"message": "m"}, headers=AUTH, creates=True)
    assert err.value.retry_after == 600 and err.value.status == 400


async def test_headers_with_room_left_clear_a_window_that_has_reset() -> None:
    fake = FakeTime()
    windows = RateWindows(max_wait=120, clock=fake.clock, sleep=fake.sleep)
    room = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99", "x-rate-limit-reset": str(int(NOW + 900))}
    platform = Platform(fake, [httpx.Response(200, json={}, headers=x_spent(30)), httpx.Response(200, json={}, headers=room)])
    x = client("x", platform, windows)
    for _ in range(3):
        await x.request("GET", "/2/tweets", params={"ids": "1"}, headers=AUTH)
    assert fake.slept == [30.0] and len(platform.arrived) == 3


def test_ids_in_a_path_stand_for_any_id() -> None:
    assert endpoint("get", "https://api.x.com/2/users/2244994945/tweets?max_results=5") == "GET /2/users/:id/tweets"
    assert endpoint("POST", "https://graph.facebook.com/v21.0/1234_5678/comments") == "POST /v21.0/:id/comments"
