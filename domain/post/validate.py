"""Platform rules, enforced whatever wrote the text: the validator every draft passes before it
becomes an event, and the repair that makes an LLM's answer conform."""

from __future__ import annotations

import re
from dataclasses import replace

from domain.platforms import rules as platform_rules
from domain.post import limits
from domain.post.rules import VALID_TAG, Draft

URL = re.compile(r"https?://\S+")


def violations(platform: str, post_type: str, draft: Draft) -> list[str]:
    """Every rule the draft breaks, as readable sentences (empty: the draft may be published as is)."""
    rule = platform_rules(platform)
    out: list[str] = []
    texts = draft.thread if draft.thread else [draft.text]
    for i, text in enumerate(texts):
        n = limits.length(platform, text, exact=True)
        if n > rule.hard_limit:
            out.append(f"part {i + 1} is {n} characters, over {platform}'s {rule.hard_limit}")
        if not text.strip():
            out.append(f"part {i + 1} is empty")
        if text.rstrip().endswith(("-", "‐")):
            out.append(f"part {i + 1} ends mid-word")
    if draft.thread is not None:
        if platform != "x" or not 2 <= len(draft.thread) <= 10:
            out.append(f"a thread has 2 to 10 posts on X, this one {len(draft.thread)} on {platform}")
        total = len(draft.thread)
        for i, t in enumerate(draft.thread, 1):
            if not t.startswith(f"{i}/{total}"):
                out.append(f"thread post {i} is not numbered {i}/{total}")
        if not (URL.search(draft.thread[0]) or URL.search(draft.thread[-1])):
            out.append("the thread's link is neither in its first nor its last post")
    tags = draft.hashtags
    lo, hi = rule.hashtags
    lo = min(lo, max(draft.tag_pool, 1))  # as many as the article's topic supports, up to the range
    if not lo <= len(tags) <= hi:
        out.append(f"{len(tags)} hashtags, {platform} wants {lo} to {hi}")
    if len({t.lower() for t in tags}) != len(tags):
        out.append("duplicate hashtags")
    bad = [t for t in tags if not VALID_TAG.match(t)]
    if bad:
        out.append(f"invalid hashtags: {' '.join(bad)}")
    joined = "\n".join(texts)
    urls = URL.findall(joined)
    if rule.link == "none":
        if urls:
            out.append(f"{platform} captions have no clickable links: use the bio")
    else:
        if draft.link_url and draft.link_url not in joined:
            out.append("the article's link is missing from the text")
        if rule.link == "at_end" and draft.link_url and not joined.rstrip().endswith(draft.link_url):
            out.append("the link belongs at the end")
    for u in urls:
        if "utm_source=" not in u or "utm_medium=social" not in u:
            out.append(f"a shared URL has no UTM parameters: {u[:60]}")
    if rule.needs_media and not (draft.media_urls or draft.media_plan):
        out.append(f"{platform} posts need an image or a video")
    return out


def conform(platform: str, post_type: str, draft: Draft) -> Draft:
    """Repair what can be repaired mechanically: hashtags deduplicated and made valid, stray URLs
    removed where links are not allowed, text fitted to the hard limit."""
    rule = platform_rules(platform)
    seen: dict[str, str] = {}
    for t in draft.hashtags:
        tag = "#" + "".join(re.findall(r"[^\W_]+", t))
        if VALID_TAG.match(tag) and tag.lower() not in seen:
            seen[tag.lower()] = tag
    tags = list(seen.values())[: rule.hashtags[1]]
    text = draft.text
    if rule.link == "none":
        text = URL.sub("", text).strip()
    if limits.length(platform, text, exact=True) > rule.hard_limit:
        text = limits.shorten(platform, text, rule.hard_limit - 5)
        while limits.length(platform, text, exact=True) > rule.hard_limit:
            text = limits.shorten(platform, text, limits.length(platform, text) - 10)
    return replace(draft, text=text, hashtags=tags)
