"""Inbound platform webhooks, pure: each platform's signature on the raw bytes, its handshake, and
its payloads read into the comments and messages the inbox takes (one parser per platform).

Signatures (checked on the bytes as received, never on re-serialised JSON: Meta escapes non-ASCII as
``\\uXXXX``, so a re-dump would not match), every comparison in constant time:

- Meta (Facebook Pages, Instagram): ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>``;
  the handshake is ``GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``, answered with the
  challenge as plain text when the verify token is ours, 403 otherwise.
  (developers.facebook.com/docs/graph-api/webhooks/getting-started, "Validating payloads")
- X (Account Activity / v2 webhooks): ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer
  secret, body)>``; the CRC is ``GET ?crc_token=…`` answered ``{"response_token": "sha256=" + base64
  HMAC-SHA256(consumer secret, crc_token)}``.
  (developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks; docs.x.com/x-api/webhooks/quickstart)
- TikTok: ``TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(client secret, "{t}.{body}")>``; a
  valid signature on a stale (or future) ``t`` is refused: the timestamp is signed against replays.
  (developers.tiktok.com/doc/webhooks-verification)
- LinkedIn: ``X-LI-Signature``: "the HMACSHA256 hash of the JSON-encoded string representation of the
  POST body prefixed by ``hmacsha256=``, computed using your app's clientSecret"; "you must compute the
  signature on the POST body prefixed by ``hmacsha256=``". Read to the letter: the header is the hex
  digest of HMAC-SHA256(client secret, ``"hmacsha256=" + body``) and nothing else (one form accepted).
  The challenge is ``GET ?challengeCode=…`` answered ``{"challengeCode", "challengeResponse": hex
  HMAC-SHA256(client secret, challengeCode)}``.
  (learn.microsoft.com/linkedin/shared/api-guide/webhook-validation)

Parsing is from the record of the delivery (:class:`schemas.events.InboundReceived`) downstream; what
cannot be read raises :class:`Unparseable` with the reason (the agent dead-letters it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from domain.exceptions import DomainError
from domain.inbox import meta_thread

Platform = Literal["facebook", "instagram", "x", "tiktok", "linkedin"]
PLATFORMS: tuple[Platform, ...] = ("facebook", "instagram", "x", "tiktok", "linkedin")
Kind = Literal["comment", "mention", "story_reply", "message"]

META_SIGNATURE = "x-hub-signature-256"
X_SIGNATURE = "x-twitter-webhooks-signature"
TIKTOK_SIGNATURE = "tiktok-signature"
LINKEDIN_SIGNATURE = "x-li-signature"
SIGNATURE_HEADER: dict[str, str] = {
    "facebook": META_SIGNATURE,
    "instagram": META_SIGNATURE,
    "x": X_SIGNATURE,
    "tiktok": TIKTOK_SIGNATURE,
    "linkedin": LINKEDIN_SIGNATURE,
}
# What LinkedIn's string-to-sign starts with (see the module's docstring).
LINKEDIN_SIGNED_PREFIX = b"hmacsha256="
# TikTok signs its timestamp against replays; it names no tolerance: five minutes, as Stripe-style schemes do.
TIKTOK_TOLERANCE_SECONDS = 300.0


class Unparseable(DomainError):
    """A verified delivery whose body is not the platform's documented shape."""


# ------------------------------------------------------------------ signatures
def _hmac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def sign(platform: str, secret: str, body: bytes, *, timestamp: int = 0) -> str:
    """The signature header's value a platform sends with ``body`` (tests and benchmarks sign with it)."""
    if platform in ("facebook", "instagram"):
        return "sha256=" + _hmac(secret, body).hex()
    if platform == "x":
        return "sha256=" + base64.b64encode(_hmac(secret, body)).decode()
    if platform == "tiktok":
        return f"t={timestamp},s={_hmac(secret, f'{timestamp}.'.encode() + body).hex()}"
    if platform == "linkedin":
        return _hmac(secret, LINKEDIN_SIGNED_PREFIX + body).hex()
    raise ValueError(f"no inbound webhooks from {platform}")


def refusal(
    platform: str, secret: str, body: bytes, header: str | None, *, now: float, tolerance: float = TIKTOK_TOLERANCE_SECONDS
) -> str | None:
    """Why a delivery is refused (``None``: its signature is the platform's over these bytes)."""
    name = SIGNATURE_HEADER[platform]
    if not secret:
        return f"no {platform} app secret is configured: nothing can be verified"
    if not header:
        return f"{name}: missing"
    if platform == "tiktok":
        parts = dict(p.strip().partition("=")[::2] for p in header.split(","))
        t, s = parts.get("t", ""), parts.get("s", "")
        if not t.isdigit() or not s:
            return f"{name}: expected t=<unix seconds>,s=<hex>"
        if abs(now - int(t)) > tolerance:
            return f"{name}: timestamp {t} is outside the {tolerance:.0f} s tolerance (a replay, or a clock far off)"
        expected = _hmac(secret, f"{t}.".encode() + body).hex()
        return None if hmac.compare_digest(s.lower().encode(), expected.encode()) else f"{name}: does not match the body"
    expected = sign(platform, secret, body)
    if platform in ("facebook", "instagram", "x") and not header.startswith("sha256="):
        return f"{name}: expected sha256=<{'base64' if platform == 'x' else 'hex'}>"
    got = header.strip()
    if platform != "x":  # hex digests: either case
        got = got.lower()
    return None if hmac.compare_digest(got.encode(), expected.encode()) else f"{name}: does not match the body"


# ------------------------------------------------------------------ handshakes
def meta_challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo, or ``None`` (answer 403): the mode is subscribe and the token is ours."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not verify_token or not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge", "")


def x_crc(secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": "sha256=" + base64.b64encode(_hmac(secret, crc_token.encode())).decode()}


def linkedin_challenge(secret: str, challenge_code: str) -> dict[str, str]:
    return {"challengeCode": challenge_code, "challengeResponse": _hmac(secret, challenge_code.encode()).hex()}


# ------------------------------------------------------------------ what a delivery says
@dataclass(frozen=True, slots=True)
class Comment:
    """A comment, mention or own reply (``echo``) on an account's content, by the platform's ids."""

    platform: Platform
    account: str  # the platform's id of the account it concerns (Page id, IG user id, for_user_id, org URN)
    comment_id: str
    post_ids: tuple[str, ...]  # the platform's ids of the post it is on, the reported one first
    author_id: str
    created_at: datetime
    text: str = ""
    author_name: str = ""
    parent_id: str = ""
    kind: Kind = "comment"
    echo: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """A direct message in a conversation with the account (``echo``: the account sent it)."""

    platform: Platform
    account: str
    conversation_id: str
    message_id: str
    sender_id: str
    created_at: datetime
    text: str = ""
    sender_name: str = ""
    echo: bool = False
    kind: Kind = "message"
    story_id: str = ""  # a story reply: the story's media id


Item = Comment | Message


def parse(platform: str, body: str) -> list[Item]:
    """What one delivery says, in the order it says it (``[]``: nothing for the inbox, e.g. a like)."""
    try:
        doc = json.loads(body)
    except ValueError as err:
        raise Unparseable(f"body: not JSON ({err})") from err
    if not isinstance(doc, dict):
        raise Unparseable("body: expected a JSON object")
    try:
        return PARSERS[platform](doc)
    except Unparseable:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Unparseable(f"{platform}: {type(err).__name__}: {err}") from err


def _text(v: Any) -> str:
    """Text as Postgres (and every topic's reader) can hold it: no NUL character."""
    return str(v or "").replace("\x00", "")


def _id(v: Any, what: str) -> str:
    if isinstance(v, bool) or not isinstance(v, (str, int)) or str(v) == "":
        raise Unparseable(f"{what}: expected an id")
    return str(v)


def _when(v: Any) -> datetime:
    """Unix seconds or milliseconds (Meta's ``entry.time`` is either, by product), as UTC."""
    n = float(v)
    return datetime.fromtimestamp(n / 1000 if n > 1e11 else n, UTC)


def _list(doc: Mapping[str, Any], key: str) -> list[Any]:
    v = doc.get(key, [])
    if not isinstance(v, list):
        raise Unparseable(f"{key}: expected a list")
    return v


# ------------------------------------------------------------------ Meta
# Payloads: developers.facebook.com/docs/instagram-platform/webhooks/examples (comments, live_comments,
# mentions, messaging incl. is_echo and reply_to.story); .../graph-api/webhooks/reference/page (feed:
# item, verb, comment_id, post_id, parent_id, from, message, created_time); Oct 20 2021 changelog (IG
# comments carry from, media, parent_id).
def parse_meta(doc: dict[str, Any]) -> list[Item]:
    obj = doc.get("object")
    platform: Platform
    if obj == "instagram":
        platform = "instagram"
    elif obj == "page":
        platform = "facebook"
    else:
        raise Unparseable(f"object: {obj!r} is neither 'page' nor 'instagram'")
    out: list[Item] = []
    for entry in _list(doc, "entry"):
        account = _id(entry.get("id"), "entry.id")
        for change in _list(entry, "changes"):
            item = _meta_change(platform, account, change, entry.get("time", 0))
            if item is not None:
                out.append(item)
        for m in _list(entry, "messaging"):
            item = _meta_message(platform, account, m)
            if item is not None:
                out.append(item)
    return out


def _meta_change(platform: Platform, account: str, change: dict[str, Any], time: Any) -> Item | None:
    field, v = change.get("field"), change.get("value") or {}
    if platform == "instagram" and field in ("comments", "live_comments"):
        author = v.get("from") or {}
        media = v.get("media") or {}
        return Comment(
            platform,
            account,
            _id(v.get("id"), "value.id"),
            (_id(media.get("id"), "value.media.id"),),
            _id(author.get("id"), "value.from.id"),
            _when(time),
            text=_text(v.get("text")),
            author_name=_text(author.get("username")),
            parent_id=str(v.get("parent_id") or ""),
            echo=str(author.get("id")) == account,
        )
    if platform == "instagram" and field == "mentions":  # the account @mentioned in a comment on someone's media
        return Comment(
            platform,
            account,
            _id(v.get("comment_id"), "value.comment_id"),
            (_id(v.get("media_id"), "value.media_id"),),
            "",
            _when(time),
            kind="mention",
        )
    if platform == "facebook" and field == "feed":
        if v.get("item") != "comment" or v.get("verb") != "add":
            return None  # reactions, edits, removals, the Page's own posts: not the inbox's
        author = v.get("from") or {}
        post_id = _id(v.get("post_id"), "value.post_id")
        parent = str(v.get("parent_id") or "")
        return Comment(
            platform,
            account,
            _id(v.get("comment_id"), "value.comment_id"),
            (post_id,),
            _id(author.get("id"), "value.from.id"),
            _when(v.get("created_time") or time),
            text=_text(v.get("message")),
            author_name=_text(author.get("name")),
            parent_id="" if parent == post_id else parent,  # a top-level comment's parent is the post
            echo=str(author.get("id")) == account,
        )
    if platform == "facebook" and field == "mention":
        if v.get("verb") != "add":
            return None
        post_id = _id(v.get("post_id"), "value.post_id")
        return Comment(
            platform,
            account,
            str(v.get("comment_id") or post_id),
            (post_id,),
            str(v.get("sender_id") or ""),
            _when(v.get("created_time") or time),
            text=_text(v.get("message")),
            author_name=_text(v.get("sender_name")),
            kind="mention",
        )
    return None  # fields the inbox does not take (story_insights, ratings, …)


def _meta_message(platform: Platform, account: str, m: dict[str, Any]) -> Message | None:
    msg = m.get("message")
    if not isinstance(msg, dict) or msg.get("is_deleted") or msg.get("is_unsupported"):
        return None  # read receipts, reactions, postbacks, deletions
    sender = _id((m.get("sender") or {}).get("id"), "messaging.sender.id")
    recipient = _id((m.get("recipient") or {}).get("id"), "messaging.recipient.id")
    echo = bool(msg.get("is_echo")) or sender == account
    user = recipient if echo else sender
    story = ((msg.get("reply_to") or {}).get("story") or {}) if isinstance(msg.get("reply_to"), dict) else {}
    return Message(
        platform,
        account,
        meta_thread(account, user),
        _id(msg.get("mid"), "messaging.message.mid"),
        sender,
        _when(m.get("timestamp")),
        text=_text(msg.get("text")),
        echo=echo,
        kind="story_reply" if story else "message",
        story_id=str(story.get("id") or ""),
    )


# ------------------------------------------------------------------ X
# Account Activity payloads: developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/
# account-activity-data-objects (for_user_id, tweet_create_events: v1.1 Tweet objects; direct_message_events:
# type message_create, id, created_timestamp, message_create.{target.recipient_id, sender_id, message_data.text}; users).
X_TIME = "%a %b %d %H:%M:%S %z %Y"


def parse_x(doc: dict[str, Any]) -> list[Item]:
    me = _id(doc.get("for_user_id"), "for_user_id")
    out: list[Item] = []
    for tw in _list(doc, "tweet_create_events"):
        item = _x_tweet(me, tw)
        if item is not None:
            out.append(item)
    users = doc.get("users") or {}
    for dm in _list(doc, "direct_message_events"):
        if dm.get("type") != "message_create":
            continue
        mc = dm.get("message_create") or {}
        sender = _id(mc.get("sender_id"), "message_create.sender_id")
        recipient = _id((mc.get("target") or {}).get("recipient_id"), "message_create.target.recipient_id")
        out.append(
            Message(
                "x",
                me,
                "-".join(sorted((sender, recipient), key=lambda s: (len(s), s))),  # X's one-to-one dm_conversation_id
                _id(dm.get("id"), "direct_message_events.id"),
                sender,
                _when(dm.get("created_timestamp")),
                text=_text((mc.get("message_data") or {}).get("text")),
                sender_name=_text((users.get(sender) or {}).get("name")),
                echo=sender == me,
            )
        )
    return out


def x_kind(me: str, author: str, replied_to: str, in_reply_to_user: str, mentioned: set[str]) -> Kind | None:
    """What a tweet is to the account ``me``, one answer for the webhook and the sweep (so one tweet is
    one inbox item): a reply to us (or our own reply) is a comment; another tweet that mentions us (a
    reply to someone else in our thread carries the thread's @names) is a mention; None: neither."""
    if in_reply_to_user == me or (author == me and replied_to):
        return "comment"
    return "mention" if me in mentioned else None


def _x_tweet(me: str, tw: dict[str, Any]) -> Comment | None:
    if tw.get("retweeted_status"):
        return None
    user = tw.get("user") or {}
    author = _id(user.get("id_str") or user.get("id"), "tweet.user.id_str")
    replied_to = str(tw.get("in_reply_to_status_id_str") or "")
    mentioned = {str(u.get("id_str") or u.get("id")) for u in ((tw.get("entities") or {}).get("user_mentions") or [])}
    echo = author == me
    if echo and not replied_to:
        return None  # our own post, not a reply: the publish path knows it
    kind = x_kind(me, author, replied_to, str(tw.get("in_reply_to_user_id_str") or ""), mentioned)
    if kind is None:
        return None
    text = (tw.get("extended_tweet") or {}).get("full_text") if tw.get("truncated") else tw.get("text")
    created = _when(tw["timestamp_ms"]) if tw.get("timestamp_ms") else datetime.strptime(tw["created_at"], X_TIME)
    return Comment(
        "x",
        me,
        _id(tw.get("id_str") or tw.get("id"), "tweet.id_str"),
        (replied_to,) if replied_to else (),
        author,
        created,
        text=_text(text),
        author_name=_text(user.get("name") or user.get("screen_name")),
        parent_id=replied_to,
        kind=kind,
        echo=echo,
    )


# ------------------------------------------------------------------ TikTok
# developers.tiktok.com/doc/webhooks-events: {client_key, event, create_time, user_openid, content (a
# JSON string)}. The events it documents are authorization.removed, video.upload.failed,
# video.publish.completed, post.publish.* and portability.*: none is a comment or a message (TikTok's
# comments reach the inbox by the sweep). A documented envelope is accepted and says nothing here.
TIKTOK_KEYS = ("client_key", "event", "create_time", "user_openid", "content")


def parse_tiktok(doc: dict[str, Any]) -> list[Item]:
    missing = [k for k in TIKTOK_KEYS if k not in doc]
    if missing:
        raise Unparseable(f"tiktok: missing {', '.join(missing)}")
    if not isinstance(doc["content"], str):
        raise Unparseable("content: expected a serialised JSON string")
    return []


# ------------------------------------------------------------------ LinkedIn
# learn.microsoft.com/linkedin/marketing/community-management/organizations/organization-social-action-notifications:
# {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{notificationId, organizationalEntity,
# action (LIKE, COMMENT, SHARE, SHARE_MENTION, ADMIN_COMMENT, COMMENT_EDIT, COMMENT_DELETE), sourcePost,
# decoratedSourcePost{entity, owner, text}, generatedActivity, decoratedGeneratedActivity{comment{entity, owner,
# text, object}}, lastModifiedAt, subscriber}]} (dedupe on notificationId; a comment's URN is as stable).
def parse_linkedin(doc: dict[str, Any]) -> list[Item]:
    notes = _list(doc, "notifications") if "notifications" in doc else [doc] if "notificationId" in doc else None
    if notes is None:
        raise Unparseable("linkedin: expected notifications[] (or one notification)")
    out: list[Item] = []
    for n in notes:
        _id(n.get("notificationId"), "notificationId")
        action = n.get("action")
        if action not in ("COMMENT", "ADMIN_COMMENT", "SHARE_MENTION"):
            continue  # likes, shares, edits, deletions
        org = _id(n.get("organizationalEntity"), "organizationalEntity")
        source = n.get("decoratedSourcePost") or {}
        posts = tuple(dict.fromkeys(str(p) for p in (source.get("entity"), n.get("sourcePost")) if p))
        when = _when(n.get("lastModifiedAt") or 0)
        if action == "SHARE_MENTION":
            gen = n.get("decoratedGeneratedActivity") or {}
            share = gen.get("share") or {}
            out.append(
                Comment(
                    "linkedin",
                    org,
                    _id(n.get("generatedActivity"), "generatedActivity"),
                    posts,
                    str(share.get("owner") or ""),
                    when,
                    text=_text(share.get("text")),
                    kind="mention",
                )
            )
            continue
        c = (n.get("decoratedGeneratedActivity") or {}).get("comment") or {}
        obj = str(c.get("object") or "")
        out.append(
            Comment(
                "linkedin",
                org,
                _id(c.get("entity") or n.get("generatedActivity"), "decoratedGeneratedActivity.comment.entity"),
                posts,
                _id(c.get("owner"), "decoratedGeneratedActivity.comment.owner"),
                when,
                text=_text(c.get("text") if "text" in c else (c.get("message") or {}).get("text")),
                parent_id=obj if obj.startswith("urn:li:comment:") else "",
                echo=action == "ADMIN_COMMENT" or str(c.get("owner")) == org,
            )
        )
    return out


PARSERS: dict[str, Callable[[dict[str, Any]], list[Item]]] = {
    "facebook": parse_meta,
    "instagram": parse_meta,
    "x": parse_x,
    "tiktok": parse_tiktok,
    "linkedin": parse_linkedin,
}
