"""What each platform is, in one place: "what is Instagram" is one read.

A :class:`PlatformProfile` holds a platform's text rules, the post types it takes, its default best
times, the length a post reads best at, its tone, its image sizes and file-size limits, and who can
connect to it (account types and the least scopes each feature needs). Every other module asks
:func:`profile` instead of keeping a table of its own. How to *reach* a platform (hosts, client
authentication, PKCE) is protocol and lives with the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Link = Literal["in_text", "at_end", "none"]
Feature = Literal["publish", "analytics"]
FEATURES: tuple[Feature, ...] = ("publish", "analytics")


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
_ALL_TYPES = frozenset({"announcement", "highlights", "quote_card"})

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
            "personal": {"base": ("openid", "profile"), "publish": ("w_member_social",)},
            # organizationAcls (which pages the member administers) needs an organization admin scope.
            "organization": {
                "base": ("r_organization_admin",),
                "publish": ("w_organization_social",),
                "analytics": ("r_organization_social",),
            },
        },
    ),
    "x": PlatformProfile(
        "x",
        PlatformRules(280, 280, (1, 2), "in_text"),
        _ALL_TYPES | {"faq_snippet", "thread"},
        ("09:00", "12:00", "15:00", "18:00"),
        (70, 280),
        "concise: a hook, one key point",
        {"feed": ImageSize(1600, 900, 5 << 20)},
        {"personal": {"base": ("users.read", "tweet.read", "offline.access"), "publish": ("tweet.write", "media.write")}},
        pkce=True,
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
            }
        },
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
                "publish": ("instagram_content_publish", "pages_read_engagement"),
                "analytics": ("instagram_manage_insights",),
            }
        },
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
                "publish": ("video.publish", "video.upload"),
                "analytics": ("video.list",),
            }
        },
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
                "publish": (_YT + "youtube.upload",),
                "analytics": (_YT + "yt-analytics.readonly",),
            }
        },
        pkce=True,
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


POST_TYPES = ("announcement", "highlights", "quote_card", "faq_snippet", "carousel", "thread")
# post type -> the platforms that take it (seed spec §2.4, plus threads on X): a view of the profiles.
COMPATIBLE: dict[str, set[str]] = {t: {p for p in POSTING if t in PROFILES[p].post_types} for t in POST_TYPES}
