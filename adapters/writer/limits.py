"""Platform hard limits and the text measures they use (X counts weighted characters)."""
from __future__ import annotations

import re
import unicodedata

URL_RE = re.compile(r"https?://\S+")
X_URL_WEIGHT = 23
# twitter-text v3 configuration: these ranges weigh 1, everything else (CJK, emoji, ...) weighs 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_HEAVY = re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _LIGHT_RANGES) + "]")

HARD_LIMITS = {"linkedin": 3000, "x": 280, "facebook": 63206, "instagram": 2200, "tiktok": 2200}
TARGET_LENGTH = {"linkedin": 1300, "x": 280, "facebook": 500, "instagram": 2200, "tiktok": 2200}
HASHTAG_COUNT = {"linkedin": (3, 5), "x": (1, 2), "facebook": (3, 5), "instagram": (20, 30), "tiktok": (3, 5)}
NEEDS_MEDIA = {"instagram", "tiktok"}


def _weighted(text: str) -> int:
    return len(text) + len(_HEAVY.findall(text))


def x_weighted_length(text: str) -> int:
    """Weighted length as X counts it: NFC, URLs count 23, CJK and emoji count 2."""
    text = unicodedata.normalize("NFC", text)
    urls = URL_RE.findall(text)
    if not urls:
        return _weighted(text)
    return _weighted(URL_RE.sub("", text)) + X_URL_WEIGHT * len(urls)


def length(platform: str, text: str) -> int:
    return x_weighted_length(text) if platform == "x" else len(text)


def fits(platform: str, text: str) -> bool:
    return length(platform, text) <= HARD_LIMITS[platform]


def shorten(platform: str, text: str, budget: int) -> str:
    """Cut ``text`` to ``budget`` at a word boundary, with an ellipsis; never mid-word."""
    if length(platform, text) <= budget:
        return text
    words = text.split()
    lo, hi = 0, len(words)  # the most words that fit, by bisection: length is monotonic in words
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if length(platform, " ".join(words[:mid]) + "…") <= budget:
            lo = mid
        else:
            hi = mid - 1
    return (" ".join(words[:lo]).rstrip(",;:—-") + "…") if lo else ""
