"""The strict sandbox refuses what the platforms refuse — a scope the grant lacks, a retired Meta
metric, an Instagram image outside 4:5–1.91:1, organization statistics for a member, a custom
thumbnail on an unverified channel — each in the platform's own words, and the adapters do the right
thing: a missing scope is ``ScopeMissing`` naming it and the account goes needs_reauth (not a failed
post), a refused metric loses only itself, a refused finishing step is a warning on a published post."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.exceptions import Rejected, ScopeMissing
from adapters.kafka import MemoryProducer
from adapters.platforms import clients_for
from adapters.platforms.base import OutgoingPost
from adapters.platforms.facebook import REFUSED_METRICS, InstagramClient
from adapters.published import MemoryPublished, PublishedPost
from adapters.publishing import MemoryAttempts
from adapters.uploads import MemorySessions, OutgoingVideo, VideoFile, tag_for
from adapters.uploads.youtube import YouTubeUploader
from commands import publish as attempt
from domain.accounts import Account
from domain.inbox import meta_thread
from domain.publishing import Policy
from sandbox.oauth import identity
from sandbox.scopes import ALL, YT
from schemas import events as e
from schemas import topics as t
from schemas.commands import PublishPost
from streams import engagement, publish
from tests.conftest import ServedSandbox

NOW = datetime.now(UTC)
POLICY = Policy(lease=timedelta(seconds=50), reconcile_delay=timedelta(seconds=3), max_tries=5)
PROVIDER = {"x": "x", "linkedin": "linkedin", "facebook": "facebook", "instagram": "facebook", "tiktok": "tiktok", "youtube": "youtube"}
SCALE = 1024


@pytest.fixture(scope="module")
def site() -> Iterator[ServedSandbox]:
    """A sandbox of this module's own (its upload and channel settings are changed here)."""
    s = ServedSandbox().start()
    httpx.post(f"{s.url}/_sandbox/uploads", json={"scale": SCALE}).raise_for_status()
    yield s
    s.stop()


@pytest.fixture
async def http(site: ServedSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0)) as client:
        yield client


def grant(site: ServedSandbox, provider: str, user: str, *, without: tuple[str, ...] = ()) -> str:
    """A token of ``user`` with every scope the sandbox checks but ``without``."""
    scopes = [s for s in ALL[provider] if s not in without]
    r = httpx.post(f"{site.url}/_sandbox/oauth/grants", json={"provider": provider, "user": user, "scopes": scopes})
    r.raise_for_status()
    return str(r.json()["access_token"])


def account(site: ServedSandbox, platform: str, user: str, *, kind: str = "", without: tuple[str, ...] = ()) -> Account:
    ids = {
        "linkedin": f"urn:li:organization:{identity('linkedin', user)['organizations'][0]['id']}",
        "linkedin-personal": f"urn:li:person:{identity('linkedin', user)['sub']}",
        "x": identity("x", user)["id"],
        "facebook": identity("facebook", user)["pages"][0]["id"],
        "instagram": identity("facebook", user)["pages"][0]["ig"]["id"],
        "tiktok": identity("tiktok", user)["open_id"],
        "youtube": identity("youtube", user)["channel"],
    }
    types = {"linkedin": "organization", "linkedin-personal": "personal", "facebook": "page", "instagram": "business", "youtube": "channel"}
    key = f"{platform}-{kind}" if kind else platform
    a = Account(
        account_id=f"strict-{key}-{user}",
        platform=platform,
        platform_account_id=ids[key],
        handle=user,
        site_id="s1",
        account_type=types.get(key, "personal"),
    )
    return a.model_copy(update={"access_token": grant(site, PROVIDER[platform], user, without=without)})


class GrantedTokens(MemoryTokens):
    """The memory token source, handing out the sandbox grants the test made (instead of fake tokens)."""

    def __init__(self, accounts: list[Account]) -> None:
        super().__init__(MemoryAccounts(accounts))
        self.tokens = {a.account_id: a.access_token for a in accounts}

    async def authorized(self, account_id: str) -> Account:
        a = await super().authorized(account_id)
        return a.model_copy(update={"access_token": self.tokens[account_id]})


def photo(site: ServedSandbox, w: int = 1200, h: int = 1200) -> str:
    return f"{site.url}/_sandbox/images/strict-{w}x{h}.jpg?w={w}&h={h}"


# ---------------------------------------------------------------- scopes, in each platform's words
async def test_each_platform_refuses_a_missing_scope_in_its_own_body_and_the_adapter_names_the_scope(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    clients = clients_for(site.base, http)
    cases: list[tuple[str, Account, Any, str, int, Any]] = [
        (
            "x",
            account(site, "x", "sc-x", without=("tweet.write",)),
            lambda c, a: c.create_post(a, OutgoingPost(post_id="p", text="no write scope")),
            "tweet.write",
            403,
            lambda b: b == {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"},
        ),
        (
            "linkedin",
            account(site, "linkedin", "sc-li", without=("w_organization_social",)),
            lambda c, a: c.create_post(a, OutgoingPost(post_id="p", text="no org write scope")),
            "w_organization_social",
            403,
            lambda b: b["code"] == "ACCESS_DENIED" and b["serviceErrorCode"] == 100 and b["message"].startswith("Not enough permissions"),
        ),
        (
            "facebook",
            account(site, "facebook", "sc-fb", without=("pages_manage_posts",)),
            lambda c, a: c.create_post(a, OutgoingPost(post_id="p", text="no page posting")),
            "pages_manage_posts",
            403,
            lambda b: b["error"]["code"] == 200 and b["error"]["type"] == "OAuthException" and "fbtrace_id" in b["error"],
        ),
        (
            "instagram",
            account(site, "instagram", "sc-ig", without=("instagram_manage_insights",)),
            lambda c, a: c.fetch_metrics(a, ["123"]),
            "instagram_manage_insights",
            403,
            lambda b: b["error"]["code"] == 10 and b["error"]["message"].startswith("(#10)"),
        ),
        (
            "tiktok",
            account(site, "tiktok", "sc-tt", without=("video.list",)),
            lambda c, a: c.fetch_metrics(a, ["123"]),
            "video.list",
            401,  # TikTok's scope_not_authorized is a 401: not an expired token
            lambda b: b["error"]["code"] == "scope_not_authorized" and b["error"]["log_id"],
        ),
    ]
    bodies: list[tuple[int, Any]] = []

    async def keep(resp: httpx.Response) -> None:
        if resp.status_code in (401, 403):
            await resp.aread()
            bodies.append((resp.status_code, resp.json()))

    http.event_hooks["response"] = [keep]
    for platform, acct, call, scope, status, body_ok in cases:
        bodies.clear()
        with pytest.raises(ScopeMissing) as err:
            await call(clients[platform], acct)
        assert err.value.scope == scope and scope in str(err.value), platform
        assert bodies and bodies[-1][0] == status and body_ok(bodies[-1][1]), (platform, bodies)
    # YouTube: 403 insufficientPermissions (videos.list takes youtube.readonly, or youtube.force-ssl).
    yt = YouTubeUploader(http, site.base("youtube"), scale=SCALE)
    no_read = account(site, "youtube", "sc-yt", without=(YT + "youtube.readonly", YT + "youtube.force-ssl"))
    bodies.clear()
    with pytest.raises(ScopeMissing) as err:
        await yt.fetch_metrics(no_read, ["abc"])
    assert err.value.scope == YT + "youtube.readonly"
    assert bodies[-1][0] == 403 and bodies[-1][1]["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert site.posts() == []  # nothing was created by a refused call


async def test_a_missing_insight_scope_makes_the_account_needs_reauth_naming_the_scope(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    clients = clients_for(site.base, http)
    full = account(site, "instagram", "ins-full")
    ref = await clients["instagram"].create_post(full, OutgoingPost(post_id="p1", text="a photo", media_urls=(photo(site),)))
    lacking = account(site, "instagram", "ins-full", without=("instagram_manage_insights",))
    tokens = GrantedTokens([lacking])
    published = MemoryPublished(
        [PublishedPost("p1", lacking.account_id, "s1", "instagram", ref.platform_post_id, NOW - timedelta(hours=2))]
    )
    out = MemoryProducer()
    assert await engagement.collect(published, tokens, clients, out, now=NOW) == 0
    now = await tokens.accounts.get(lacking.account_id)
    assert now is not None and now.status == "needs_reauth" and "instagram_manage_insights" in (now.status_reason or "")
    assert out.messages(t.ENGAGEMENT) == []

    # An account connected to publish only is not asked for metrics at all (no needs_reauth for it).
    publish_only = account(site, "instagram", "ins-pub").model_copy(update={"scopes": ["instagram_basic", "instagram_content_publish"]})
    quiet = GrantedTokens([publish_only])
    published = MemoryPublished(
        [PublishedPost("p1", publish_only.account_id, "s1", "instagram", ref.platform_post_id, NOW - timedelta(hours=2))]
    )
    assert await engagement.collect(published, quiet, clients, MemoryProducer(), now=NOW) == 0
    assert (await quiet.accounts.get(publish_only.account_id)).status == "active"  # type: ignore[union-attr]


async def test_a_missing_publish_scope_fails_the_post_as_needs_reauth_and_marks_the_account(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    acct = account(site, "x", "pub-x", without=("tweet.write",))
    tokens = GrantedTokens([acct])
    out = MemoryProducer()
    attempts = MemoryAttempts()
    p = publish.Publishing(
        attempts=attempts,
        tokens=tokens,
        platforms=clients_for(site.base, http),
        out=out,
        policy=POLICY,
        outbox=attempts.outbox,
        clock=lambda: NOW,
    )
    await publish.handle(PublishPost(post_id="p1", site_id="s1", account_id=acct.account_id, platform="x", text="hi", due_at=NOW), p)
    failed = out.messages(t.POSTS)[-1]
    assert isinstance(failed, e.PostPublishFailed) and failed.code == "needs_reauth" and "tweet.write" in failed.reason
    now = await tokens.accounts.get(acct.account_id)
    assert now is not None and now.status == "needs_reauth" and "tweet.write" in (now.status_reason or "")
    assert site.posts("x") == []


# ---------------------------------------------------------------- Meta's metrics and image rules
async def test_a_retired_meta_metric_fails_the_whole_call_and_the_adapter_keeps_the_others(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    acct = account(site, "instagram", "retired")
    ig = InstagramClient(http, site.base("instagram"))
    ig.poll_interval = 0.01
    ref = await ig.create_post(acct, OutgoingPost(post_id="p", text="measured", media_urls=(photo(site),)))
    raw = await http.get(
        f"{site.base('instagram')}/v21.0/{ref.platform_post_id}/insights",
        params={"metric": "views,impressions,reach"},
        headers={"Authorization": f"Bearer {acct.access_token}"},
    )
    assert raw.status_code == 400 and raw.json()["error"]["code"] == 100 and "impressions" in raw.json()["error"]["message"]

    asked: list[str] = []

    async def note(request: httpx.Request) -> None:
        if request.url.path.endswith("/insights"):
            asked.append(request.url.params["metric"])

    http.event_hooks["request"] = [note]
    ig.insight_metrics = ("impressions", *InstagramClient.insight_metrics)  # a deployment still asking a retired name
    try:
        m = (await ig.fetch_metrics(acct, [ref.platform_post_id]))[ref.platform_post_id]
        assert m.impressions > 0 and "views" in m.raw and "reach" in m.raw and "impressions" not in m.raw
        assert asked[0].startswith("impressions,") and "impressions" not in asked[1].split(",")
        asked.clear()
        await ig.fetch_metrics(acct, [ref.platform_post_id])  # remembered: not asked again
        assert len(asked) == 1 and "impressions" not in asked[0].split(",")
    finally:
        REFUSED_METRICS.discard(("instagram", "impressions"))


@pytest.mark.parametrize(("w", "h", "ok"), [(1080, 1350, True), (1910, 1000, True), (1080, 1920, False), (3000, 1000, False)])
async def test_instagram_refuses_an_image_outside_4_5_to_1_91(
    site: ServedSandbox, http: httpx.AsyncClient, w: int, h: int, ok: bool
) -> None:
    ig = InstagramClient(http, site.base("instagram"))
    ig.poll_interval = 0.01
    post = OutgoingPost(post_id="p", text=f"{w}x{h}", media_urls=(photo(site, w, h),))
    acct = account(site, "instagram", "ratio")
    if ok:
        assert (await ig.create_post(acct, post)).platform_post_id
        return
    with pytest.raises(Rejected) as err:
        await ig.create_post(acct, post)
    assert err.value.code == "36003" and "aspect ratio" in err.value.message


# ---------------------------------------------------------------- LinkedIn members and organizations
async def test_linkedin_member_statistics_come_through_the_member_endpoint(site: ServedSandbox, http: httpx.AsyncClient) -> None:
    li = clients_for(site.base, http)["linkedin"]
    member = account(site, "linkedin", "member", kind="personal")
    ref = await li.create_post(member, OutgoingPost(post_id="p", text="a member's post"))
    m = (await li.fetch_metrics(member, [ref.platform_post_id]))[ref.platform_post_id]
    assert m.impressions > 0 and m.raw["members_reached"] > 0

    headers = {"Authorization": f"Bearer {member.access_token}", "LinkedIn-Version": "202511"}
    refused = await http.get(
        f"{site.base('linkedin')}/rest/organizationalEntityShareStatistics",
        params={"q": "organizationalEntity", "organizationalEntity": member.platform_account_id, "shares": f"List({ref.platform_post_id})"},
        headers=headers,
    )
    assert refused.status_code == 400 and "organization" in refused.json()["message"]

    without = account(site, "linkedin", "member", kind="personal", without=("r_member_postAnalytics",))
    with pytest.raises(ScopeMissing) as err:
        await li.fetch_metrics(without, [ref.platform_post_id])
    assert err.value.scope == "r_member_postAnalytics"


async def test_an_organizations_statistics_and_followers_are_for_its_administrators_only(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    li = clients_for(site.base, http)["linkedin"]
    org = account(site, "linkedin", "org-admin")
    ref = await li.create_post(org, OutgoingPost(post_id="p", text="the organization's post"))
    assert (await li.fetch_metrics(org, [ref.platform_post_id]))[ref.platform_post_id].impressions > 0  # its administrator
    assert await li.count_followers(org) is not None

    # Another member's token, with every scope, on the same organization: LinkedIn's 403
    stranger = org.model_copy(update={"access_token": grant(site, "linkedin", "not-an-admin")})
    headers = {"Authorization": f"Bearer {stranger.access_token}", "LinkedIn-Version": "202511"}
    stats = await http.get(
        f"{site.base('linkedin')}/rest/organizationalEntityShareStatistics",
        params={"q": "organizationalEntity", "organizationalEntity": org.platform_account_id, "shares": f"List({ref.platform_post_id})"},
        headers=headers,
    )
    size = await http.get(
        f"{site.base('linkedin')}/rest/networkSizes/{org.platform_account_id}",
        params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        headers=headers,
    )
    for refused in (stats, size):
        assert refused.status_code == 403 and refused.json()["code"] == "ACCESS_DENIED", refused.text


async def test_a_youtube_channels_subscribers_are_counted_rounded_as_youtube_rounds_them(
    site: ServedSandbox, http: httpx.AsyncClient
) -> None:
    from adapters.ports import follower_counter
    from adapters.uploads.client import uploaders_for, with_videos

    channel = account(site, "youtube", "subscribed")
    platforms = with_videos(clients_for(site.base, http), uploaders_for(site.base, http), MemorySessions(), http)
    counter = follower_counter(platforms["youtube"])
    assert counter is not None  # YouTube has no post client: its uploader counts
    n = await counter.count_followers(channel)
    exact = site.app.state.talk.st.followers("youtube", channel.platform_account_id)
    assert n is not None and n <= exact and len(str(n).rstrip("0")) <= 3 and exact - n < 10 ** max(0, len(str(exact)) - 3)

    bad = await http.get(
        f"{site.base('youtube')}/youtube/v3/channels", params={"mine": "true"}, headers={"Authorization": f"Bearer {channel.access_token}"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["reason"] == "required"  # part is required


# ---------------------------------------------------------------- YouTube's finishing steps
async def test_a_refused_thumbnail_and_captions_are_warnings_on_a_published_video(site: ServedSandbox, http: httpx.AsyncClient) -> None:
    httpx.post(f"{site.url}/_sandbox/uploads", json={"youtube_verified": False}).raise_for_status()
    try:
        acct = account(site, "youtube", "unverified", without=(YT + "youtube.force-ssl",))
        yt = YouTubeUploader(http, site.base("youtube"), scale=SCALE)
        yt.backoff = 0.0
        video = OutgoingVideo(
            effect_id="v1",
            tag=tag_for("v1", acct.account_id),
            title="A video",
            description="described",
            video_url="unused",
            thumbnail_url=photo(site, 1280, 720),
            captions_url=photo(site, 64, 64),  # any bytes: the scope is refused before the track is read
        )
        sessions = MemorySessions()
        clip = VideoFile.of(b"v" * 5000)
        try:
            ref = await yt.upload(acct, video, sessions, clip)
        finally:
            clip.close()
        assert ref.platform_post_id and len(site.posts("youtube")) == 1
        thumb, captions = ref.warnings
        assert thumb.startswith("thumbnail not set") and "custom video thumbnails" in thumb
        assert captions.startswith("captions not added") and "youtube.force-ssl" in captions
        found = await yt.find(acct, video, sessions, NOW - timedelta(minutes=1))
        assert found is not None and found.warnings == ref.warnings  # a reconciled post says the same

        # ... and the post is published with them, never failed.
        started = attempt.start(
            PublishPost(post_id="v1", site_id="s1", account_id=acct.account_id, platform="youtube", text="d", due_at=NOW),
            attempt_id="a1",
            now=NOW,
            policy=POLICY,
        )
        done = attempt.decide(started.attempt, attempt.Created(ref.platform_post_id, ref.url, ref.warnings), NOW, POLICY)
        (published,) = done.events
        assert isinstance(published, e.PostPublished) and published.warnings == list(ref.warnings)
        assert attempt.announce(done.attempt) == published  # a redelivery repeats them
        old = e.PostPublished.model_validate(published.model_dump(exclude={"warnings"}))
        assert old.warnings == []  # an event from before the field decodes with none
    finally:
        httpx.post(f"{site.url}/_sandbox/uploads", json={"youtube_verified": True}).raise_for_status()


# ---------------------------------------------------------------- Meta's conversations
async def test_a_listed_instagram_conversation_is_named_as_its_webhooks_name_it(site: ServedSandbox, http: httpx.AsyncClient) -> None:
    """A webhook names a DM's thread by the account and the person (it carries no conversation id);
    the listing's ``t_…`` id is mapped to the same name, so one conversation is one thread."""
    acct = account(site, "instagram", "dm-listing")
    said = await http.post(
        f"{site.url}/_sandbox/talk",
        json={"platform": "instagram", "kind": "message", "account": acct.platform_account_id, "author": "fan", "text": "Is it out?"},
    )
    assert said.status_code == 201, said.text
    sent = said.json()["message"]
    assert sent["conversation_id"] != meta_thread(acct.platform_account_id, sent["sender_id"])  # the platform's own id differs
    ig = InstagramClient(http, site.base("instagram"))
    [m] = [m for m in await ig.list_messages(acct, NOW - timedelta(hours=1)) if m.message_id == sent["id"]]
    assert m.conversation_id == meta_thread(acct.platform_account_id, sent["sender_id"]) and m.sender_id == sent["sender_id"]


# ---------------------------------------------------------------- X: one tweet, one inbox item
async def test_an_x_reply_is_named_alike_by_the_webhook_and_the_sweep(site: ServedSandbox, http: httpx.AsyncClient) -> None:
    """The sweep lists a thread's replies by conversation; the Account Activity webhook tells a reply
    to us as a comment and a reply to someone else (which carries our @name) as a mention. The sweep
    names each the same way, so a tweet told both ways is one inbox item, not a comment and a mention."""
    from domain.inbound import Comment as Told
    from domain.inbound import parse
    from sandbox.talk import payload

    acct = account(site, "x", "thread-owner")
    me = acct.platform_account_id
    made = await http.post(f"{site.url}/_sandbox/posts", json={"platform": "x", "account": me, "text": "Our thread"})
    assert made.status_code == 201, made.text
    tweet = made.json()["id"]

    async def say(**body: Any) -> str:
        r = await http.post(f"{site.url}/_sandbox/talk", json={"platform": "x", "post_id": tweet, **body})
        assert r.status_code == 201, r.text
        return str(r.json()["comment"]["id"])

    top = await say(kind="comment", author="ana", text="Great thread")
    nested = await say(kind="comment", author="bob", text="@ana agreed", parent_id=top)
    mention = await say(kind="mention", author="cy", text="@ana @thread_owner see this", parent_id=top)

    st = site.app.state.talk.st
    told: dict[str, str] = {}
    for cid in (top, nested, mention):
        for item in parse("x", orjson.dumps(payload(st, "x", st.comments[cid], "client")).decode()):
            assert isinstance(item, Told)
            told[item.comment_id] = item.kind
    x = clients_for(site.base, http)["x"]
    swept = {c.comment_id: c.kind for c in await x.list_comments(acct, tweet)}
    assert told == {top: "comment", nested: "mention", mention: "mention"}
    assert swept == told
