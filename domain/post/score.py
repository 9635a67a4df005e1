"""Virality score 1–10 with its reasons: a transparent heuristic a person can argue with.

Five components, each 0–1: hook strength, length fit, CTA clarity, hashtag fit, platform fit.
"""

from __future__ import annotations

import re

from domain.platforms import profile
from domain.platforms import rules as platform_rules
from domain.post import limits
from domain.post.locale import NEUTRAL, PHRASES
from domain.post.rules import Draft

# Where engagement is best, by platform (characters, or weighted characters on X).
WEIGHTS = {"hook": 0.3, "length": 0.2, "cta": 0.2, "hashtags": 0.15, "platform": 0.15}
POWER = re.compile(
    r"\d|[?!]|\b(how|why|what|new|secret|mistake|never|best|worst|you|your|wie|warum|neu|cómo|por qué|pourquoi|comment)\b", re.I
)
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
CTA_WORDS = {v for lang in PHRASES.values() for k, v in lang.items() if k in ("read", "more", "bio", "full", "comment", "save", "swipe")}
CTA_WORDS |= set(NEUTRAL.values())


def virality(platform: str, post_type: str, draft: Draft) -> tuple[int, dict[str, float], list[str]]:
    text = draft.thread[0] if draft.thread else draft.text
    hook = text.split("\n", 1)[0]
    reasons: list[str] = []

    hook_score = 0.4
    if POWER.search(hook):
        hook_score += 0.3
    if len(hook) <= 100:
        hook_score += 0.2
    if EMOJI.search(hook) or hook.startswith(("“", '"')):
        hook_score += 0.1
    reasons.append("hook has a number, a question or a strong word" if POWER.search(hook) else "hook could be sharper")

    n = limits.length(platform, "\n".join(draft.thread) if draft.thread else draft.text)
    lo, hi = profile(platform).sweet_spot
    length_score = 1.0 if lo <= n <= hi else max(0.2, 1 - (lo - n) / lo) if n < lo else max(0.2, 1 - (n - hi) / hi)
    reasons.append(f"{n} characters, sweet spot {lo}–{hi}")

    full = "\n".join(draft.thread or [draft.text])
    has_cta = any(w and w in full for w in CTA_WORDS)
    cta_score = 1.0 if has_cta else 0.2
    reasons.append("clear call to action" if has_cta else "no call to action")

    tlo, thi = platform_rules(platform).hashtags
    k = len(draft.hashtags)
    tag_score = 1.0 if tlo <= k <= thi else 0.4
    reasons.append(f"{k} hashtags, {tlo}–{thi} fit {platform}")

    platform_score = 1.0
    if platform_rules(platform).needs_media and not (draft.media_urls or draft.media_plan):
        platform_score -= 0.5
    if post_type in ("quote_card", "carousel") or draft.thread:
        platform_score = min(1.0, platform_score + 0.1)
    if platform in ("instagram", "tiktok") and not (draft.media_plan or draft.media_urls):
        reasons.append("visual platform without a visual")

    parts = {
        "hook": round(min(hook_score, 1.0), 2),
        "length": round(length_score, 2),
        "cta": cta_score,
        "hashtags": tag_score,
        "platform": round(platform_score, 2),
    }
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return max(1, min(10, round(1 + 9 * total))), parts, reasons
