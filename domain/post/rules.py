"""The deterministic, offline writer: every post type for every platform, from the article's digest.

A post is written as parts (hook, body lines, call to action, link, hashtags) and composed by
:mod:`adapters.writer.compose`, which places the link and hashtags by the platform's rules and fits
the text to its budget by dropping or shortening body lines first. The same article always gives
the same posts, so a redelivered command drafts identical posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from domain.platforms import rules as platform_rules
from domain.post import limits
from domain.post.locale import phrases
from domain.post.reading import Digest, extract_keywords
from domain.post.tags import common, inflected, shared

STOP = {
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "your",
    "what",
    "when",
    "how",
    "why",
    "are",
    "was",
    "were",
    "have",
    "has",
    "will",
    "into",
    "about",
    "over",
    "more",
    "than",
    "them",
    "they",
    "their",
    "there",
    "which",
    "while",
    "der",
    "die",
    "das",
    "und",
    "mit",
    "für",
    "von",
    "den",
    "ein",
    "eine",
    "los",
    "las",
    "del",
    "por",
    "para",
    "con",
    "une",
    "des",
    "les",
    "pour",
    "avec",
    "dans",
    "sur",
}


def hashtag(word: str) -> str | None:
    """#CamelCase from a keyword: letters and digits of any script, no punctuation; None if nothing is left."""
    parts = re.findall(r"[^\W_]+", word)
    tag = "".join(p[:1].upper() + p[1:] for p in parts)
    if not tag or tag.isdigit() or len(tag) > 24:
        return None
    return f"#{tag}"


UNSEGMENTED = {"ja", "zh", "th", "lo", "km", "my"}  # scripts written without spaces between words
QUOTE_MARKS = ' “”"„«»'
VALID_TAG = re.compile(r"^#[^\W_]*[^\W\d_][^\W_]*$")


def topic_tags(digest: Digest, most: int, least: int = 0) -> list[str]:
    """Hashtags from the article's topic: its keywords first, then its key phrases and the words of
    its keywords, title and headings that name something (not a common word: :mod:`domain.post.tags`);
    short of ``least``, the site's niche, then the broad tags of an article share in its language."""
    key = f"tags:{most}:{least}"
    if key not in digest.cache:
        digest.cache[key] = _topic_tags(digest, most, least)
    return list(cast(list[str], digest.cache[key]))


def _topic_tags(digest: Digest, most: int, least: int) -> list[str]:
    seen: dict[str, str] = {}
    lang = digest.language

    def add(word: str, *, named: bool = False) -> None:
        tag = hashtag(word)
        if not tag or tag.lower() in seen:
            return
        if not named and (common(tag, lang) or inflected(tag, lang)):
            return  # #Week, #Make, #39, #Deleting: words and numbers, not topics (unless the article's keywords name them)
        if most <= 5 and any(tag.lower()[1:] in chosen for chosen in seen):
            return  # a few tags should each say something new: no #Event beside #EventSourcing
        seen[tag.lower()] = tag

    for kw in digest.keywords:
        add(kw, named=digest.keywords_given)
    if lang[:2].lower() not in UNSEGMENTED:  # (no word boundaries to extract more from: the given keywords only)
        if len(seen) < most:  # Instagram wants 20–30: the article's own key phrases, then their words
            for kw in extract_keywords(digest.text or digest.title, lang):
                add(kw)
        if len(seen) < most:
            for kw in [*digest.keywords, digest.title, *digest.headings]:
                for w in re.findall(r"[^\W\d_]{4,}", kw):
                    if w.lower() not in STOP:
                        add(w)
    for broad in (*digest.niche, *shared(lang)):  # a manager fills the rest: related, never random
        if len(seen) >= least:
            break
        add(broad)
    return list(seen.values())[:most]


def why_not(digest: Digest, platform: str, post_type: str) -> str:
    """Why the rule writer makes no ``post_type`` for ``platform`` of this article (its ``write`` returned None)."""
    rule = platform_rules(platform)
    if rule.needs_media and not digest.images and post_type not in ("quote_card", "carousel"):
        return f"the article has no image, and {platform} posts are pictures (only quote cards and carousels are drawn without one)"
    reasons = {
        "thread": "threads are an X format" if platform != "x" else "too little text for a thread of two posts",
        "highlights": "no key sentences or list items to highlight",
        "faq_snippet": "the article has no question-and-answer pair",
        "carousel": "too little material for two slides",
    }
    return reasons.get(post_type, f"{post_type} is not a {platform} format")


CAMPAIGN_FIELDS = ("site", "content", "platform", "type")


def campaign_for(template: str, *, site: str, content: str, platform: str, post_type: str) -> str:
    """A site's ``utm_campaign`` may be a template: ``{site}``, ``{content}``, ``{platform}``, ``{type}``."""
    try:
        return template.format(site=site, content=content, platform=platform, type=post_type)
    except (KeyError, IndexError, ValueError):
        return template


def retag(draft: Draft, *, platform: str, campaign: str, content: str) -> Draft:
    """The draft with every shared URL's UTM set naming this post: ``utm_content`` is the post's short
    code, so a click joins back to one post, account and article."""

    def sub(m: re.Match[str]) -> str:
        url, tail = m.group(0), ""
        while url and url[-1] in ".,;:!?)»”'\"":
            url, tail = url[:-1], url[-1] + tail
        return (with_utm(url, platform=platform, campaign=campaign, content=content)[0] if "utm_source=" in url else url) + tail

    def fix(text: str | None) -> str | None:
        return re.sub(r"https?://\S+", sub, text) if text else text

    link = fix(draft.link_url)
    utm = {**draft.utm, "utm_campaign": campaign, "utm_content": content} if draft.utm else draft.utm
    thread = [fix(t) or "" for t in draft.thread] if draft.thread else draft.thread
    return replace(draft, text=fix(draft.text) or "", link_url=link, utm=utm, thread=thread, first_comment=fix(draft.first_comment))


def with_utm(url: str, *, platform: str, campaign: str, content: str) -> tuple[str, dict[str, str]]:
    utm = {"utm_source": platform, "utm_medium": "social", "utm_campaign": campaign, "utm_content": content}
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += list(utm.items())
    return urlunsplit(parts._replace(query=urlencode(query))), utm


@dataclass(frozen=True)
class Parts:
    hook: str
    body: tuple[str, ...] = ()
    cta: str = ""
    link: str | None = None
    tags: tuple[str, ...] = ()
    min_tags: int = 0


@dataclass(frozen=True)
class Draft:
    text: str
    hashtags: list[str]
    link_url: str | None
    utm: dict[str, str]
    media_urls: list[str] = field(default_factory=list)
    thread: list[str] | None = None
    first_comment: str | None = None
    media_plan: dict[str, Any] | None = None
    parts: Parts | None = None
    tag_pool: int = 0  # how many topic hashtags the article could supply (caps the minimum asked)


# ------------------------------------------------------------------ composing within the rules
def _assemble(platform: str, p: Parts) -> str:
    rule = platform_rules(platform)
    tags = " ".join(p.tags)
    blocks = [p.hook, *p.body]
    if rule.link == "in_text":
        blocks += [f"{p.cta} {p.link}".strip() if p.link else p.cta, tags]
    elif rule.link == "at_end":
        blocks += [p.cta, tags, p.link or ""]
    else:
        blocks += [p.cta, tags]
    return "\n\n".join(b for b in blocks if b)


def _fit(platform: str, p: Parts, budget: int) -> tuple[str, Parts]:
    """The fullest text that fits ``budget``: drop body lines, then shorten, then trim tags, then the hook."""
    text = _assemble(platform, p)
    while limits.length(platform, text) > budget:
        if len(p.body) > 1:
            p = replace(p, body=p.body[:-1])
        elif p.body:
            room = budget - (limits.length(platform, _assemble(platform, replace(p, body=()))) + 2)
            short = limits.shorten(platform, p.body[0], room) if room > 25 else ""
            p = replace(p, body=(short,) if short else ())
        elif len(p.tags) > p.min_tags:
            p = replace(p, tags=p.tags[:-1])
        elif p.cta and p.link is None:
            p = replace(p, cta="")
        else:
            room = budget - (limits.length(platform, _assemble(platform, replace(p, hook=""))) + 2)
            p = replace(p, hook=limits.shorten(platform, p.hook, max(room, 10)))
            return _assemble(platform, p), p
        text = _assemble(platform, p)
    return text, p


def compose(platform: str, p: Parts, budget: int) -> tuple[str, Parts]:
    """Compose within ``budget``. For X the fast estimate is confirmed by the official twitter-text
    count (which, for one, counts a URL whose host it does not recognise by its full length)."""
    target = budget
    text, q = _fit(platform, p, target)
    if platform != "x":
        return text, q
    for _ in range(4):
        exact = limits.x_weighted_length(text)
        if exact <= budget:
            return text, q
        target -= exact - budget
        text, q = _fit(platform, p, target)
    q = replace(q, body=(), cta=q.cta if q.link else "", tags=q.tags[: q.min_tags])
    text = _assemble(platform, q)
    while limits.x_weighted_length(text) > budget and len(q.hook) > 1:
        q = replace(q, hook=limits.shorten(platform, q.hook, max(1, limits.x_fast_length(q.hook) - 10)))
        text = _assemble(platform, q)
    return text, q


def compose_thread(parts: list[str], link_line: str, tags: list[str]) -> list[str]:
    """2–10 numbered posts, each within 280 weighted characters, the link in the last one."""
    parts = [p for p in parts if p][:9]
    total = len(parts) + 1
    out = []
    for i, body in enumerate(parts, 1):
        prefix = f"{i}/{total} "
        out.append(prefix + limits.shorten("x", body, 280 - limits.x_fast_length(prefix) - 2))
    last, _ = compose("x", Parts(hook=f"{total}/{total}", cta=link_line, tags=tuple(tags[:2])), 280)
    out.append(last)
    fixed = []
    for post in out:
        while limits.x_weighted_length(post) > 280:
            post = limits.shorten("x", post, limits.x_fast_length(post) - 5)
        fixed.append(post)
    return fixed


# ------------------------------------------------------------------ the writer
class RuleWriter:
    name = "rules"

    def __init__(self, campaign: str = "socializer", instagram_hashtags: str = "caption") -> None:
        self.campaign = campaign
        self.instagram_hashtags = instagram_hashtags  # "caption" | "first_comment"

    def _links(self, text: str, platform: str, post_type: str) -> str:
        """Every URL the article's text shares gets UTM parameters; where links are not clickable, none stays."""

        def sub(m: re.Match[str]) -> str:
            url, tail = m.group(0), ""
            while url and url[-1] in ".,;:!?)»”'\"":
                url, tail = url[:-1], url[-1] + tail
            if platform_rules(platform).link == "none":
                return tail.strip()
            return with_utm(url, platform=platform, campaign=self.campaign, content=post_type)[0] + tail

        return re.sub(r"https?://\S+", sub, text).replace("  ", " ")

    def write(self, digest: Digest, url: str, platform: str, post_type: str) -> Draft | None:
        """A draft of ``post_type`` for ``platform``, or None when the article has no material for it."""
        rule = platform_rules(platform)
        ph = phrases(digest.language)
        link, utm = with_utm(url, platform=platform, campaign=self.campaign, content=post_type)
        lo, hi = rule.hashtags
        tags = topic_tags(digest, hi, least=lo)
        pool = len(tags)  # what the article's topic can supply, before any go to a first comment
        image = digest.images[0] if digest.images else None
        if rule.needs_media and image is None and post_type not in ("quote_card", "carousel"):
            return None  # Instagram and TikTok posts are images: without the article's, only rendered cards
        media_plan: dict[str, Any] | None = {"kind": "resize", "source": image[0], "alt": image[1]} if image else None
        cta = {"linkedin": ph["read"], "x": ph["more"], "facebook": ph["full"], "instagram": ph["bio"], "tiktok": ph["bio"]}[platform]
        title = digest.title
        lead = digest.description
        key = [s for s in digest.key_sentences if s != lead]
        bullet = {"instagram": "✨ ", "tiktok": "👉 ", "linkedin": "→ ", "facebook": "✅ ", "x": "• "}[platform]

        if post_type == "thread":
            if platform != "x":
                return None
            body = [self._links(b, platform, post_type) for b in (f"{title} {ph['thread']}", lead, *key[:6])]
            if len([b for b in body if b]) < 2:
                return None
            posts = compose_thread(body, f"{ph['more']} {link}", tags)
            return Draft(text=posts[0], hashtags=tags[:2], link_url=link, utm=utm, thread=posts, media_plan=media_plan, tag_pool=pool)

        if post_type == "announcement":
            hook = {"linkedin": title, "x": title, "facebook": title, "instagram": f"{title} ✨", "tiktok": f"{ph['pov']} {title}"}[
                platform
            ]
            body = [lead]
            if platform == "facebook":
                body.append(ph["comment"])
        elif post_type == "highlights":
            points = (key or digest.list_items)[:4]
            if not points:
                return None
            hook = f"{ph['takeaways']}: {title}" if platform != "tiktok" else f"{ph['pov']} {title}"
            body = [bullet + s for s in points]
        elif post_type == "quote_card":
            quote = (digest.quotes or digest.stats or key or [lead])[0].strip(QUOTE_MARKS)
            hook = f"“{quote}”"
            body = [f"— {title}"]
            media_plan = {"kind": "quote_card", "text": quote, "attribution": title}
        elif post_type == "faq_snippet":
            if not digest.faqs:
                return None
            q, a = digest.faqs[0]
            hook = f"{ph['q']} {q}"
            body = [f"{ph['a']} {a}"]
        elif post_type == "carousel":
            slides = [title, *(digest.headings[:4] if len(digest.headings) >= 3 else key[:5])][:10]
            if len(slides) < 3:
                slides = [title, lead, *key[:3]][:10]
            if len(slides) < 2:
                return None
            hook = f"{title} {ph['swipe']}"
            body = [bullet + s for s in slides[1:4]]
            media_plan = {"kind": "carousel", "slides": slides}
        else:
            return None

        shown_link = link if rule.link != "none" else None
        hook, body = self._links(hook, platform, post_type), [self._links(b, platform, post_type) for b in body]
        first_comment = None
        min_tags = lo
        if platform == "instagram" and self.instagram_hashtags == "first_comment":
            first_comment = " ".join(tags)
            tags, min_tags = [], 0
        parts = Parts(
            hook=hook, body=tuple(b for b in body if b), cta=cta, link=shown_link, tags=tuple(tags), min_tags=min(min_tags, len(tags))
        )
        budget = rule.target if platform in ("linkedin", "facebook", "tiktok") else rule.hard_limit
        text, parts = compose(platform, parts, budget)
        media = [image[0]] if image and media_plan and media_plan.get("kind") == "resize" else []
        return Draft(
            text=text,
            hashtags=list(parts.tags) or (first_comment.split() if first_comment else []),
            link_url=link,
            utm=utm,
            media_urls=media,
            first_comment=first_comment,
            media_plan=media_plan,
            parts=parts,
            tag_pool=pool,
        )
