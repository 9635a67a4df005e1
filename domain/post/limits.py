"""Platform rules and the text measures they use.

X counts *weighted* characters: :func:`x_weighted_length` is the official twitter-text algorithm
(PyPI ``twitter-text-parser``); :func:`x_fast_length` is a quick estimate used while fitting text,
always confirmed by the official count before a post leaves the writer.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from functools import lru_cache

import regex

from domain.platforms import rules as platform_rules

with warnings.catch_warnings():  # twitter-text imports pkg_resources, which warns on import
    warnings.simplefilter("ignore")
    from twitter_text import parse_tweet

URL_RE = re.compile(r"https?://\S+")
X_URL_WEIGHT = 23
# twitter-text v3 configuration: these ranges weigh 1, everything else (CJK, emoji, ...) weighs 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_HEAVY = re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _LIGHT_RANGES) + "]")


@lru_cache(maxsize=8192)
def x_weighted_length(text: str) -> int:
    """Weighted length as X counts it (twitter-text): NFC, URLs 23, CJK and emoji 2.

    Cached: composing, repairing and validating ask for the same text's length several times,
    and the official algorithm costs ~3 ms a call (its emoji pattern is huge)."""
    return int(parse_tweet(text).weightedLength)


def x_fast_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    urls = URL_RE.findall(text)
    rest = URL_RE.sub("", text) if urls else text
    return len(rest) + len(_HEAVY.findall(rest)) + X_URL_WEIGHT * len(urls)


def length(platform: str, text: str, *, exact: bool = False) -> int:
    if platform == "x":
        return x_weighted_length(text) if exact else x_fast_length(text)
    return len(text)


def fits(platform: str, text: str, budget: int | None = None) -> bool:
    limit = platform_rules(platform).hard_limit if budget is None else budget
    return length(platform, text, exact=True) <= limit


def graphemes(text: str) -> list[str]:
    return list(regex.findall(r"\X", text))


def most_that_fit(n: int, fits: Callable[[int], bool]) -> int:
    """The largest k in 0..n with fits(k), by bisection (length grows with k)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def shorten(platform: str, text: str, budget: int) -> str:
    """Cut ``text`` to ``budget`` with an ellipsis, at a word boundary; never mid-word or mid-grapheme.

    Scripts without spaces (CJK) are cut between grapheme clusters, at punctuation when one is near.
    """
    if length(platform, text) <= budget:
        return text
    words = text.split()
    if len(words) > 1:
        n = most_that_fit(len(words), lambda k: length(platform, " ".join(words[:k]) + "…") <= budget)
        if n:
            return " ".join(words[:n]).rstrip(",;:—-–") + "…"
    clusters = graphemes(text)
    lo = most_that_fit(len(clusters), lambda k: length(platform, "".join(clusters[:k]) + "…") <= budget)
    cut = "".join(clusters[:lo])
    for stop in ("。", "，", "、", "！", "？", "．"):
        at = cut.rfind(stop)
        if at >= len(cut) * 0.6:
            return cut[: at + 1]
    return (cut + "…") if cut else ""
