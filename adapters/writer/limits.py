"""Platform hard limits and the text measures they use (X counts weighted characters)."""
from __future__ import annotations

import re
import unicodedata

URL_RE = re.compile(r"https?://\S+")
X_URL_WEIGHT = 23
# twitter-text v3 configuration: these ranges weigh 1, everything else (CJK, emoji, ...) weighs 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

HARD_LIMITS = {"linkedin": 3000, "x": 280, "facebook": 63206, "instagram": 2200, "tiktok": 2200}
TARGET_LENGTH = {"linkedin": 1300, "x": 280, "facebook": 500, "instagram": 2200, "tiktok": 2200}
HASHTAG_COUNT = {"linkedin": (3, 5), "x": (1, 2), "facebook": (3, 5), "instagram": (20, 30), "tiktok": (3, 5)}
NEEDS_MEDIA = {"instagram", "tiktok"}


def _weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2


def x_weighted_length(text: str) -> int:
    """Weighted length as X counts it: NFC, URLs count 23, CJK and emoji count 2."""
    text = unicodedata.normalize("NFC", text)
    total, pos = 0, 0
    for m in URL_RE.finditer(text):
        total += sum(_weight(ch) for ch in text[pos : m.start()]) + X_URL_WEIGHT
        pos = m.end()
    return total + sum(_weight(ch) for ch in text[pos:])


def length(platform: str, text: str) -> int:
    return x_weighted_length(text) if platform == "x" else len(text)


def fits(platform: str, text: str) -> bool:
    return length(platform, text) <= HARD_LIMITS[platform]


def shorten(platform: str, text: str, budget: int) -> str:
    """Cut ``text`` to ``budget`` at a word boundary, with an ellipsis; never mid-word."""
    if length(platform, text) <= budget:
        return text
    words = text.split()
    out: list[str] = []
    for w in words:
        candidate = " ".join([*out, w]) + "…"
        if length(platform, candidate) > budget:
            break
        out.append(w)
    return (" ".join(out).rstrip(",;:—-") + "…") if out else ""
