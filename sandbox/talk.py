"""The audience talks back: simulated users comment on the sandbox's posts, mention its accounts,
answer their stories and write to them, and each platform tells the app by a signed webhook in its own
payload shape — with the duplicates, late and lost deliveries and retries real webhooks have. What a
webhook lost, a sweep finds in the listings (:mod:`sandbox.platforms.listings`).

The data model (in :mod:`sandbox.state`, on ``SandboxState``; reply endpoints read and extend it):

- ``st.comments: dict[id, Comment]`` — ``Comment(id, platform, account, post_id, author_id,
  author_name, text, created_at, parent_id="", kind="comment"|"mention"|"story_reply", hidden=False,
  replies=[child ids], extra={})``. ``id`` is the platform's comment id (Facebook ``{post}_{n}``,
  others numeric); a reply has ``parent_id`` and is listed in its parent's ``replies``
  (``st.add_comment`` keeps that). ``st.comments_on(platform, post_id, parent_id="")`` lists a level.
  The account's own replies go in the same dict with ``author_id == account``.
- ``st.conversations: dict[id, Conversation]`` — ``Conversation(id, platform, account,
  participant_id, participant_name, messages=[Message], last_user_message_at)``; ``Message(id,
  sender_id, text, created_at, story_id="", extra={})``, oldest first. ``st.conversation(platform,
  account, participant)`` finds or opens the thread (Meta ``t_…``, X ``{low id}-{high id}``),
  ``st.add_message(conv, m)`` appends and moves ``last_user_message_at`` when the user wrote: the
  24-hour messaging window opens there. A reply endpoint that wants its message echoed back (Meta
  ``is_echo``, X's own ``message_create``) appends it with ``sender_id == account`` and calls
  ``talk.enqueue(platform, (conv, m), [m.id])`` (``app.state.talk``); ``talk.enqueue(platform,
  comment, [comment.id])`` does the same for the account's own public reply.
- ``st.webhooks: dict[platform, {"url", "client_id", "verify_token"}]`` — where each platform's
  webhooks go, registered through the handshake below.

Operator endpoints:

    POST /_sandbox/talk                 {"platform", "account"?, "post_id"?, "kind": comment|mention|story_reply|message,
                                         "text", "author": "name" | {"id", "name"}, "parent_id"?, "story_id"?}
                                        -> 201 {"comment"|"message": ..., "delivery": {"id", "state"}}
    POST /_sandbox/talk/bulk            {"platform", "post_id"?, "batch"? (Meta: 1..1000 updates a delivery; others 1),
                                         "comments": [{"text", "author", "post_id"?}, ...] (at most 20,000)}
                                        -> 201 {"comments": [{"id", "post_id", "author_id"}], "deliveries": [{"id", "state", "events"}]}
                                        many top-level comments at once (a load test scripts 10,000 in one call)
    PUT  /_sandbox/talk/rate            {"seed"?, "rates": {platform: events per minute}} (0 / {} = off, the default)
    PUT  /_sandbox/talk/faults          {"seed"?, "drop", "duplicate", "reorder" (shares 0..1), "reorder_delay" s,
                                         "retry_scale" (sandbox seconds per platform second; 1/3600: Meta's 36 h in 36 s),
                                         "batch_window" s (Meta: what happens this close together shares a notification)}
    GET  /_sandbox/talk/deliveries      ?platform= -> every delivery: id, platform, events, state, attempts, duplicated, delayed
    PUT  /_sandbox/webhooks/{platform}  {"url", "verify_token" (Meta), "client_id"?} -> the platform's handshake first;
                                        a callback that fails it is refused (400), as the platforms refuse it
    GET  /_sandbox/webhooks             the registrations (never a secret); DELETE /_sandbox/webhooks/{platform}

Signatures use the secret of the platform's OAuth app registered in the sandbox (Instagram's is the
Facebook app's): Meta ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`` (and the
legacy ``X-Hub-Signature: sha1=…``), developers.facebook.com/docs/graph-api/webhooks/getting-started;
X ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>``,
developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks; TikTok
``TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(client secret, "{t}.{body}")>``,
developers.tiktok.com/doc/webhooks-verification; LinkedIn ``X-LI-Signature: <hex HMAC-SHA256(client
secret, "hmacsha256=" + body)>`` ("the POST body prefixed by hmacsha256="),
learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation.

Meta batches: one notification carries up to 1,000 updates, each an ``entry`` of its own
(developers.facebook.com/docs/graph-api/webhooks/getting-started: "batched ... a maximum of 1000
updates"; ../shared/docs/research-audience-and-video.md); the bulk endpoint sends ``batch`` comments a
delivery, and a fault (drop, duplicate, delay) strikes the whole delivery, as a resent notification
is the same bytes. ``batch_window`` gathers what happens (comments, messages, the account's own
replies' echoes) into one notification by time, as Meta aggregates; which updates share one then
depends on timing, so seeded faults strike the same notifications only for the same batches. The
other platforms' bodies here say one event each (``batch`` 1).

Randomness is seeded: the faults draw from ``Random(f"{seed}:faults")`` in the order deliveries are
made, the background users from ``Random(f"{seed}:talk")``, so one seed and one script give the
same drops, duplicates and users on every run.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from sandbox.state import Comment, Conversation, Message, SandboxState

TALK_PLATFORMS = ("instagram", "facebook", "x", "linkedin", "tiktok")
# What each platform tells an app about by webhook (the kinds the operator API accepts for it).
KINDS: dict[str, tuple[str, ...]] = {
    "instagram": ("comment", "mention", "story_reply", "message"),  # fields comments, mentions, messages
    "facebook": ("comment", "mention", "message"),  # Page feed, mention, Messenger messages
    "x": ("comment", "mention", "message"),  # Account Activity: tweet_create_events, direct_message_events
    "linkedin": ("comment", "mention"),  # ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS: COMMENT, SHARE_MENTION
    "tiktok": ("comment",),  # comment events of TikTok's business webhooks
}
PROVIDER = {"instagram": "facebook", "facebook": "facebook", "x": "x", "linkedin": "linkedin", "tiktok": "tiktok"}
# Seconds between attempts after a failed delivery, in the platform's own time (scaled by retry_scale):
# Meta "immediately tries a few more times, then with decreasing frequency over the next 36 hours"
# (developers.facebook.com/docs/graph-api/webhooks/getting-started, "Event Notifications");
# TikTok "exponential backoff for up to 72 hours" (developers.tiktok.com/doc/webhooks-overview);
# LinkedIn "every 5 minutes for 8 hours" (organization social action notifications);
# X's Account Activity retries a few times over minutes (its schedule is not published; a guess).
RETRIES: dict[str, list[float]] = {
    "meta": [0, 0, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 12 * 3600],
    "tiktok": [60.0 * 2**i for i in range(12)],
    "linkedin": [300.0] * 96,
    "x": [30, 90, 180],
}
HANDSHAKE_TIMEOUT = 3.0  # X's CRC and LinkedIn's challenge must be answered within 3 s
SEND_TIMEOUT = 10.0
BULK_MAX = 20_000  # comments one bulk call may script
IN_FLIGHT = 32  # deliveries being sent at once; the rest wait their turn
META_BATCH = 1000  # updates in one Meta notification at most
NAMES = ("ana", "bo", "chen", "dara", "eli", "femi", "gus", "hana", "ivo", "jun", "kira", "lea", "mo", "nia", "oskar", "pia")
PHRASES = (
    "Love this!",
    "Where can I read more?",
    "Is this still available?",
    "Great point, thanks for sharing",
    "Can you send me the link?",
    "Not sure I agree with this one",
    "When is the next one?",
    "Do you ship to Portugal?",
    "🔥🔥",
    "Kann ich das auch auf Deutsch lesen?",
)


def family(platform: str) -> str:
    return "meta" if platform in ("instagram", "facebook") else platform


def user_id(platform: str, name: str) -> str:
    """A simulated user's id on ``platform``, the same for the same name: Instagram-/Page-scoped
    numeric ids, X numeric ids, LinkedIn person URNs, TikTok open-id-like strings."""
    h = hashlib.sha256(f"talk:{platform}:{name}".encode()).hexdigest()
    if platform == "linkedin":
        return f"urn:li:person:{base64.urlsafe_b64encode(bytes.fromhex(h[:15] + '0')).decode()[:10]}"
    if platform == "tiktok":
        return "-000" + h[:28]
    return str(10**15 + int(h[:13], 16) % (9 * 10**15))


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def x_time(t: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime(t))


# ---------------------------------------------------------------------------- payload shapes
def payload(st: SandboxState, platform: str, item: Comment | tuple[Conversation, Message], client_id: str) -> dict[str, Any]:
    """The body the platform sends for one new comment, mention or message."""
    if isinstance(item, tuple):
        conv, m = item
        return _message_payload(platform, conv, m)
    c = item
    ms = int(c.created_at * 1000)
    if platform == "instagram":
        # developers.facebook.com/docs/graph-api/webhooks/reference/instagram (comments, mentions);
        # the comments value's from/media/parent_id: .../graph-api/changelog/ooc-changes/oct-20-2021
        if c.kind == "mention":
            change = {"field": "mentions", "value": {"media_id": c.post_id, "comment_id": c.id}}
        else:
            value: dict[str, Any] = {
                "from": {"id": c.author_id, "username": c.author_name},
                "media": {"id": c.post_id, "media_product_type": "FEED"},
                "id": c.id,
                "text": c.text,
            }
            if c.parent_id:
                value["parent_id"] = c.parent_id
            change = {"field": "comments", "value": value}
        return {"object": "instagram", "entry": [{"id": c.account, "time": int(c.created_at), "changes": [change]}]}
    if platform == "facebook":
        # Page webhooks, field feed (item comment, verb add) and field mention:
        # developers.facebook.com/docs/graph-api/webhooks/reference/page
        if c.kind == "mention":
            value = {"post_id": c.post_id, "sender_name": c.author_name, "sender_id": c.author_id, "item": "comment", "comment_id": c.id}
            value |= {"verb": "add", "created_time": int(c.created_at), "message": c.text}
            change = {"field": "mention", "value": value}
        else:
            post = {"status_type": "mobile_status_update", "is_published": True, "updated_time": iso(c.created_at), "id": c.post_id}
            post |= {"permalink_url": f"https://www.facebook.com/{c.post_id}", "promotion_status": "inactive"}
            value = {"from": {"id": c.author_id, "name": c.author_name}, "post": post, "message": c.text, "post_id": c.post_id}
            value |= {"comment_id": c.id, "created_time": int(c.created_at), "item": "comment", "parent_id": c.parent_id or c.post_id}
            value |= {"verb": "add"}
            change = {"field": "feed", "value": value}
        return {"object": "page", "entry": [{"id": c.account, "time": int(c.created_at), "changes": [change]}]}
    if platform == "x":
        # Account Activity API data objects: {"for_user_id", "tweet_create_events": [v1.1 Tweet]}; a
        # mention adds "user_has_blocked" (developer.x.com/en/docs/twitter-api/enterprise/
        # account-activity-api/guides/account-activity-data-objects)
        parent = st.posts["x"].get(c.post_id)
        reply_to = c.parent_id or (c.post_id if c.kind == "comment" else "")
        reply_user = st.comments[c.parent_id].author_id if c.parent_id in st.comments else (parent.account if parent else None)
        tweet: dict[str, Any] = {
            "created_at": x_time(c.created_at),
            "id": int(c.id),
            "id_str": c.id,
            "text": c.text,
            "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
            "truncated": False,
            "in_reply_to_status_id": int(reply_to) if reply_to else None,
            "in_reply_to_status_id_str": reply_to or None,
            "in_reply_to_user_id": int(reply_user) if reply_to and reply_user else None,
            "in_reply_to_user_id_str": reply_user if reply_to else None,
            "user": {"id": int(c.author_id), "id_str": c.author_id, "name": c.author_name.title(), "screen_name": c.author_name},
            "entities": {
                "hashtags": [],
                "urls": [],
                "symbols": [],
                "user_mentions": [{"id": int(c.account), "id_str": c.account, "indices": [0, 0]}],
            },
            "timestamp_ms": str(ms),
        }
        body: dict[str, Any] = {"for_user_id": c.account}
        if c.kind == "mention":
            body["user_has_blocked"] = "false"
        return body | {"tweet_create_events": [tweet]}
    if platform == "linkedin":
        # ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS (learn.microsoft.com/en-us/linkedin/marketing/
        # community-management/organizations/organization-social-action-notifications)
        post_urn = f"urn:li:share:{c.post_id}"
        if c.kind == "mention":
            action, activity = "SHARE_MENTION", f"urn:li:share:{c.id}"
            decorated: dict[str, Any] = {"share": {"entity": activity, "owner": c.author_id, "text": c.text}}
        else:
            action, activity = "COMMENT", f"urn:li:comment:({post_urn},{c.id})"
            decorated = {"comment": {"entity": activity, "actor": c.author_id, "text": c.text}}
        note = {
            "notificationId": int(c.id),
            "organizationalEntity": c.account,
            "action": action,
            "sourcePost": post_urn if c.post_id else None,
            "generatedActivity": activity,
            "decoratedGeneratedActivity": decorated,
            "lastModifiedAt": ms,
            "subscriber": c.account,
        }
        return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [note]}
    # TikTok: the webhook envelope {client_key, event, create_time, user_openid, content (a JSON
    # string)} of developers.tiktok.com/doc/webhooks-events; the comment event's name and content
    # follow TikTok's business webhooks (business-api.tiktok.com/portal/docs?id=1759978319341570),
    # which publish no schema: the fields here are the sandbox's reading.
    content = {
        "comment_id": c.id,
        "video_id": c.post_id,
        "parent_comment_id": c.parent_id or c.post_id,
        "comment_type": "reply" if c.parent_id else "comment",
        "comment_action": "insert",
        "user_id": c.author_id,
        "username": c.author_name,
        "text": c.text,
        "timestamp": int(c.created_at),
    }
    return {
        "client_key": client_id,
        "event": "comment.update",
        "create_time": int(c.created_at),
        "user_openid": c.account,
        "content": json.dumps(content, separators=(",", ":")),
    }


def batched(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Meta's notification of several updates: one ``entry`` each, under the first body's object."""
    if len(bodies) == 1:
        return bodies[0]
    return {"object": bodies[0]["object"], "entry": [entry for b in bodies for entry in b["entry"]]}


def _message_payload(platform: str, conv: Conversation, m: Message) -> dict[str, Any]:
    ms = int(m.created_at * 1000)
    if platform in ("instagram", "facebook"):
        # Messenger Platform / Instagram messaging webhooks, field messages: entry[].messaging[] with
        # sender, recipient, timestamp, message{mid, text[, reply_to{story{url, id}}]}
        # (developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages;
        # .../instagram-platform/webhooks/examples, "Messaging payload", story replies)
        message: dict[str, Any] = {"mid": m.id, "text": m.text}
        if m.story_id:
            message["reply_to"] = {
                "story": {"url": f"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id={m.story_id}", "id": m.story_id}
            }
        echo = m.sender_id == conv.account  # the account's own message comes back as an echo
        if echo:
            message["is_echo"] = True
        recipient = conv.participant_id if echo else conv.account
        event = {"sender": {"id": m.sender_id}, "recipient": {"id": recipient}, "timestamp": ms, "message": message}
        return {
            "object": "instagram" if platform == "instagram" else "page",
            "entry": [{"id": conv.account, "time": ms, "messaging": [event]}],
        }
    # X: direct_message_events of message_create events, with the users involved
    # (developer.x.com/en/docs/x-api/v1/direct-messages/sending-and-receiving/guides/message-create-object)
    dm = {
        "type": "message_create",
        "id": m.id,
        "created_timestamp": str(ms),
        "message_create": {
            "target": {"recipient_id": conv.account if m.sender_id != conv.account else conv.participant_id},
            "sender_id": m.sender_id,
            "message_data": {"text": m.text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}},
        },
    }
    users = {
        conv.participant_id: {"id": conv.participant_id, "name": conv.participant_name.title(), "screen_name": conv.participant_name},
        conv.account: {"id": conv.account, "name": "", "screen_name": ""},
    }
    return {"for_user_id": conv.account, "direct_message_events": [dm], "users": users}


def sign(platform: str, secret: str, body: bytes, now: int | None = None) -> dict[str, str]:
    """The signature headers the platform puts on ``body``."""
    key = secret.encode()
    if family(platform) == "meta":
        return {
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        }
    if platform == "x":
        return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()}
    if platform == "tiktok":
        t = int(time.time()) if now is None else now
        return {"TikTok-Signature": f"t={t},s=" + hmac.new(key, f"{t}.".encode() + body, hashlib.sha256).hexdigest()}
    return {"X-LI-Signature": hmac.new(key, b"hmacsha256=" + body, hashlib.sha256).hexdigest()}


# ---------------------------------------------------------------------------- delivery
@dataclass
class Delivery:
    id: str
    platform: str
    body: bytes
    events: list[str]
    state: str = "queued"  # queued | delivered | failed | dropped | unsubscribed
    attempts: list[dict[str, Any]] = field(default_factory=list)  # {"at", "status" | "error", "copy"}
    duplicated: bool = False
    delayed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "events": self.events,
            "state": self.state,
            "attempts": self.attempts,
            "duplicated": self.duplicated,
            "delayed": self.delayed,
        }


@dataclass
class Faults:
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay: float = 0.3  # sandbox seconds a reordered delivery waits, so later ones overtake it
    retry_scale: float = 1 / 3600  # sandbox seconds per second of the platform's retry schedule
    batch_window: float = 0.0  # Meta: updates this many seconds apart share a notification (0: one each)


class Talk:
    """The simulated audience and the webhook sender of one sandbox app."""

    def __init__(self, st: SandboxState, seed: str = "sandbox") -> None:
        self.st = st
        self.faults = Faults()
        self.rates: dict[str, float] = {}
        self.deliveries: list[Delivery] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self._generator: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._sending = asyncio.Semaphore(IN_FLIGHT)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._held: dict[str, tuple[Delivery, list[Any]]] = {}  # Meta's notification being gathered, per platform
        self.reseed(seed)

    def reseed(self, seed: str) -> None:
        self.seed = seed
        self.fault_rng = random.Random(f"{seed}:faults")
        self.talk_rng = random.Random(f"{seed}:talk")

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # one client per event loop (tests make many loops)
            self._client = httpx.AsyncClient(timeout=SEND_TIMEOUT, follow_redirects=False)
            self._sending = asyncio.Semaphore(IN_FLIGHT)
            self._loop = loop
        return self._client

    def secret(self, platform: str, client_id: str = "") -> tuple[str, str] | None:
        """(client id, secret) of the platform's OAuth app: the one named, else the only one registered."""
        provider = PROVIDER[platform]
        apps = [c for (p, cid), c in self.st.oauth.clients.items() if p == provider and (not client_id or cid == client_id)]
        return (apps[0].client_id, apps[0].secret) if apps else None

    # ---- events
    def comment(
        self,
        platform: str,
        account: str,
        post_id: str,
        author: tuple[str, str],
        text: str,
        kind: str = "comment",
        parent_id: str = "",
    ) -> tuple[Comment, Delivery]:
        n = self.st.next_id()
        cid = f"{post_id}_{n}" if platform == "facebook" and post_id else n
        c = Comment(cid, platform, account, post_id, author[0], author[1], text, time.time(), parent_id=parent_id, kind=kind)
        self.st.add_comment(c)
        return c, self.enqueue(platform, c, [c.id])

    def message(
        self, platform: str, account: str, author: tuple[str, str], text: str, story_id: str = ""
    ) -> tuple[Conversation, Message, Delivery]:
        conv = self.st.conversation(platform, account, author[0], author[1])
        mid = self.st.next_id() if platform == "x" else "m_" + secrets.token_urlsafe(24)
        m = self.st.add_message(conv, Message(mid, author[0], text, time.time(), story_id=story_id))
        return conv, m, self.enqueue(platform, (conv, m), [m.id])

    def comments(
        self, platform: str, account: str, said: list[tuple[str, tuple[str, str], str]], batch: int = 1
    ) -> tuple[list[Comment], list[Delivery]]:
        """Many top-level comments ``(post_id, (author id, name), text)`` at once, ``batch`` a delivery."""
        made = []
        for post_id, author, text in said:
            n = self.st.next_id()
            cid = f"{post_id}_{n}" if platform == "facebook" and post_id else n
            made.append(self.st.add_comment(Comment(cid, platform, account, post_id, author[0], author[1], text, time.time())))
        deliveries = [
            self.enqueue_many(platform, made[i : i + batch], [c.id for c in made[i : i + batch]]) for i in range(0, len(made), batch)
        ]
        return made, deliveries

    def enqueue(self, platform: str, item: Comment | tuple[Conversation, Message], events: list[str]) -> Delivery:
        if family(platform) == "meta" and self.faults.batch_window > 0:
            return self._gather(platform, item, events)
        return self.enqueue_many(platform, [item], events)

    def enqueue_many(self, platform: str, items: list[Comment] | list[tuple[Conversation, Message]], events: list[str]) -> Delivery:
        """One delivery telling of ``items`` (several only for Meta's batches)."""
        d = Delivery("dlv_" + secrets.token_hex(8), platform, b"", list(events))
        self.deliveries.append(d)
        self._dispatch(d, items)
        return d

    def _gather(self, platform: str, item: Comment | tuple[Conversation, Message], events: list[str]) -> Delivery:
        """Meta's aggregation: what happens within ``batch_window`` seconds goes in one notification
        (at most 1,000 updates); the delivery is queued from the first update on."""
        held = self._held.get(platform)
        if held is None:
            held = self._held[platform] = (Delivery("dlv_" + secrets.token_hex(8), platform, b"", []), [])
            self.deliveries.append(held[0])
            asyncio.get_running_loop().call_later(self.faults.batch_window, self._release, platform, held)
        held[0].events.extend(events)
        held[1].append(item)
        if len(held[1]) >= META_BATCH:
            self._release(platform, held)
        return held[0]

    def _release(self, platform: str, held: tuple[Delivery, list[Any]]) -> None:
        if self._held.get(platform) is held:
            del self._held[platform]
            self._dispatch(*held)

    def _dispatch(self, d: Delivery, items: list[Any]) -> None:
        # Three draws per delivery, always, so the same script under the same seed meets the same faults.
        drop, dup, late = self.fault_rng.random(), self.fault_rng.random(), self.fault_rng.random()
        sub = self.st.webhooks.get(d.platform)
        app = self.secret(d.platform, sub["client_id"]) if sub else None
        client_id = app[0] if app else ""
        d.body = json.dumps(
            batched([payload(self.st, d.platform, item, client_id) for item in items]), separators=(",", ":")
        ).encode()  # ASCII, \\u escapes, as Meta
        if sub is None or app is None:
            d.state = "unsubscribed"
            return
        if drop < self.faults.drop:
            d.state = "dropped"
            return
        d.duplicated = dup < self.faults.duplicate
        d.delayed = late < self.faults.reorder
        task = asyncio.get_running_loop().create_task(self._run(d))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, d: Delivery) -> None:
        if d.delayed:
            await asyncio.sleep(self.faults.reorder_delay)
        schedule = [0.0, *RETRIES[family(d.platform)]]
        for wait in schedule:
            if wait:
                await asyncio.sleep(wait * self.faults.retry_scale)
            if await self._attempt(d, copy=False):
                d.state = "delivered"
                if d.duplicated:  # the same bytes once more, as at-least-once delivery does
                    await self._attempt(d, copy=True)
                return
        d.state = "failed"

    async def _attempt(self, d: Delivery, *, copy: bool) -> bool:
        sub = self.st.webhooks.get(d.platform)
        app = self.secret(d.platform, sub["client_id"]) if sub else None
        if sub is None or app is None:
            d.attempts.append({"at": time.time(), "error": "unsubscribed", "copy": copy})
            return False
        headers = {"Content-Type": "application/json", **sign(d.platform, app[1], d.body)}
        if family(d.platform) == "meta":
            headers["User-Agent"] = "facebookexternalua"
        try:
            client = self.client()
            async with self._sending:  # a thousand queued on the client's pool would cost it quadratic time
                r = await client.post(sub["url"], content=d.body, headers=headers)
        except httpx.HTTPError as err:
            d.attempts.append({"at": time.time(), "error": type(err).__name__, "copy": copy})
            return False
        d.attempts.append({"at": time.time(), "status": r.status_code, "copy": copy})
        # TikTok wants a 200; the others any 2xx (LinkedIn: "any non-2xx is a failure")
        return r.status_code == 200 if d.platform == "tiktok" else 200 <= r.status_code < 300

    # ---- the background audience
    def set_rates(self, rates: dict[str, float]) -> None:
        self.rates = {p: float(r) for p, r in rates.items() if float(r) > 0}
        if self._generator is not None:
            self._generator.cancel()
            self._generator = None
        if self.rates:
            self._generator = asyncio.get_running_loop().create_task(self._generate())

    async def _generate(self) -> None:
        rng = self.talk_rng
        while self.rates:
            platforms = sorted(self.rates)
            total = sum(self.rates.values())
            await asyncio.sleep(rng.expovariate(total / 60.0))
            platform = rng.choices(platforms, weights=[self.rates[p] for p in platforms])[0]
            self.random_event(platform, rng)

    def random_event(self, platform: str, rng: random.Random) -> None:
        """One seeded user doing one seeded thing on one of the platform's posts."""
        posts = sorted(self.st.posts.get(platform, {}).values(), key=lambda p: p.id)
        if platform == "linkedin":
            posts = [p for p in posts if ":organization:" in p.account]
        if not posts:
            return
        post = rng.choice(posts)
        name = rng.choice(NAMES)
        author = (user_id(platform, name), name)
        text = rng.choice(PHRASES)
        kinds = KINDS[platform]
        kind = rng.choices(kinds, weights=[{"comment": 6, "message": 3, "mention": 1, "story_reply": 1}[k] for k in kinds])[0]
        if kind == "message":
            self.message(platform, post.account, author, text)
        elif kind == "story_reply":
            self.message(platform, post.account, author, text, story_id=self.st.next_id())
        else:
            self.comment(platform, post.account, post.id, author, text, kind)


# ---------------------------------------------------------------------------- handshakes
async def handshake(platform: str, url: str, secret: str, verify_token: str) -> str | None:
    """The platform's check of a callback URL before it sends anything there: None if it passed,
    else why not."""
    try:
        async with httpx.AsyncClient(timeout=HANDSHAKE_TIMEOUT, follow_redirects=False) as http:
            if family(platform) == "meta":
                # GET ?hub.mode=subscribe&hub.challenge=&hub.verify_token= -> 200 with the challenge echoed
                challenge = str(secrets.randbelow(10**9) + 10**9)
                r = await http.get(url, params={"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token})
                ok = r.status_code == 200 and r.text == challenge
                return None if ok else "The URL couldn't be validated. Response does not match challenge"
            if platform == "x":
                # CRC: GET ?crc_token= -> {"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}
                crc = secrets.token_urlsafe(24)
                want = "sha256=" + base64.b64encode(hmac.new(secret.encode(), crc.encode(), hashlib.sha256).digest()).decode()
                r = await http.get(url, params={"crc_token": crc})
                got = _json(r).get("response_token")
                ok = r.status_code == 200 and isinstance(got, str) and hmac.compare_digest(got, want)
                return None if ok else "CRC check failed: the webhook did not answer with the expected response_token"
            if platform == "linkedin":
                # GET ?challengeCode= -> JSON {challengeCode, challengeResponse: hex(HMAC-SHA256(clientSecret, challengeCode))}
                code = str(uuid.uuid4())
                want = hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()
                r = await http.get(url, params={"challengeCode": code})
                body = _json(r)
                ok = (
                    r.status_code == 200
                    and r.headers.get("content-type", "").startswith("application/json")
                    and body.get("challengeCode") == code
                    and hmac.compare_digest(str(body.get("challengeResponse", "")), want)
                )
                return None if ok else "This URL did not pass the security challenge check"
    except httpx.HTTPError as err:
        return f"the callback could not be reached ({type(err).__name__})"
    return None  # TikTok: the URL is set in the developer portal, no check


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# ---------------------------------------------------------------------------- operator endpoints
def _unprocessable(detail: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def comment_json(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "platform": c.platform,
        "account": c.account,
        "post_id": c.post_id,
        "parent_id": c.parent_id,
        "kind": c.kind,
        "author": {"id": c.author_id, "name": c.author_name},
        "text": c.text,
        "created_at": c.created_at,
        "hidden": c.hidden,
        "replies": c.replies,
    }


def install(app: FastAPI, st: SandboxState, talk: Talk) -> None:
    @app.post("/_sandbox/talk")
    async def script(body: dict) -> Response:
        platform, kind = body.get("platform"), body.get("kind", "comment")
        if platform not in TALK_PLATFORMS:
            return _unprocessable(f"platform must be one of {TALK_PLATFORMS}")
        if kind not in KINDS[platform]:
            return _unprocessable(f"{platform} sends no webhook for a {kind}: one of {KINDS[platform]}")
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return _unprocessable("text is required")
        raw = body.get("author") or "ana"
        name = str(raw.get("name") or raw.get("id") or "ana") if isinstance(raw, dict) else str(raw)
        author = (str(raw.get("id") or user_id(platform, name)) if isinstance(raw, dict) else user_id(platform, name), name)
        post_id, account = str(body.get("post_id") or ""), str(body.get("account") or "")
        post = st.posts[platform].get(post_id) if post_id else None
        if post_id and post is None:
            return _unprocessable(f"no {platform} post {post_id}", 404)
        if post is not None:
            if account and account != post.account:
                return _unprocessable(f"{platform} post {post_id} belongs to {post.account}, not {account}")
            account = post.account
        if not account:
            return _unprocessable("account is required (or a post_id, whose account it is)")
        if platform == "linkedin" and ":organization:" not in account:
            return _unprocessable("LinkedIn sends social action notifications for organizations only")
        if kind in ("message", "story_reply"):
            conv, m, d = talk.message(
                platform, account, author, text, story_id=str(body.get("story_id") or (st.next_id() if kind == "story_reply" else ""))
            )
            out: dict[str, Any] = {
                "message": {"id": m.id, "conversation_id": conv.id, "sender_id": m.sender_id, "text": m.text, "created_at": m.created_at}
            }
        else:
            if kind == "comment" and post is None:
                return _unprocessable("a comment needs the post_id it is on")
            parent_id = str(body.get("parent_id") or "")
            if parent_id and (parent_id not in st.comments or st.comments[parent_id].post_id != post_id):
                return _unprocessable(f"no comment {parent_id} on post {post_id}", 404)
            c, d = talk.comment(platform, account, post_id, author, text, kind, parent_id)
            out = {"comment": comment_json(c)}
        return JSONResponse(out | {"delivery": {"id": d.id, "state": d.state}}, status_code=201)

    @app.post("/_sandbox/talk/bulk")
    async def bulk(body: dict) -> Response:
        platform = body.get("platform")
        if platform not in TALK_PLATFORMS:
            return _unprocessable(f"platform must be one of {TALK_PLATFORMS}")
        batch = body.get("batch", 1)
        most = 1000 if family(platform) == "meta" else 1  # Meta: "a maximum of 1000 updates" a notification
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= most:
            return _unprocessable(f"batch must be 1..{most} for {platform}")
        items = body.get("comments")
        if not isinstance(items, list) or not 1 <= len(items) <= BULK_MAX:
            return _unprocessable(f"comments: a list of 1..{BULK_MAX} {{text, author, post_id?}}")
        said: list[tuple[str, tuple[str, str], str]] = []
        account = ""
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"]:
                return _unprocessable(f"comments[{i}].text is required")
            post_id = str(item.get("post_id") or body.get("post_id") or "")
            post = st.posts[platform].get(post_id)
            if post is None:
                return _unprocessable(f"comments[{i}]: no {platform} post {post_id!r}", 404)
            if account and post.account != account:
                return _unprocessable(f"comments[{i}]: every comment of one call is on one account's posts")
            if platform == "linkedin" and ":organization:" not in post.account:
                return _unprocessable("LinkedIn sends social action notifications for organizations only")
            account = post.account
            name = str(item.get("author") or "ana")
            said.append((post_id, (user_id(platform, name), name), item["text"]))
        made, deliveries = talk.comments(platform, account, said, batch)
        out = {
            "comments": [{"id": c.id, "post_id": c.post_id, "author_id": c.author_id} for c in made],
            "deliveries": [{"id": d.id, "state": d.state, "events": len(d.events)} for d in deliveries],
        }
        return JSONResponse(out, status_code=201)

    @app.put("/_sandbox/talk/rate")
    async def rate(body: dict) -> Response:
        if "seed" in body:
            talk.reseed(str(body["seed"]))
        rates = body.get("rates", {})
        if not isinstance(rates, dict) or any(p not in TALK_PLATFORMS or not isinstance(r, int | float) or r < 0 for p, r in rates.items()):
            return _unprocessable(f"rates: {{platform: events per minute >= 0}}, platforms {TALK_PLATFORMS}")
        talk.set_rates(rates)
        return JSONResponse({"seed": talk.seed, "rates": talk.rates})

    @app.put("/_sandbox/talk/faults")
    async def faults(body: dict) -> Response:
        if "seed" in body:
            talk.reseed(str(body["seed"]))
        f = Faults()
        for name in ("drop", "duplicate", "reorder", "reorder_delay", "retry_scale", "batch_window"):
            value = body.get(name, getattr(f, name))
            if not isinstance(value, int | float) or value < 0 or (name in ("drop", "duplicate", "reorder") and value > 1):
                return _unprocessable(f"{name} must be a number >= 0 (shares at most 1)")
            setattr(f, name, float(value))
        talk.faults = f
        return JSONResponse({"seed": talk.seed, **f.__dict__})

    @app.get("/_sandbox/talk/deliveries")
    async def deliveries(platform: str | None = None) -> dict:
        items = [d.as_json() for d in talk.deliveries if platform in (None, d.platform)]
        return {"count": len(items), "pending": sum(1 for d in items if d["state"] == "queued"), "deliveries": items}

    @app.put("/_sandbox/webhooks/{platform}")
    async def register(platform: str, body: dict) -> Response:
        if platform not in TALK_PLATFORMS:
            return _unprocessable(f"platform must be one of {TALK_PLATFORMS}")
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return _unprocessable("url must be an http(s) URL")
        verify_token = str(body.get("verify_token") or "")
        if family(platform) == "meta" and not verify_token:
            return _unprocessable("verify_token is required: Meta sends it with the challenge")
        app_ = talk.secret(platform, str(body.get("client_id") or ""))
        if app_ is None:
            return _unprocessable(f"no {PROVIDER[platform]} app is registered in the sandbox (POST /_sandbox/oauth/clients)")
        failure = await handshake(platform, url, app_[1], verify_token)
        if failure:
            return JSONResponse({"detail": failure, "platform": platform, "url": url}, status_code=400)
        st.webhooks[platform] = {"url": url, "client_id": app_[0], "verify_token": verify_token}
        return JSONResponse({"platform": platform, "url": url, "client_id": app_[0], "verified": True})

    @app.get("/_sandbox/webhooks")
    async def registrations() -> dict:
        return {p: {"url": w["url"], "client_id": w["client_id"]} for p, w in st.webhooks.items()}

    @app.delete("/_sandbox/webhooks/{platform}")
    async def unregister(platform: str) -> Response:
        return JSONResponse({"removed": st.webhooks.pop(platform, None) is not None})
