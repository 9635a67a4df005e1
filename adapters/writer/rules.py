"""The first, deterministic and offline writer: one announcement per account.

Deterministic on purpose: the same article always gives the same post, so a redelivered
``GeneratePosts`` drafts the same post ids with the same text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from adapters.writer import limits
from schemas.events import ContentPublished

HOOKS = {
    "linkedin": "New on the blog: {title}",
    "x": "{title}",
    "facebook": "We just published: {title}",
    "instagram": "{title} ✨",
    "tiktok": "POV: you need to read this 👉 {title}",
}
CTAS = {
    "linkedin": "Read the full article: {url}",
    "x": "Read more: {url}",
    "facebook": "Read it here 👉 {url}",
    "instagram": "Link in bio 🔗",
    "tiktok": "Link in bio!",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "br", "li", "h1", "h2", "h3", "h4", "div"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    text = "".join(p.parts)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def hashtag(word: str) -> str | None:
    """#CamelCase from a keyword; letters and digits only (any script), None if nothing remains."""
    parts = re.findall(r"\w+", word)
    tag = "".join(p[:1].upper() + p[1:] for p in parts).replace("_", "")
    return f"#{tag}" if tag and not tag.isdigit() else None


def hashtags_for(article: ContentPublished, platform: str) -> list[str]:
    lo, hi = limits.HASHTAG_COUNT[platform]
    seen: dict[str, str] = {}
    words = list(article.keywords) + re.findall(r"\w{5,}", article.title)
    for w in words:
        tag = hashtag(w)
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
        if len(seen) >= hi:
            break
    return list(seen.values())[:hi]


def with_utm(url: str, *, platform: str, campaign: str, content: str) -> tuple[str, dict[str, str]]:
    utm = {"utm_source": platform, "utm_medium": "social", "utm_campaign": campaign, "utm_content": content}
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += list(utm.items())
    return urlunsplit(parts._replace(query=urlencode(query))), utm


@dataclass(frozen=True)
class Draft:
    text: str
    hashtags: list[str]
    link_url: str | None
    utm: dict[str, str]
    media_urls: list[str] = field(default_factory=list)
    thread: list[str] | None = None


class RuleWriter:
    name = "rules"

    def __init__(self, campaign: str = "socializer") -> None:
        self.campaign = campaign

    def write(self, article: ContentPublished, platform: str, post_type: str = "announcement") -> Draft:
        link, utm = with_utm(str(article.url), platform=platform, campaign=self.campaign, content=post_type)
        tags = hashtags_for(article, platform)
        hook = HOOKS[platform].format(title=article.title.strip())
        excerpt = article.excerpt.strip() or html_to_text(article.html).split("\n")[0]
        shows_link = platform not in ("instagram", "tiktok")
        cta = CTAS[platform].format(url=link)
        tag_line = " ".join(tags)
        budget = limits.TARGET_LENGTH[platform]
        fixed = "\n\n".join(x for x in (hook, "", cta, tag_line) if x)
        room = budget - limits.length(platform, fixed) - 4
        body = limits.shorten(platform, excerpt, room) if room > 20 else ""
        if platform == "x" and limits.length(platform, hook) > budget // 2:
            hook = limits.shorten(platform, hook, budget // 2)
        text = "\n\n".join(x for x in (hook, body, cta, tag_line) if x)
        while not limits.fits(platform, text) and tags:
            tags = tags[:-1]
            text = "\n\n".join(x for x in (hook, body, cta, " ".join(tags)) if x)
        if not limits.fits(platform, text):
            text = limits.shorten(platform, text, limits.HARD_LIMITS[platform])
        media = [str(u) for u in article.image_urls[:1]]
        return Draft(text=text, hashtags=tags, link_url=link if shows_link else None, utm=utm, media_urls=media)
