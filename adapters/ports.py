"""The platform ports: what goes out (a post, a video, an upload's recorded session) and the
capabilities a platform adapter has — publishing posts, uploading videos, reading metrics — as
Protocols. The post clients (:mod:`adapters.platforms`) and the video uploaders
(:mod:`adapters.uploads`) both implement them and import them from here; this module imports
neither, so the two never import each other back (an import-linter contract keeps it so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from domain.accounts import Account
from domain.engagement import Metrics

__all__ = [
    "BaseUrl",
    "Clip",
    "Metrics",
    "MetricsReader",
    "OutgoingPost",
    "OutgoingVideo",
    "PlatformClient",
    "PostPublisher",
    "PublishedRef",
    "UploadSession",
    "UploadSessions",
    "VideoUploader",
]

BaseUrl = Callable[[str], str]  # a platform's name -> the host its adapter talks to (sandbox or real)


@dataclass(frozen=True)
class OutgoingVideo:
    effect_id: str  # the post's id: one upload per post and account
    tag: str  # the idempotency tag the upload carries (YouTube: a hidden tag; the others: the session)
    title: str
    description: str
    video_url: str
    tags: tuple[str, ...] = ()
    thumbnail_url: str | None = None
    captions_url: str | None = None
    language: str = "en"
    made_for_kids: bool = False
    privacy: str = "public"  # public | unlisted | private (TikTok: the nearest its creator allows)
    share_to_feed: bool = True


@dataclass(frozen=True, slots=True)
class OutgoingPost:
    post_id: str
    text: str
    link_url: str | None = None
    media_urls: tuple[str, ...] = ()
    thread: tuple[str, ...] | None = None
    first_comment: str | None = None
    video: OutgoingVideo | None = None  # a video post: its platform's uploader takes it


@dataclass(frozen=True, slots=True)
class PublishedRef:
    """A published post. ``warnings``: optional finishing steps that failed (a thumbnail, captions, a
    first comment) — the post is live all the same, so they are said, never a failure."""

    platform_post_id: str
    url: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadSession:
    """Where an upload stands, as recorded: ``session`` is YouTube's session URI, Instagram's
    container id, TikTok's publish id; ``url`` where the bytes go."""

    effect_id: str
    account_id: str
    platform: str
    session: str
    url: str
    size: int
    sha256: str
    started_at: datetime
    video_id: str | None = None
    video_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # finishing steps done (thumbnail, captions), chunk plan


class UploadSessions(Protocol):
    async def get(self, effect_id: str, account_id: str) -> UploadSession | None: ...

    async def save(self, session: UploadSession) -> None: ...

    async def forget(self, effect_id: str, account_id: str) -> None:
        """The platform said the session is gone (expired): the next try opens a new one."""
        ...


class Clip(Protocol):
    """The rendered file an uploader reads its chunks from (:class:`adapters.uploads.VideoFile`)."""

    size: int
    sha256: str

    async def read(self, offset: int, n: int) -> bytes: ...


class PostPublisher(Protocol):
    platform: str

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        """Create the post. Raises OutcomeUnknown when the request may have created it. ``resume_since``:
        an earlier try may have landed part of a multi-part post (an X thread) since then: find those
        parts and go on after the last one instead of starting again."""
        ...

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        """Look for a post created by an earlier attempt (same text, created after ``since``); a
        multi-part post is found only when every part is there."""
        ...


@runtime_checkable
class MetricsReader(Protocol):
    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        """Current engagement of the given platform post ids."""
        ...


class PlatformClient(PostPublisher, MetricsReader, Protocol):
    """What the publish and engagement agents call: a platform that takes posts and reports on them."""


class VideoUploader(Protocol):
    """Uploads one video by the platform's resumable protocol. An uploader that also reads its
    videos' metrics (YouTube's, where no post client does) is a :class:`MetricsReader` too."""

    platform: str

    async def upload(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> PublishedRef:
        """Upload (or go on uploading) and publish. Raises Unavailable when the platform cannot be
        reached now: the recorded session is continued on the next try."""
        ...

    async def find(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, since: datetime) -> PublishedRef | None:
        """The published video of an earlier try, if there is one."""
        ...


@dataclass(frozen=True)
class OutgoingReply:
    """What the inbox sends: ``action`` reply | private_reply | message | hide; ``target`` the platform
    ids the call needs (comment_id, post_id, recipient, conversation_id)."""

    reply_id: str
    action: str
    text: str
    target: dict[str, str]


@dataclass(frozen=True)
class SeenComment:
    comment_id: str
    post_id: str  # the platform's post (media, tweet) it is on
    author_id: str
    text: str
    created_at: datetime
    parent_id: str = ""
    author_name: str = ""
    kind: Literal["comment", "mention"] = "comment"  # as the platform's webhook would call it (X: a mention in our thread)


@dataclass(frozen=True)
class SeenMessage:
    message_id: str
    conversation_id: str
    sender_id: str
    text: str
    created_at: datetime
    sender_name: str = ""
    participants: tuple[str, ...] = ()


@runtime_checkable
class Responder(Protocol):
    """A platform the inbox answers on: replies, private replies, DMs, hides, and the listings its
    lookups (an unknown outcome) and sweeps (a dropped webhook) read."""

    async def send_reply(self, account: Account, reply: OutgoingReply) -> PublishedRef:
        """Make the call; raises OutcomeUnknown when it may have happened."""
        ...

    async def find_reply(self, account: Account, reply: OutgoingReply, since: datetime) -> PublishedRef | None:
        """The reply an earlier call made, if the thread shows our text since ``since``."""
        ...

    async def list_comments(self, account: Account, post_id: str) -> list[SeenComment]: ...

    async def list_messages(self, account: Account, since: datetime) -> list[SeenMessage]: ...


def responder(client: object) -> Responder | None:
    """The client the inbox answers through: the client itself, or the post client inside a video
    wrapper (Instagram's comments and messages are its Graph client's, not its Reels uploader's)."""
    if isinstance(client, Responder):
        return client
    inner = getattr(client, "inner", None)
    return inner if isinstance(inner, Responder) else None


@runtime_checkable
class FollowerCounter(Protocol):
    """A platform that reports how many follow an account (X, a LinkedIn organization, a Facebook
    page, an Instagram professional account, TikTok, a YouTube channel's subscribers)."""

    async def count_followers(self, account: Account) -> int | None:
        """The account's followers now; None where the platform reports none for this kind of account."""
        ...


def follower_counter(client: object) -> FollowerCounter | None:
    """The client that counts an account's followers: the client itself, else inside a video wrapper
    its post client, else its uploader (YouTube's, which has no post client)."""
    if isinstance(client, FollowerCounter):
        return client
    for part in (getattr(client, "inner", None), getattr(client, "uploader", None)):
        if isinstance(part, FollowerCounter):
            return part
    return None
