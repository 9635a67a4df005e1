"""The sandbox's memory: posts per platform, faults, request counts for rate limits, the OAuth
servers, each account's hidden response curve, and the engagement that grows on every post over
time (drawn from its account's curve at its local posting hour, its content and noise, and
reached along its platform's decay: :mod:`sandbox.curves`)."""

from __future__ import annotations

import hashlib
import pickle
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from sandbox.curves import Curve, default_curve, final_counts, reached
from sandbox.oauth import OAuthServer

PLATFORMS = ("linkedin", "x", "facebook", "instagram", "tiktok", "youtube")
# Requests per window per account for creates, as the platforms document them.
CREATE_LIMITS = {
    "x": (100, 15 * 60),
    "linkedin": (150, 86400),
    "facebook": (200, 3600),
    "instagram": (100, 86400),
    "tiktok": (6, 60),
    "youtube": (100, 86400),
}


@dataclass
class Post:
    id: str
    platform: str
    account: str
    text: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comment:
    """A comment, reply, mention or story reply a simulated user left (or the account itself: a reply
    through the platform's API). ``id`` is the platform's own id, unique across the sandbox. The model
    and who reads it: :mod:`sandbox.talk`."""

    id: str
    platform: str
    account: str  # the account it is addressed to (its post's owner, or the one mentioned)
    post_id: str  # the platform's post id ("" for a mention outside the account's posts)
    author_id: str
    author_name: str
    text: str
    created_at: float
    parent_id: str = ""  # the comment it answers ("" for a top-level comment)
    kind: str = "comment"  # comment | mention | story_reply
    hidden: bool = False
    replies: list[str] = field(default_factory=list)  # ids of the comments answering it, oldest first
    extra: dict[str, Any] = field(default_factory=dict)  # what a platform adds: Meta's "private_replied"


@dataclass
class Message:
    id: str
    sender_id: str  # the simulated user, or the account itself for its own messages
    text: str
    created_at: float
    story_id: str = ""  # set when the message answers one of the account's stories (Instagram)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conversation:
    """A direct-message thread between one account and one simulated user."""

    id: str
    platform: str
    account: str
    participant_id: str
    participant_name: str
    messages: list[Message] = field(default_factory=list)  # oldest first
    last_user_message_at: float = 0.0  # the user's latest message: the 24-hour window opens here
    accepts_dms: bool = True  # X: whether the person takes DMs from the account (a 403 when not)

    @property
    def updated_at(self) -> float:
        return self.messages[-1].created_at if self.messages else 0.0


@dataclass
class Fault:
    mode: str
    times: int
    retry_after: int = 30
    hang_seconds: float = 30.0
    after: int = 0  # creates that pass before the fault strikes (tweet 3 of a thread: after=2)
    struck: list[str] = field(default_factory=list)  # "host:port" of each caller a reply fault struck (which process hangs)


class SandboxState:
    def __init__(self, growth_seconds: float = 600.0) -> None:
        self.posts: dict[str, dict[str, Post]] = {p: {} for p in PLATFORMS}
        self.faults: dict[str, Fault] = {}
        self.calls: dict[str, list[float]] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.publishes: dict[str, dict[str, Any]] = {}
        self.media: dict[str, int] = {}  # uploaded media id -> size
        self.uploads: dict[str, dict[str, Any]] = {}  # resumable upload sessions (YouTube), by session id
        self.upload_config: dict[str, Any] = {"scale": 1, "youtube_verified": True, "tiktok_audited": True, "youtube_daily_uploads": 100}
        self.last_id = int(time.time() * 1000) % 10**9 * 1000
        self.growth_seconds = growth_seconds  # real seconds of one platform day: how fast posts age here
        self.curves: dict[str, Curve] = {}  # "platform:account" -> the curve an operator set
        self.oauth = OAuthServer()
        self.comments: dict[str, Comment] = {}  # by the platform's comment id (sandbox.talk)
        self.conversations: dict[str, Conversation] = {}  # by the platform's conversation id
        self.webhooks: dict[str, dict[str, Any]] = {}  # platform -> {"url", "client_id", "verify_token"}

    def authorized(self, platform: str, request: Request) -> bool:
        """A live token issued by this platform's authorization server (Instagram's come from Facebook Login)."""
        provider = "facebook" if platform == "instagram" else platform
        return self.oauth.valid(_token(request), (provider,)) is not None

    def granted(self, platform: str, request: Request) -> list[str] | None:
        """The scopes of the request's live token (None: no live token)."""
        g = self.oauth.valid(_token(request), ("facebook" if platform == "instagram" else platform,))
        return None if g is None else list(g.scopes)

    def next_id(self) -> str:
        self.last_id += 1
        return str(self.last_id)

    # What a platform keeps across its own restarts: posts, tokens, uploads, the accounts' curves. The
    # rate-limit windows and the growth rate are the process's own.
    KEPT = (
        "posts",
        "faults",
        "containers",
        "publishes",
        "media",
        "uploads",
        "last_id",
        "oauth",
        "curves",
        "comments",
        "conversations",
        "webhooks",
    )

    def dump(self) -> bytes:
        return pickle.dumps({k: getattr(self, k) for k in self.KEPT}, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, blob: bytes) -> None:
        for k, v in pickle.loads(blob).items():  # noqa: S301 - our own file, written by dump()
            if k in self.KEPT:
                setattr(self, k, v)
        for p in PLATFORMS:  # a state file from before a platform was simulated
            self.posts.setdefault(p, {})

    def comments_on(self, platform: str, post_id: str, parent_id: str = "") -> list[Comment]:
        """A post's comments answering ``parent_id`` ("" = top level), oldest first."""
        found = [c for c in self.comments.values() if c.platform == platform and c.post_id == post_id and c.parent_id == parent_id]
        return sorted(found, key=lambda c: c.created_at)  # stable: ties keep the order they came in

    def add_comment(self, c: Comment) -> Comment:
        self.comments[c.id] = c
        parent = self.comments.get(c.parent_id)
        if parent is not None:
            parent.replies.append(c.id)
        return c

    def conversation(self, platform: str, account: str, participant_id: str, participant_name: str = "") -> Conversation:
        """The thread between ``account`` and ``participant_id``, opened on first use."""
        for conv in self.conversations.values():
            if conv.platform == platform and conv.account == account and conv.participant_id == participant_id:
                return conv
        if platform == "x":  # X names a one-to-one conversation by its two user ids, lower first
            cid = "-".join(sorted((account, participant_id), key=lambda v: (len(v), v)))
        else:
            cid = "t_" + self.next_id()
        conv = Conversation(cid, platform, account, participant_id, participant_name or participant_id)
        self.conversations[cid] = conv
        return conv

    def add_message(self, conv: Conversation, m: Message) -> Message:
        conv.messages.append(m)
        if m.sender_id == conv.participant_id:
            conv.last_user_message_at = max(conv.last_user_message_at, m.created_at)
        return m

    def take_fault(self, platform: str, modes: tuple[str, ...] | None = None) -> Fault | None:
        """The fault armed for ``platform`` (or ``platform:upload``), if one of ``modes`` strikes now."""
        f = self.faults.get(platform)
        if not f or f.mode == "none" or f.times <= 0 or (modes is not None and f.mode not in modes):
            return None
        if f.after > 0:
            f.after -= 1
            return None
        f.times -= 1
        return f

    def rate(self, platform: str, account: str) -> tuple[int, int, int]:
        limit, window = CREATE_LIMITS[platform]
        return self.window(f"{platform}:{account}", limit, window)

    def window(self, key: str, limit: int, seconds: float) -> tuple[int, int, int]:
        """(limit, remaining, reset epoch s) of a sliding window over the calls counted under ``key``."""
        now = time.time()
        calls = [t for t in self.calls.get(key, []) if t > now - seconds]
        self.calls[key] = calls
        reset = int((calls[0] if calls else now) + seconds)
        return limit, limit - len(calls), reset

    def followers(self, platform: str, account: str) -> int:
        """How many follow an account: a base seeded by the account, one more per five likes its posts
        have earned so far and three per post (deterministic: the same query twice agrees)."""
        base = 200 + int(hashlib.sha256(f"{platform}:{account}".encode()).hexdigest()[:8], 16) % 4800
        mine = [p for p in self.posts.get(platform, {}).values() if p.account == account]
        return base + 3 * len(mine) + sum(self.metrics(p)["likes"] for p in mine) // 5

    def curve(self, platform: str, account: str) -> Curve:
        """The account's hidden response curve: the one an operator set, or its seeded default."""
        return self.curves.get(f"{platform}:{account}") or default_curve(platform, account)

    def metrics(self, post: Post) -> dict[str, int]:
        """Engagement reached at the post's age, deterministic per post: the same query twice agrees.
        The final values come from its account's curve at its local posting hour, its text and media,
        and noise seeded by its id; the share reached follows its platform's decay."""
        media = str(post.extra.get("image_url") or post.extra.get("media") or post.extra.get("images") or "")
        final = final_counts(post.id, post.platform, post.text, media, post.created_at, self.curve(post.platform, post.account))
        age = max(0.0, time.time() - post.created_at) * 86400 / self.growth_seconds
        share = reached(post.platform, age)
        impressions = int(final["impressions"] * share) + 1  # its author has seen it
        counts = {k: int(final[k] * share) for k in ("likes", "comments", "shares", "clicks", "saves")}
        return {"impressions": impressions, "views": impressions, "reach": max(1, int(impressions * final["reach_share"])), **counts}


def _test_photo(name: str, w: int, h: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    img = Image.new("RGB", (w, h), (180 + seed % 60, 200 + seed % 40, 220))
    draw = ImageDraw.Draw(img)
    cx, cy, r = int(w * (0.2 + (seed % 60) / 100)), int(h * (0.25 + (seed % 50) / 100)), min(w, h) // 5
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(230, 80 + seed % 100, 60))
    draw.rectangle((0, int(h * 0.8), w, h), fill=(60, 120, 70))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") and len(auth) > 7 else None
