"""Each platform adapter against the sandbox over real HTTP: create, look up, metrics, and every
fault translated to the error the publish agent relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.exceptions import AuthExpired, OutcomeUnknown, RateLimited
from adapters.platforms import clients_for
from adapters.platforms.base import OutgoingPost
from adapters.platforms.fake import FakePlatform
from domain.accounts import Account
from sandbox.oauth import identity
from tests.conftest import ServedSandbox

PLATFORMS = ["linkedin", "x", "facebook", "instagram", "tiktok"]
ACCOUNTS: dict[str, Account] = {}  # filled by the sandbox fixture with tokens its OAuth servers issued


def _accounts(sandbox: ServedSandbox) -> dict[str, Account]:
    ids = {
        "linkedin": f"urn:li:organization:{identity('linkedin', 'alice')['organizations'][0]['id']}",
        "x": identity("x", "alice")["id"],
        "facebook": identity("facebook", "alice")["pages"][0]["id"],
        "instagram": identity("facebook", "alice")["pages"][0]["ig"]["id"],
        "tiktok": identity("tiktok", "alice")["open_id"],
    }
    return {
        p: Account(
            account_id=f"contract-{p}",
            platform=p,
            platform_account_id=ids[p],
            handle="alice",
            access_token=sandbox.mint("facebook" if p == "instagram" else p, "alice"),
        )
        for p in PLATFORMS
    }


def post(text: str) -> OutgoingPost:
    return OutgoingPost(post_id="p", text=text, link_url="https://blog.example/a?utm_source=x", media_urls=("https://blog.example/a.jpg",))


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    """A sandbox of this module's own: no running worker posts to it behind the tests' back."""
    s = ServedSandbox().start()
    ACCOUNTS.update(_accounts(s))
    yield s
    s.stop()


@pytest.fixture
async def clients(sandbox):  # type: ignore[no-untyped-def]
    sandbox.reset()
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.5, connect=2.0)) as http:
        cs = clients_for(sandbox.base, http)
        for c in cs.values():
            if hasattr(c, "poll_interval"):
                c.poll_interval = 0.01  # type: ignore[attr-defined]
        yield cs


@pytest.mark.parametrize("platform", [*PLATFORMS, "fake"])
async def test_create_find_and_measure(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    """The contract every PlatformClient keeps, the fake included."""
    fake = FakePlatform()
    client = fake if platform == "fake" else clients[platform]
    account = ACCOUNTS["x" if platform == "fake" else platform]
    since = datetime.now(UTC) - timedelta(seconds=1)
    ref = await client.create_post(account, post(f"hello from {platform}"))
    assert ref.platform_post_id and ref.url.startswith("https://")
    assert len(fake.posts if platform == "fake" else sandbox.posts(platform)) == 1
    found = await client.find_post(account, post(f"hello from {platform}"), since)
    assert found is not None and found.platform_post_id == ref.platform_post_id
    assert await client.find_post(account, post("never posted"), since) is None
    metrics = await client.fetch_metrics(account, [ref.platform_post_id])
    m = metrics[ref.platform_post_id]
    assert m.impressions > 0 and 0 <= m.engagement_rate < 1


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_rate_limit_says_when_to_retry_and_creates_nothing(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.fault(platform, "rate_limit", times=1, retry_after=42)
    with pytest.raises(RateLimited) as err:
        await clients[platform].create_post(ACCOUNTS[platform], post("limited"))
    assert 40 <= err.value.retry_after <= 42
    assert sandbox.posts(platform) == []


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_server_error_on_create_is_an_unknown_outcome(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.fault(platform, "error", times=1)
    with pytest.raises(OutcomeUnknown):
        await clients[platform].create_post(ACCOUNTS[platform], post("error"))


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_accept_then_hang_is_unknown_and_the_lookup_finds_the_post(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.fault(platform, "hang_after_accept", times=1, hang_seconds=5)
    since = datetime.now(UTC) - timedelta(seconds=1)
    with pytest.raises(OutcomeUnknown):
        await clients[platform].create_post(ACCOUNTS[platform], post("hung"))
    assert await clients[platform].find_post(ACCOUNTS[platform], post("hung"), since) is not None


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_missing_token_is_an_auth_error(platform: str, clients) -> None:  # type: ignore[no-untyped-def]
    account = ACCOUNTS[platform].model_copy(update={"access_token": ""})
    with pytest.raises(AuthExpired):
        await clients[platform].create_post(account, post("no token"))


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_an_expired_or_revoked_token_is_an_auth_error_and_creates_nothing(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    provider = "facebook" if platform == "instagram" else platform
    expiring = ACCOUNTS[platform].model_copy(update={"access_token": sandbox.mint(provider, "bob")})
    revoked = ACCOUNTS[platform].model_copy(update={"access_token": sandbox.mint(provider, "carol")})
    httpx.post(f"{sandbox.url}/_sandbox/oauth/expire", json={"provider": provider, "user": "bob"}).raise_for_status()
    httpx.post(f"{sandbox.url}/_sandbox/oauth/revoke", json={"provider": provider, "user": "carol"}).raise_for_status()
    for account in (expiring, revoked):
        with pytest.raises(AuthExpired):
            await clients[platform].create_post(account, post("dead token"))
    assert sandbox.posts(platform) == []


async def test_an_instagram_carousel_is_published_from_child_containers(clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    carousel = OutgoingPost(post_id="c", text="slides", media_urls=tuple(f"https://m.example/{i}.jpg" for i in range(3)))
    ref = await clients["instagram"].create_post(ACCOUNTS["instagram"], carousel)
    [posted] = sandbox.posts("instagram")
    assert posted["id"] == ref.platform_post_id and posted["text"] == "slides"


@pytest.mark.parametrize("platform", ["x", "linkedin", "facebook"])
async def test_images_go_with_the_post(platform: str, clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    """X and LinkedIn get the image bytes uploaded first, Facebook posts a photo by URL."""
    media = (f"{sandbox.url}/_sandbox/images/a.jpg?w=1600&h=900", f"{sandbox.url}/_sandbox/images/b.jpg?w=1600&h=900")
    with_media = OutgoingPost(post_id="m", text=f"with images on {platform}", media_urls=media)
    ref = await clients[platform].create_post(ACCOUNTS[platform], with_media)
    [posted] = sandbox.posts(platform)
    assert ref.platform_post_id.endswith(posted["id"])
    attached = posted.get("media") or ([posted["photo"]] if posted.get("photo") else [])
    assert len(attached) == (1 if platform == "facebook" else 2)


async def test_an_image_that_cannot_be_fetched_leaves_a_text_post(clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    lost = OutgoingPost(post_id="m", text="image gone", media_urls=(f"{sandbox.url}/_sandbox/nothing.jpg",))
    await clients["x"].create_post(ACCOUNTS["x"], lost)
    [posted] = sandbox.posts("x")
    assert posted["text"] == "image gone" and posted["media"] == []


async def test_instagram_hashtags_can_go_in_the_first_comment(clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    post = OutgoingPost(
        post_id="fc", text="caption without tags", media_urls=("https://m.example/1.jpg",), first_comment="#One #Two #Three"
    )
    await clients["instagram"].create_post(ACCOUNTS["instagram"], post)
    [posted] = sandbox.posts("instagram")
    assert posted["comments"] == ["#One #Two #Three"]


@pytest.mark.parametrize("platform, text", [("x", "é" * 281), ("x", "字" * 141), ("linkedin", "w" * 3001)])
async def test_the_sandbox_refuses_text_over_the_platforms_hard_limit(clients, sandbox, platform: str, text: str) -> None:  # type: ignore[no-untyped-def]
    from adapters.exceptions import Rejected

    with pytest.raises(Rejected):
        await clients[platform].create_post(ACCOUNTS[platform], OutgoingPost(post_id="p", text=text))
    assert sandbox.posts(platform) == []


async def test_an_x_thread_is_one_unit_a_5xx_on_tweet_3_resumes_after_tweet_2(clients, sandbox) -> None:  # type: ignore[no-untyped-def]
    x, account = clients["x"], ACCOUNTS["x"]
    thread = tuple(f"{i}/5 part {i} of the thread" for i in range(1, 6))
    post = OutgoingPost(post_id="t", text=thread[0], thread=thread)
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.fault("x", "error", after=2)
    with pytest.raises(OutcomeUnknown):
        await x.create_post(account, post)
    assert [p["text"] for p in sandbox.posts("x")] == list(thread[:2])
    assert await x.find_post(account, post, since) is None  # not published until the whole thread is
    ref = await x.create_post(account, post, resume_since=since)
    tweets = sandbox.posts("x")
    assert [p["text"] for p in tweets] == list(thread)  # each tweet exactly once, in order
    assert tweets[2]["in_reply_to"] == tweets[1]["id"] and ref.platform_post_id == tweets[0]["id"]
    assert (await x.find_post(account, post, since)) == ref
    again = await x.create_post(account, post, resume_since=since)  # a retry after the last tweet landed
    assert again == ref and len(sandbox.posts("x")) == 5
