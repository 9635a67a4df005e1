"""What each platform is, in one place: "what is Instagram" is one read.

A :class:`PlatformProfile` holds a platform's text rules, the post types it takes, its default best
times, the length a post reads best at, its tone, its image sizes and file-size limits, the videos
it takes (:class:`VideoProfile`: the presets they are rendered in, the upload's limits, YouTube's
title and byte-counted description), the ages its engagement is read at (:class:`Ladder`, from how
fast it decays), and who can connect to it (account types and the least scopes
each feature needs). Every other module asks :func:`profile` instead of keeping a table of its own:
the preset table, the video platforms and :func:`platforms_for` are views of the profiles. How to
*reach* a platform (hosts, client authentication, PKCE, chunk plans) is protocol and lives with the
adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Link = Literal["in_text", "at_end", "none"]
VideoForm = Literal["short", "long"]
Feature = Literal["publish", "analytics", "inbox"]
# Known features; a connection asks for publish and analytics unless it names others ("inbox": read and
# answer comments and messages, scopes that Meta grants only after app review).
FEATURES: tuple[Feature, ...] = ("publish", "analytics", "inbox")


@dataclass(frozen=True)
class PlatformRules:
    """The hard rules a post must keep. ``link``: ``in_text``, ``at_end``, or ``none`` (no clickable
    links: "link in bio")."""

    hard_limit: int
    target: int
    hashtags: tuple[int, int]
    link: Link
    needs_media: bool = False


@dataclass(frozen=True)
class ImageSize:
    width: int
    height: int
    max_bytes: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


@dataclass(frozen=True)
class Preset:
    """A format a video is rendered in: its canvas and the durations the format keeps (a Short is
    at most 180 s). Its form follows from the canvas: a vertical video is a short — one file every
    platform with a vertical format takes — a landscape one is long."""

    name: str
    width: int
    height: int
    min_seconds: float = 0.0
    max_seconds: float | None = None
    # The margins (top, bottom, left, right, px on this canvas) the platform covers with its own
    # buttons, names and text: nothing readable is drawn there (see :func:`safe_area`).
    safe: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def vertical(self) -> bool:
        return self.height > self.width

    @property
    def form(self) -> VideoForm:
        return "short" if self.vertical else "long"


@dataclass(frozen=True)
class VideoProfile:
    """What a platform takes as video. ``presets``: the formats rendered for it; ``max_bytes`` and
    ``seconds`` (least, most): what an upload may be, whatever the preset. The video's own text
    fields, where the platform has rules beyond its post rules: ``title_chars`` (None: no separate
    title), ``counts_bytes`` (its rules' ``hard_limit`` is UTF-8 bytes, not characters), ``tags_chars``
    (YouTube counts a tag with a space as quoted), ``refused`` (characters the title and description
    may not hold)."""

    presets: tuple[Preset, ...]
    max_bytes: int
    seconds: tuple[float, float]
    title_chars: int | None = None
    counts_bytes: bool = False
    tags_chars: int | None = None
    refused: str = ""
    thumbnail_bytes: int = 0  # the largest custom thumbnail it takes as an upload (0: none; a frame or a URL)

    @property
    def forms(self) -> frozenset[VideoForm]:
        return frozenset(p.form for p in self.presets)

    def takes(self, form: VideoForm, seconds: float | None = None) -> bool:
        """A video of this form (and, when known, this long) is one the platform takes."""
        return form in self.forms and (seconds is None or self.seconds[0] <= seconds <= self.seconds[1])


@dataclass(frozen=True)
class Ladder:
    """The ages (seconds after publishing) a post's engagement is read at: each of ``fixed``, then
    every ``step`` after the last of them until ``until``. Set from how fast the platform's
    engagement decays: a fast one needs few late readings, a slow one (a long tail) more."""

    fixed: tuple[float, ...]
    step: float
    until: float


_HOUR, _DAY = 3600.0, 86400.0
# Half-lives (the time a post takes to earn half its engagement), Graffius, "Lifespan (Half-Life) of
# Social Media Posts" 2018-2024 (scottgraffius.com/blog/files/social-2022.html): X ~24 min, Facebook
# ~1 h, Instagram ~20 h, LinkedIn ~24 h, YouTube ~9 days; TikTok's For You feed resurfaces posts for days.
_FAST = Ladder((_HOUR, 24 * _HOUR, 7 * _DAY), 24 * _HOUR, 30 * _DAY)  # half-life under an hour: little moves after day 7
_MEDIUM = Ladder((_HOUR, 24 * _HOUR, 7 * _DAY), 12 * _HOUR, 30 * _DAY)
_SLOW = Ladder((_HOUR, 24 * _HOUR, 7 * _DAY), 6 * _HOUR, 30 * _DAY)  # half-life a day or more: a long tail
_VIDEOS = Ladder((24 * _HOUR, 7 * _DAY, 28 * _DAY), 12 * _HOUR, 30 * _DAY)  # videos earn over weeks


@dataclass(frozen=True)
class TextLimit:
    """How long a reply's text may be, in the unit the platform counts (Instagram DMs: UTF-8 bytes)."""

    n: int
    unit: Literal["bytes", "chars"] = "chars"

    def measure(self, text: str) -> int:
        return len(text.encode()) if self.unit == "bytes" else len(text)


@dataclass(frozen=True)
class Budget:
    """At most ``sends`` calls of one kind per account in any ``seconds`` (a sliding window)."""

    sends: int
    seconds: float


ReplyKind = Literal["reply", "private_reply", "message", "hide"]


@dataclass(frozen=True)
class MessagingRules:
    """What the inbox may do on a platform, checked before any call (:mod:`domain.inbox`).
    ``private_reply_days``: how old a comment may be for a private reply (one per comment);
    ``window_hours``: DMs only this long after the user's last message (None: no window);
    ``dm_needs_permission``: the user must allow DMs (X), which only the platform knows;
    ``text``: per action, the longest text; ``budgets``: per action, the account's send windows."""

    actions: frozenset[str]
    text: dict[str, TextLimit] = field(default_factory=dict)
    budgets: dict[str, tuple[Budget, ...]] = field(default_factory=dict)
    private_reply_days: float | None = None
    private_replies_per_comment: int = 1
    window_hours: float | None = None
    dm_needs_permission: bool = False


@dataclass(frozen=True)
class PlatformProfile:
    name: str
    rules: PlatformRules | None  # None: no text posts (YouTube takes videos only)
    post_types: frozenset[str]
    best_times: tuple[str, ...]
    sweet_spot: tuple[int, int]  # the length (characters) that reads best, for the virality score
    tone: str
    images: dict[str, ImageSize] = field(default_factory=dict)  # "feed", and "portrait" where there is one
    # Connecting: account types, and per type the scopes always asked for ("base") and per feature.
    scopes: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    pkce: bool = False  # PKCE S256 wherever the provider supports it (RFC 9700 §2.1.1)
    video: VideoProfile | None = None  # None: takes no videos from us
    ladder: Ladder = _MEDIUM  # when a post's engagement is read
    video_ladder: Ladder = _VIDEOS  # when a video post's is
    messaging: MessagingRules | None = None  # None: no inbox actions through the API

    def ladder_for(self, post_type: str) -> Ladder:
        return self.video_ladder if post_type == "video" else self.ladder

    @property
    def account_types(self) -> tuple[str, ...]:
        return tuple(self.scopes)

    def scope_list(self, account_type: str, features: tuple[str, ...]) -> list[str]:
        """The least scopes for these features, base scopes first, each once."""
        table = self.scopes[account_type]
        out: list[str] = []
        for part in ("base", *features):
            for s in table.get(part, ()):
                if s not in out:
                    out.append(s)
        return out


_YT = "https://www.googleapis.com/auth/"
_MIB, _GIB = 1 << 20, 1 << 30
_VERTICAL = (1080, 1920)  # 9:16, what Shorts, Reels and TikTok recommend
# Safe areas (top, bottom, left, right) on 1080×1920: Reels keep 14 % / 35 % / 6 % clear (Meta's
# guidance); Shorts 288 / 672 / 48 / 192 px (Google's vertical safe zone, the right rail wider);
# TikTok publishes no numbers, so it gets the box that clears all of them, x 120–888, y 288–1,248.
# A 16:9 video keeps its text title-safe (the middle 90 %).
_SAFE_REELS = (round(1920 * 0.14), round(1920 * 0.35), round(1080 * 0.06), round(1080 * 0.06))
_SAFE_SHORTS = (288, 672, 48, 192)
_SAFE_TIKTOK = (288, 1920 - 1248, 120, 1080 - 888)
_SAFE_LONG = (54, 54, 96, 96)
_REELS, _TIKTOKS = (3.0, 900.0), (3.0, 600.0)  # the seconds each takes, rendered or uploaded
_ALL_TYPES = frozenset({"announcement", "highlights", "quote_card"})

# The inbox's rules, per platform (sources in each comment; the sandbox enforces the same).
# Instagram: a private reply is one message per comment, within 7 days of it
# (developers.facebook.com/documentation/instagram-platform/private-replies); DMs only within 24 h of
# the user's last message (the standard messaging window), text at most 1,000 bytes of UTF-8
# (Instagram Messaging, Send a Message); private replies 750 calls an hour per account
# (developers.facebook.com/documentation/business-messaging/messenger-platform/overview/rate-limiting).
# Comments (and replies to them) at most 2,200 characters, as a caption.
INSTAGRAM_MESSAGING = MessagingRules(
    actions=frozenset({"reply", "private_reply", "message", "hide"}),
    text={"reply": TextLimit(2200), "private_reply": TextLimit(1000, "bytes"), "message": TextLimit(1000, "bytes")},
    budgets={"private_reply": (Budget(750, 3600.0),)},
    private_reply_days=7.0,
    window_hours=24.0,
)
# Facebook Pages: the same private-reply and 24-hour rules (Messenger Platform: "This message is sent
# outside of allowed window", code 10 subcode 2018278); Messenger text at most 2,000 characters;
# a comment at most 8,000 characters.
FACEBOOK_MESSAGING = MessagingRules(
    actions=frozenset({"reply", "private_reply", "message", "hide"}),
    text={"reply": TextLimit(8000), "private_reply": TextLimit(2000), "message": TextLimit(2000)},
    budgets={"private_reply": (Budget(750, 3600.0),)},
    private_reply_days=7.0,
    window_hours=24.0,
)
# X: a reply is a tweet (280); DMs have no window but need the user to accept them (403 otherwise),
# at most 10,000 characters, 200 per 15 minutes and 1,000 a day per user
# (POST /2/dm_conversations/with/:participant_id/messages, docs.x.com rate limits). No private replies, no hiding.
X_MESSAGING = MessagingRules(
    actions=frozenset({"reply", "message"}),
    text={"reply": TextLimit(280), "message": TextLimit(10000)},
    budgets={"message": (Budget(200, 900.0), Budget(1000, 86400.0))},
    dm_needs_permission=True,
)

PROFILES: dict[str, PlatformProfile] = {
    "linkedin": PlatformProfile(
        "linkedin",
        PlatformRules(3000, 1300, (3, 5), "in_text"),
        _ALL_TYPES | {"faq_snippet", "carousel"},
        ("08:00", "12:00", "17:00"),
        (600, 1300),
        "professional, industry framing, concrete insight",
        {"feed": ImageSize(1200, 627, 8 << 20)},
        {
            # A member's post statistics: memberCreatorPostAnalytics, r_member_postAnalytics (organizations'
            # share statistics refuse members).
            "personal": {"base": ("openid", "profile"), "publish": ("w_member_social",), "analytics": ("r_member_postAnalytics",)},
            # organizationAcls (which pages the member administers) needs an organization admin scope; finding
            # a post after an unknown outcome (its posts by author) needs r_organization_social.
            "organization": {
                "base": ("r_organization_admin",),
                "publish": ("w_organization_social", "r_organization_social"),
                "analytics": ("r_organization_social",),
            },
        },
        ladder=_SLOW,
    ),
    "x": PlatformProfile(
        "x",
        PlatformRules(280, 280, (1, 2), "in_text"),
        _ALL_TYPES | {"faq_snippet", "thread"},
        ("09:00", "12:00", "15:00", "18:00"),
        (70, 280),
        "concise: a hook, one key point",
        {"feed": ImageSize(1600, 900, 5 << 20)},
        {
            "personal": {
                "base": ("users.read", "tweet.read", "offline.access"),
                "publish": ("tweet.write", "media.write"),
                "inbox": ("tweet.write", "dm.read", "dm.write"),
            }
        },
        pkce=True,
        ladder=_FAST,
        messaging=X_MESSAGING,
    ),
    "facebook": PlatformProfile(
        "facebook",
        PlatformRules(63206, 500, (3, 5), "at_end"),
        _ALL_TYPES | {"faq_snippet"},
        ("09:00", "13:00", "19:00"),
        (40, 500),
        "conversational, friendly, 2-3 short paragraphs",
        {"feed": ImageSize(1200, 630, 4 << 20)},
        {
            "page": {
                "base": ("pages_show_list",),
                "publish": ("pages_manage_posts", "pages_read_engagement"),
                "analytics": ("read_insights", "pages_read_engagement"),
                "inbox": ("pages_read_engagement", "pages_read_user_content", "pages_manage_engagement", "pages_messaging"),
            }
        },
        ladder=_FAST,
        messaging=FACEBOOK_MESSAGING,
    ),
    "instagram": PlatformProfile(
        "instagram",
        PlatformRules(2200, 2200, (20, 30), "none", needs_media=True),
        _ALL_TYPES | {"carousel"},
        ("11:00", "14:00", "19:00"),
        (138, 1000),
        "visual-first, warm, a few emoji",
        {"feed": ImageSize(1080, 1080, 8 << 20), "portrait": ImageSize(1080, 1350, 8 << 20)},
        {
            "business": {
                "base": ("pages_show_list", "instagram_basic"),
                # the first comment (hashtags) needs instagram_manage_comments
                "publish": ("instagram_content_publish", "pages_read_engagement", "instagram_manage_comments"),
                "analytics": ("instagram_manage_insights",),
                "inbox": ("instagram_manage_comments", "instagram_manage_messages", "pages_messaging"),
            }
        },
        # Reels: 3 s to 15 min; 300 MB is the safe size (the guides disagree: 300 MB, 1 GB).
        video=VideoProfile((Preset("instagram_reel", *_VERTICAL, *_REELS, safe=_SAFE_REELS),), max_bytes=300 * _MIB, seconds=_REELS),
        ladder=_MEDIUM,
        messaging=INSTAGRAM_MESSAGING,
    ),
    "tiktok": PlatformProfile(
        "tiktok",
        PlatformRules(2200, 300, (3, 5), "none", needs_media=True),
        _ALL_TYPES,
        ("12:00", "19:00", "21:00"),
        (50, 300),
        "casual, Gen-Z, a trending-style hook",
        {"feed": ImageSize(1080, 1920, 10 << 20)},
        {
            "personal": {
                "base": ("user.info.basic",),
                # video.list: finding a post after an unknown outcome (/v2/video/list/) and its metrics
                "publish": ("video.publish", "video.upload", "video.list"),
                # user.info.stats: the account's follower_count (/v2/user/info/)
                "analytics": ("video.list", "user.info.stats"),
            }
        },
        # Direct Post: 3 s to 10 min (and within the creator's max_video_post_duration_sec), files up to 4 GB.
        video=VideoProfile((Preset("tiktok", *_VERTICAL, *_TIKTOKS, safe=_SAFE_TIKTOK),), max_bytes=4 * _GIB, seconds=_TIKTOKS),
        ladder=_SLOW,
    ),
    "youtube": PlatformProfile(
        "youtube",
        # Videos only: these are its description's rules (5,000 bytes; hashtags above the title, a few).
        PlatformRules(5000, 1000, (0, 15), "in_text", needs_media=True),
        frozenset(),
        ("15:00", "18:00"),
        (0, 5000),
        "informative, searchable titles",
        {},
        # channels.list?mine=true (which channel is this) needs youtube.readonly.
        {
            "channel": {
                "base": (_YT + "youtube.readonly",),
                # captions.insert needs youtube.force-ssl (youtube.upload does not cover it)
                "publish": (_YT + "youtube.upload", _YT + "youtube.force-ssl"),
                "analytics": (_YT + "yt-analytics.readonly",),
            }
        },
        pkce=True,
        # videos.insert: 256 GB or 12 hours (15 min until the channel is verified); a Short is vertical, at most 180 s.
        # Title ≤ 100 characters, the description's 5,000 (its rules) in bytes, tags ≤ 500 characters, no angle
        # brackets in either; thumbnails ≤ 2 MB.
        video=VideoProfile(
            (Preset("youtube_long", 1920, 1080, safe=_SAFE_LONG), Preset("youtube_short", *_VERTICAL, 1.0, 180.0, safe=_SAFE_SHORTS)),
            max_bytes=256 * _GIB,
            seconds=(0.0, 12 * 3600.0),
            title_chars=100,
            counts_bytes=True,
            tags_chars=500,
            refused="<>",
            thumbnail_bytes=2 * _MIB,
        ),
        ladder=_VIDEOS,  # videos only
    ),
}

# Platforms that take text and image posts, in the order the product lists them.
POSTING = ("linkedin", "x", "facebook", "instagram", "tiktok")
# Platforms an account can be connected to (YouTube for the video pipeline).
CONNECTABLE = ("linkedin", "x", "facebook", "instagram", "tiktok", "youtube")


def profile(platform: str) -> PlatformProfile:
    return PROFILES[platform]


def rules(platform: str) -> PlatformRules:
    """The text rules of a platform that takes posts."""
    r = PROFILES[platform].rules
    if r is None:
        raise KeyError(f"{platform} takes no text posts")
    return r


def compatible(platform: str, post_type: str) -> bool:
    return post_type in PROFILES[platform].post_types


def video(platform: str) -> VideoProfile:
    """The video rules of a platform that takes videos."""
    v = PROFILES[platform].video
    if v is None:
        raise KeyError(f"{platform} takes no videos")
    return v


# Platforms that take videos, and every preset by name: views of the profiles.
VIDEO = tuple(p for p, prof in PROFILES.items() if prof.video is not None)
PRESETS: dict[str, Preset] = {pre.name: pre for p in VIDEO for pre in video(p).presets}


def preset(name: str) -> Preset:
    return PRESETS[name]


@dataclass(frozen=True)
class Box:
    """A rectangle on a canvas, in pixels: ``left <= x < right``, ``top <= y < bottom``."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, other: Box) -> bool:
        return self.left <= other.left and self.top <= other.top and other.right <= self.right and other.bottom <= self.bottom


def safe_area(p: Preset | str, width: int | None = None, height: int | None = None) -> Box:
    """Where text may go on the preset's frame (or on a smaller canvas of the same shape, scaled:
    the tests' and the smoke bench's): the canvas less the margins the platform covers."""
    p = PRESETS[p] if isinstance(p, str) else p
    w, h = width or p.width, height or p.height
    top, bottom, left, right = p.safe

    def scaled(px: int, size: int, full: int) -> int:  # rounded up: a scaled margin never shrinks
        return -(-px * size // full)

    return Box(scaled(left, w, p.width), scaled(top, h, p.height), w - scaled(right, w, p.width), h - scaled(bottom, h, p.height))


def platforms_for(preset_name: str, seconds: float | None = None) -> tuple[str, ...]:
    """The platforms that take a video rendered in this preset (and, when known, this long): each
    one with a format of the same form. A long video goes to YouTube alone; a vertical one — a
    Short, a Reel, a TikTok — to every platform with a vertical format whose uploads allow its length."""
    form = PRESETS[preset_name].form
    return tuple(p for p in VIDEO if video(p).takes(form, seconds))


POST_TYPES = ("announcement", "highlights", "quote_card", "faq_snippet", "carousel", "thread")
# post type -> the platforms that take it (seed spec §2.4, plus threads on X): a view of the profiles.
COMPATIBLE: dict[str, set[str]] = {t: {p for p in POSTING if t in PROFILES[p].post_types} for t in POST_TYPES}


def shared_safe_area(p: Preset | str, width: int | None = None, height: int | None = None) -> Box:
    """The box that clears every platform taking a video of this shape (a vertical file goes to
    Shorts, Reels and TikTok alike): the intersection of their safe areas."""
    p = PRESETS[p] if isinstance(p, str) else p
    w, h = width or p.width, height or p.height
    boxes = [safe_area(q, w, h) for q in PRESETS.values() if q.form == p.form and (q.width, q.height) == (p.width, p.height)]
    return Box(max(b.left for b in boxes), max(b.top for b in boxes), min(b.right for b in boxes), min(b.bottom for b in boxes))
