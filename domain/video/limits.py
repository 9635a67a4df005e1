"""The measures a video's own text is held to, from the platforms' profiles: YouTube counts its
description in UTF-8 bytes (5,000), its title in characters (100), and refuses angle brackets in
either. A cut is made between grapheme clusters, so it never splits a UTF-8 character (nor an emoji
or an accented letter), and at a word when one is near."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

from domain.platforms import VIDEO, rules, video
from domain.post.limits import graphemes, most_that_fit

ELLIPSIS = "…"
# The video's title, shown wherever a platform shows one: under the strictest of their rules.
TITLE_CHARS = min(t for p in VIDEO if (t := video(p).title_chars) is not None)
REFUSED = "".join(sorted({ch for p in VIDEO for ch in video(p).refused}))


def measure(platform: str, text: str) -> int:
    """The length ``platform`` counts: UTF-8 bytes where its profile says so, characters elsewhere."""
    return len(text.encode()) if video(platform).counts_bytes else len(text)


def clean(text: str, refused: str = REFUSED) -> str:
    """One line: refused characters dropped, runs of white space made one space."""
    return re.sub(r"\s+", " ", text.translate({ord(ch): None for ch in refused})).strip()


def cut(text: str, budget: int, length: Callable[[str], int] = len) -> str:
    """``text`` within ``budget`` by ``length``, an ellipsis where it was cut: between grapheme
    clusters, back to the last word break when one is near."""
    if length(text) <= budget:
        return text
    clusters = graphemes(text)
    k = most_that_fit(len(clusters), lambda k: length("".join(clusters[:k]).rstrip() + ELLIPSIS) <= budget)
    head = "".join(clusters[:k])
    space = max(head.rfind(" "), head.rfind("\n"))
    if space >= len(head) * 0.6:
        head = head[:space]
    head = head.rstrip(" \n,;:—–-")
    return head + ELLIPSIS if head else ""


def title(text: str) -> str:
    """The video's title: one line, no refused character, cut at the strictest title limit."""
    return cut(clean(text), TITLE_CHARS)


def description(platform: str, text: str) -> str:
    """``text`` within ``platform``'s limit by its measure. The first paragraph (the summary) gives
    way first, so the article's link and the chapters after it stay whole."""
    limit = rules(platform).hard_limit
    size = partial(measure, platform)
    if size(text) <= limit:
        return text
    head, sep, rest = text.partition("\n\n")
    room = limit - size(sep + rest)
    if rest and room > size(ELLIPSIS) + 20:
        return cut(head, room, size) + sep + rest
    return cut(text, limit, size)


def tag_chars(tags: Sequence[str]) -> int:
    """How YouTube counts tags: a tag with a space as if quoted, plus a comma between tags."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1)


def problems(platform: str, *, title: str, description: str, tags: Sequence[str] = ()) -> list[str]:
    """What ``platform`` would refuse in a video's title, description and tags; empty when clean."""
    v = video(platform)
    out = []
    if v.title_chars is not None and not 1 <= len(title) <= v.title_chars:
        out.append(f"title: {len(title)} characters (1 to {v.title_chars})")
    if v.refused and any(ch in title + description for ch in v.refused):
        out.append(f"title/description: {' and '.join(v.refused)} are refused")
    limit, n = rules(platform).hard_limit, measure(platform, description)
    if v.counts_bytes and n > limit:  # (characters are the post validator's to count)
        out.append(f"description: {n} bytes (at most {limit:,})")
    if v.tags_chars is not None and tag_chars(tags) > v.tags_chars:
        out.append(f"tags: {tag_chars(tags)} characters (at most {v.tags_chars})")
    return out
