"""A post a person wrote or edited, held to the same platform rules as a generated one.

Nothing a person wrote is cut or dropped silently: what breaks a hard rule is refused, naming the
field (:class:`ContentRefused`). What can be completed is completed: hashtags normalised and
appended, the link placed where the platform wants it, UTM parameters on every shared URL, a
thread numbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.exceptions import ContentRefused
from domain.platforms import rules as platform_rules
from domain.post import limits
from domain.post.rules import VALID_TAG, Draft, with_utm

URL = re.compile(r"https?://[^\s<>\"]+")
THREAD_SIZE = (2, 10)


@dataclass(frozen=True)
class Written:
    """What the person gave (after merging an edit into the post's current content)."""

    post_type: str
    text: str
    hashtags: tuple[str, ...] = ()
    link_url: str | None = None
    thread: tuple[str, ...] | None = None
    media_urls: tuple[str, ...] = ()


def _tag(raw: str) -> str:
    tag = "#" + "".join(re.findall(r"[^\W_]+", raw.lstrip("#")))
    if not VALID_TAG.match(tag):
        raise ContentRefused("hashtags", f"{raw!r} is not a hashtag: letters and digits, at least one letter")
    return tag


def _tracked(url: str, platform: str, campaign: str, content: str) -> str:
    return (
        url
        if "utm_source=" in url and "utm_medium=social" in url
        else with_utm(url, platform=platform, campaign=campaign, content=content)[0]
    )


def _measure(platform: str, field: str, text: str, limit: int) -> None:
    n = limits.length(platform, text, exact=True)
    if n > limit:
        counted = " (X counts URLs as 23 and CJK and emoji as 2)" if platform == "x" else ""
        raise ContentRefused(field, f"is {n} characters{counted}, over {platform}'s {limit}")
    if not text.strip():
        raise ContentRefused(field, "is empty")


def compose_manual(platform: str, w: Written, *, campaign: str, content: str) -> Draft:
    """The post as it will be published, or :class:`ContentRefused` naming what breaks a rule."""
    rule = platform_rules(platform)
    seen: dict[str, str] = {}
    for raw in w.hashtags:
        tag = _tag(raw)
        seen.setdefault(tag.lower(), tag)
    tags = list(seen.values())
    if len(tags) > rule.hashtags[1]:
        raise ContentRefused("hashtags", f"{len(tags)} hashtags; {platform} takes at most {rule.hashtags[1]}")
    if rule.needs_media and not w.media_urls:
        raise ContentRefused("media_urls", f"{platform} posts need an image or a video")
    link = _tracked(w.link_url, platform, campaign, content) if w.link_url else None
    if rule.link == "none":
        if link or URL.search(w.text) or any(URL.search(t) for t in w.thread or ()):
            raise ContentRefused(
                "text" if URL.search(w.text) else "link_url", f"{platform} captions have no clickable links: put the link in the bio"
            )

    def finish(text: str, *, last: bool) -> str:
        text = URL.sub(lambda m: _tracked(m.group(0), platform, campaign, content), text.strip())
        if last and link and link not in text:
            text = f"{text}\n\n{link}"
        missing = [t for t in tags if t.lower() not in text.lower()]
        if last and missing:
            text = f"{text}\n\n{' '.join(missing)}"
        return text

    if w.thread is not None:
        if platform != "x":
            raise ContentRefused("thread", f"threads are for X, not {platform}")
        lo, hi = THREAD_SIZE
        if not lo <= len(w.thread) <= hi:
            raise ContentRefused("thread", f"a thread has {lo} to {hi} posts, this one {len(w.thread)}")
        n = len(w.thread)
        parts = []
        for i, part in enumerate(w.thread, 1):
            body = re.sub(r"^\s*\d+\s*/\s*\d+\s*", "", part)
            parts.append(finish(f"{i}/{n} {body}", last=i == n))
        for i, part in enumerate(parts, 1):
            _measure(platform, f"thread[{i - 1}]", part, rule.hard_limit)
        return Draft(text=parts[0], hashtags=tags, link_url=link, utm={}, media_urls=list(w.media_urls), thread=parts)
    text = finish(w.text, last=True)
    _measure(platform, "text", text, rule.hard_limit)
    return Draft(text=text, hashtags=tags, link_url=link, utm={}, media_urls=list(w.media_urls))
