"""What a rendered video says on each platform it is posted to: YouTube's title and description
(the SEO stage's: chapters, the article's link), a caption with a few hashtags and no link for
Instagram and TikTok (neither makes links clickable in a caption)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.platforms import rules
from domain.post.rules import hashtag

VIDEO_PRESETS = {"youtube_long": ("youtube",)}  # a long video goes to YouTube alone
VERTICAL = ("youtube", "instagram", "tiktok")  # a short, a Reel, a TikTok: the same vertical file


def platforms_for(preset: str) -> tuple[str, ...]:
    return VIDEO_PRESETS.get(preset, VERTICAL)


def _tags(keywords: Sequence[str], n: int) -> list[str]:
    """The post writer's hashtags of the article's keywords (:func:`domain.post.rules.hashtag`), deduplicated."""
    out: dict[str, str] = {}
    for k in keywords:
        tag = hashtag(k)
        if tag:
            out.setdefault(tag.lower(), tag)
    return list(out.values())[:n]


def caption(platform: str, *, title: str, description: str, keywords: Sequence[str]) -> tuple[str, list[str]]:
    """(the post's text, its hashtags) for ``platform``, within the platform's limits."""
    r = rules(platform)
    if platform == "youtube":
        text = description
        while len(text.encode()) > r.hard_limit:
            text = text[: len(text) - 100].rstrip() + "…"
        return text, []
    summary = description.split("\n\n", 1)[0].strip()
    tags = _tags(keywords, r.hashtags[1] if platform == "tiktok" else 5)
    body = f"{title}\n\n{summary}" if summary and summary != title else title
    room = r.hard_limit - len(" ".join(tags)) - 2
    if len(body) > room:
        body = body[: room - 1].rstrip() + "…"
    return (f"{body}\n\n{' '.join(tags)}" if tags else body), tags
