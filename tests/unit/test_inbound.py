"""Inbound webhooks: each platform's signature and handshake as documented, its payloads read into
comments and messages, and the receive agent (memory fakes) emitting each once."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from adapters.inbound import MemoryInbound, OwnAccount
from adapters.kafka import MemoryProducer
from domain import inbound as d
from domain.inbox import comment_key, meta_thread
from schemas import events as e
from schemas import topics as t
from schemas.registry import registry
from streams.exceptions import Unprocessable
from streams.receive import handle
from tests import inbound_payloads as p

SECRET = "app-secret"
NOW = 1_733_390_000.0
BODIES = {
    "facebook": p.raw(p.fb_comment()),
    "instagram": p.raw(p.ig_comment()),
    "x": p.raw(p.x_reply()),
    "tiktok": p.raw(p.tiktok_event()),
    "linkedin": p.raw(p.linkedin_comment()),
}


def signed(platform: str, body: bytes, secret: str = SECRET, at: float = NOW) -> str:
    return d.sign(platform, secret, body, timestamp=int(at))


# ------------------------------------------------------------------ signatures
@pytest.mark.parametrize("platform", d.PLATFORMS)
def test_a_delivery_signed_with_the_app_secret_over_its_raw_bytes_is_accepted(platform: str) -> None:
    body = BODIES[platform]
    assert d.refusal(platform, SECRET, body, signed(platform, body), now=NOW) is None


@pytest.mark.parametrize("platform", d.PLATFORMS)
def test_a_tampered_body_is_refused(platform: str) -> None:
    body = BODIES[platform]
    tampered = body.replace(b"1", b"2", 1)
    assert "does not match" in (d.refusal(platform, SECRET, tampered, signed(platform, body), now=NOW) or "")


@pytest.mark.parametrize("platform", d.PLATFORMS)
def test_a_signature_made_with_another_secret_is_refused(platform: str) -> None:
    body = BODIES[platform]
    assert d.refusal(platform, SECRET, body, signed(platform, body, "not-the-secret"), now=NOW) is not None


@pytest.mark.parametrize("platform", d.PLATFORMS)
def test_a_missing_signature_is_refused_naming_the_header(platform: str) -> None:
    why = d.refusal(platform, SECRET, BODIES[platform], None, now=NOW) or ""
    assert why == f"{d.SIGNATURE_HEADER[platform]}: missing"


def test_without_a_configured_secret_nothing_verifies() -> None:
    body = BODIES["x"]
    assert "no x app secret" in (d.refusal("x", "", body, signed("x", body, ""), now=NOW) or "")


def test_meta_signs_the_hex_hmac_of_the_body_with_the_app_secret() -> None:
    body = BODIES["instagram"]
    assert signed("instagram", body) == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (
        d.refusal("instagram", SECRET, body, hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), now=NOW) is not None
    )  # no sha256=


def test_x_signs_the_base64_hmac_of_the_body_with_the_consumer_secret() -> None:
    body = BODIES["x"]
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert d.refusal("x", SECRET, body, f"sha256={digest}", now=NOW) is None
    assert d.refusal("x", SECRET, body, "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(), now=NOW) is not None


def test_a_stale_or_future_tiktok_timestamp_is_refused_though_correctly_signed() -> None:
    body = BODIES["tiktok"]
    assert "tolerance" in (d.refusal("tiktok", SECRET, body, signed("tiktok", body, at=NOW - 301), now=NOW) or "")
    assert "tolerance" in (d.refusal("tiktok", SECRET, body, signed("tiktok", body, at=NOW + 301), now=NOW) or "")
    assert d.refusal("tiktok", SECRET, body, signed("tiktok", body, at=NOW - 299), now=NOW) is None


def test_tiktok_signs_the_timestamp_a_dot_and_the_body_and_a_changed_timestamp_fails() -> None:
    body = BODIES["tiktok"]
    s = hmac.new(SECRET.encode(), f"{int(NOW)}.".encode() + body, hashlib.sha256).hexdigest()
    assert d.refusal("tiktok", SECRET, body, f"t={int(NOW)},s={s}", now=NOW) is None
    assert d.refusal("tiktok", SECRET, body, f"t={int(NOW) - 1},s={s}", now=NOW) is not None
    assert "expected t=" in (d.refusal("tiktok", SECRET, body, f"s={s}", now=NOW) or "")


def test_linkedin_signs_the_body_prefixed_by_hmacsha256_and_sends_the_hex_digest() -> None:
    body = BODIES["linkedin"]
    expected = hmac.new(SECRET.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
    assert d.refusal("linkedin", SECRET, body, expected, now=NOW) is None
    bare = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert d.refusal("linkedin", SECRET, body, bare, now=NOW) is not None  # one documented form, no other


# ------------------------------------------------------------------ handshakes
def test_meta_echoes_the_challenge_only_to_a_subscribe_with_our_verify_token() -> None:
    q = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert d.meta_challenge(q, "tok") == "1158201444"
    assert d.meta_challenge({**q, "hub.verify_token": "other"}, "tok") is None
    assert d.meta_challenge({**q, "hub.mode": "unsubscribe"}, "tok") is None
    assert d.meta_challenge(q, "") is None  # no token configured: no handshake passes


def test_x_crc_answers_sha256_and_the_base64_hmac_of_the_crc_token() -> None:
    # X's worked example (Securing webhooks): consumer secret and crc_token from developer.x.com's sample code.
    secret, token = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu", "9b4507b3-9040-4669-9ca3-6b94edb50553"
    digest = base64.b64encode(hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()).decode()
    assert d.x_crc(secret, token) == {"response_token": f"sha256={digest}"}


def test_linkedin_challenge_answers_the_code_and_its_hex_hmac() -> None:
    code = "890e4b8a-3c1d-4c7e-9e2b-5d1a3f0c7b21"
    answer = d.linkedin_challenge(SECRET, code)
    assert answer == {"challengeCode": code, "challengeResponse": hmac.new(SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()}


# ------------------------------------------------------------------ parsers
def test_an_instagram_comment_names_the_account_the_media_and_the_author() -> None:
    [c] = d.parse("instagram", BODIES["instagram"].decode())
    assert isinstance(c, d.Comment)
    assert (c.platform, c.account, c.comment_id, c.post_ids) == (
        "instagram",
        "17841400000000001",
        "17900000000000001",
        ("17890000000000001",),
    )
    assert (c.author_id, c.author_name, c.kind, c.echo) == ("232323232", "a_reader", "comment", False)
    assert c.text == "Loved this — café talk é"  # escaped non-ASCII read back
    assert c.created_at == datetime.fromtimestamp(1733390000, UTC)


def test_an_instagram_mention_is_a_comment_of_kind_mention() -> None:
    [c] = d.parse("instagram", p.raw(p.ig_mention()).decode())
    assert isinstance(c, d.Comment) and (c.kind, c.comment_id, c.post_ids) == ("mention", "888", ("999",))


def test_instagram_messages_echoes_and_story_replies() -> None:
    [m] = d.parse("instagram", p.raw(p.ig_message()).decode())
    assert isinstance(m, d.Message)
    assert (m.sender_id, m.conversation_id, m.echo, m.kind) == ("5566778899", "17841400000000001-5566778899", False, "message")
    assert m.conversation_id == meta_thread("17841400000000001", "5566778899")  # as the listing names it too
    [echo] = d.parse("instagram", p.raw(p.ig_message(echo=True)).decode())
    assert isinstance(echo, d.Message) and echo.echo and echo.conversation_id == m.conversation_id
    [story] = d.parse("instagram", p.raw(p.ig_message(story="18000000000000009")).decode())
    assert isinstance(story, d.Message) and (story.kind, story.story_id) == ("story_reply", "18000000000000009")


def test_a_facebook_feed_comment_is_read_and_a_reaction_is_not() -> None:
    [c] = d.parse("facebook", BODIES["facebook"].decode())
    assert isinstance(c, d.Comment)
    assert (c.platform, c.account, c.comment_id, c.post_ids, c.parent_id) == (
        "facebook",
        "101000000000001",
        "555_777",
        ("101000000000001_555",),
        "",  # a top-level comment's parent is the post itself
    )
    assert d.parse("facebook", p.raw(p.fb_reaction()).decode()) == []


def test_an_x_reply_is_a_comment_on_the_tweet_it_answers_and_our_own_reply_an_echo() -> None:
    [c] = d.parse("x", BODIES["x"].decode())
    assert isinstance(c, d.Comment)
    assert (c.account, c.comment_id, c.post_ids, c.author_id, c.kind, c.echo) == (
        "2244994945",
        "1858000000000000001",
        ("1857000000000000001",),
        "6253282",
        "comment",
        False,
    )
    ours = p.x_reply()
    ours["tweet_create_events"][0]["user"] = {"id_str": "2244994945", "name": "Our Blog"}
    ours["tweet_create_events"][0]["in_reply_to_user_id_str"] = "6253282"
    [echo] = d.parse("x", p.raw(ours).decode())
    assert isinstance(echo, d.Comment) and echo.echo


def test_x_direct_messages_carry_x_conversation_id_and_echoes_are_marked() -> None:
    [m] = d.parse("x", p.raw(p.x_dm()).decode())
    assert isinstance(m, d.Message)
    assert (m.message_id, m.conversation_id, m.sender_name, m.echo) == ("954491830116155396", "2244994945-3805104374", "Furni", False)
    [echo] = d.parse("x", p.raw(p.x_dm(echo=True)).decode())
    assert isinstance(echo, d.Message) and echo.echo


def test_tiktok_documented_events_say_nothing_for_the_inbox_but_a_shapeless_body_is_unparseable() -> None:
    assert d.parse("tiktok", BODIES["tiktok"].decode()) == []
    with pytest.raises(d.Unparseable, match="missing"):
        d.parse("tiktok", '{"event": "comment"}')


def test_a_linkedin_comment_notification_names_the_org_the_share_and_the_member() -> None:
    [c] = d.parse("linkedin", BODIES["linkedin"].decode())
    assert isinstance(c, d.Comment)
    assert c.account == "urn:li:organization:96072893"
    assert c.comment_id == "urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)"
    assert c.post_ids == ("urn:li:share:7094637247487995904", "urn:li:activity:7094637247890620418")
    assert (c.author_id, c.text, c.echo) == ("urn:li:person:zLqTygBP8S", "Commenting as a reader", False)


@pytest.mark.parametrize(
    ("platform", "body", "reason"),
    [
        ("instagram", "not json", "not JSON"),
        ("instagram", "[1, 2]", "JSON object"),
        ("facebook", '{"object": "user", "entry": []}', "object"),
        ("x", '{"tweet_create_events": []}', "for_user_id"),
        ("linkedin", '{"type": "X"}', "notifications"),
        ("instagram", '{"object": "instagram", "entry": [{"id": "1", "changes": [{"field": "comments", "value": {"id": "2"}}]}]}', "media"),
    ],
)
def test_what_is_not_the_platforms_shape_is_unparseable_with_the_reason(platform: str, body: str, reason: str) -> None:
    with pytest.raises(d.Unparseable, match=reason):
        d.parse(platform, body)


# ------------------------------------------------------------------ the receive agent
def delivery(platform: str, body: bytes) -> bytes:
    rec = e.InboundReceived(delivery_id="d1", platform=platform, body=body.decode(), received_at=datetime.now(UTC))  # type: ignore[arg-type]
    return registry.encode(rec, source="tests", subject=platform)


def directory() -> MemoryInbound:
    return MemoryInbound(
        own={("instagram", "17841400000000001"): [OwnAccount("acct_ig", "blog")], ("x", "2244994945"): [OwnAccount("acct_x", "blog")]},
        posts={("acct_ig", "17890000000000001"): "post_ig_1"},
    )


async def test_one_delivery_sent_five_times_is_one_comment_on_the_inbox_topic_under_one_id() -> None:
    out, dirs = MemoryProducer(), directory()
    sent = [await handle(delivery("instagram", BODIES["instagram"]), dirs, out) for _ in range(5)]
    assert sent == [1, 0, 0, 0, 0]
    [comment] = out.messages(t.INBOX)
    assert isinstance(comment, e.CommentReceived)
    assert (comment.account_id, comment.site_id, comment.post_id, comment.platform_post_id) == (
        "acct_ig",
        "blog",
        "post_ig_1",
        "17890000000000001",
    )
    [env] = out.envelopes(t.INBOX)
    assert env.subject == "17890000000000001"  # about the post's platform id
    # keyed by the comment itself: the sweep's delivery of it lands in the same partition
    assert [m.key for topic, m in out.sent if topic == t.INBOX] == [comment_key("instagram", comment.comment_id).encode()]


async def test_a_resend_the_agent_did_not_remember_carries_the_same_event_id() -> None:
    first, second = MemoryProducer(), MemoryProducer()
    await handle(delivery("instagram", BODIES["instagram"]), directory(), first)
    await handle(delivery("instagram", BODIES["instagram"]), directory(), second)  # as after a crash before marking
    assert [x.id for x in first.envelopes(t.INBOX)] == [x.id for x in second.envelopes(t.INBOX)]


async def test_a_message_is_keyed_by_its_conversation() -> None:
    out = MemoryProducer()
    await handle(delivery("x", p.raw(p.x_dm())), directory(), out)
    [m] = out.messages(t.INBOX)
    assert isinstance(m, e.MessageReceived) and m.account_id == "acct_x"
    assert [x.subject for x in out.envelopes(t.INBOX)] == ["2244994945-3805104374"]


async def test_a_delivery_for_an_account_we_do_not_have_emits_nothing() -> None:
    out = MemoryProducer()
    assert await handle(delivery("facebook", BODIES["facebook"]), directory(), out) == 0
    assert out.sent == []


async def test_an_unparseable_delivery_is_unprocessable_with_the_reason() -> None:
    with pytest.raises(Unprocessable, match="object"):
        await handle(delivery("facebook", b'{"object": "user"}'), directory(), MemoryProducer())
