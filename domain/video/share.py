"""What a rendered video says on each platform it is posted to, under the rules every post keeps:
YouTube's description is the SEO stage's (the summary, the article's link, the chapters) with the
link tagged like every shared link (``utm_content``: the post's code); Instagram and TikTok, which
make no link in a caption clickable, get the title, the summary, the rule writer's "link in bio"
and hashtags. The draft then passes the post validator and the platform's video limits (YouTube's
description counted in bytes, its title, no angle brackets): what it breaks is said as for any
refused draft. Which platforms take a video is :func:`domain.platforms.platforms_for`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.platforms import rules
from domain.post.locale import phrases
from domain.post.rules import Draft, Parts, compose, hashtag, with_utm
from domain.post.tags import shared
from domain.post.validate import violations
from domain.video import limits
from domain.video.script import article_link

POST_TYPE = "video"
_URL = re.compile(r"https?://\S+")
_TRAILING = ".,;:!?)»”'\""


def tags(keywords: Sequence[str], language: str, most: int, least: int = 0) -> list[str]:
    """The post writer's hashtags of the article's keywords (:func:`domain.post.rules.hashtag`),
    deduplicated; short of ``least``, the broad tags of an article share in its language, as the
    rule writer fills them."""
    out: dict[str, str] = {}
    for word in keywords:
        tag = hashtag(word)
        if tag:
            out.setdefault(tag.lower(), tag)
    for broad in shared(language):
        if len(out) >= least:
            break
        out.setdefault(broad.lower(), broad)
    return list(out.values())[:most]


def _tagged(text: str, *, platform: str, campaign: str, code: str) -> str:
    """Every URL in ``text`` with this post's UTM set (punctuation after a URL stays outside it)."""

    def sub(m: re.Match[str]) -> str:
        url, tail = m.group(0), ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        return with_utm(url, platform=platform, campaign=campaign, content=code)[0] + tail

    return _URL.sub(sub, text)


def draft(
    platform: str,
    *,
    title: str,
    description: str,
    keywords: Sequence[str],
    campaign: str,
    code: str,
    language: str = "en",
    media: Sequence[str] = (),
) -> Draft:
    """The video post's draft for ``platform``: ``description`` is the SEO stage's, ``campaign`` the
    site's ``utm_campaign`` filled in, ``code`` the post's short code (its ``utm_content``)."""
    rule = rules(platform)
    found = article_link(description)
    link, utm = with_utm(found, platform=platform, campaign=campaign, content=code) if found else (None, {})
    if rule.link != "none":  # YouTube: the description, its links tagged, within its byte limit
        text = limits.description(platform, _tagged(description, platform=platform, campaign=campaign, code=code))
        return Draft(text=text, hashtags=[], link_url=link, utm=utm, media_urls=list(media))
    lo, hi = rule.hashtags
    pool = tags(keywords, language, hi, least=lo)
    summary = description.split("\n\n", 1)[0].strip()
    parts = Parts(
        hook=title,
        body=(summary,) if summary and summary != title else (),
        cta=phrases(language)["bio"],
        tags=tuple(pool),
        min_tags=min(lo, len(pool)),
    )
    text, parts = compose(platform, parts, rule.target)
    return Draft(text=text, hashtags=list(parts.tags), link_url=link, utm=utm, media_urls=list(media), parts=parts, tag_pool=len(pool))


def problems(platform: str, d: Draft, *, title: str, tags: Sequence[str] = ()) -> list[str]:
    """Every rule the video post breaks: the post validator's, then the platform's video limits."""
    return [*violations(platform, POST_TYPE, d), *limits.problems(platform, title=title, description=d.text, tags=tags)]
