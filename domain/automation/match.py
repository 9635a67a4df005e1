"""Keyword matching as people mean it: case and accents folded ("Promo", "PROMÖ" and "promo" are one
word), punctuation and emoji ignored at word edges, and a regular expression accepted only when it
cannot backtrack catastrophically (its matching time grows with the text, not exponentially).

Match types: ``exact`` (the whole text is the keyword), ``contains`` (anywhere, even inside a word:
"app" fires on "happy", which is why ``word`` is the default), ``starts_with``, ``word`` (the
keyword as whole words), ``regex`` (on the folded text)."""

from __future__ import annotations

import re
import re._parser as _sre  # the parser behind ``re`` (Python 3.11+), to read a pattern's structure
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from re._constants import BRANCH, MAX_REPEAT, MAXREPEAT, MIN_REPEAT, SUBPATTERN

__all__ = ["PatternRefused", "fold", "matches", "first_match", "safe_pattern"]

MAX_TEXT = 5000  # what is matched of a text: a comment or message longer than this is cut
MAX_PATTERN = 300
_EDGE = re.compile(r"[\W_]+")


class PatternRefused(ValueError):
    """A regular expression that is invalid, too long, or can backtrack catastrophically."""


def fold(text: str) -> str:
    """Lower case without accents, compatibility forms unified (NFKC), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_TEXT])
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def _words(text: str) -> list[str]:
    return [w for w in _EDGE.split(text) if w]


def _unbounded(op: object, av: object) -> bool:
    return op in (MAX_REPEAT, MIN_REPEAT) and isinstance(av, tuple) and av[1] == MAXREPEAT


def _danger(items: Iterable[tuple[object, object]], under_repeat: bool) -> str | None:
    """Why a parsed pattern can backtrack catastrophically: an unbounded repeat inside another
    repeat ("(a+)+"), or an alternation under a repeat whose branches can match the same text
    ("(a|a)*", "(a|ab)*")."""
    for op, av in items:
        if op in (MAX_REPEAT, MIN_REPEAT):
            assert isinstance(av, tuple)
            lo, hi, sub = av
            if under_repeat and (hi == MAXREPEAT or hi > 10):
                return "a repeat inside a repeat"
            if (found := _danger(sub, under_repeat or hi == MAXREPEAT or hi > 10)) is not None:
                return found
        elif op == SUBPATTERN:
            assert isinstance(av, tuple)
            if (found := _danger(av[-1], under_repeat)) is not None:
                return found
        elif op == BRANCH:
            assert isinstance(av, tuple)
            branches = av[1]
            if under_repeat and len(branches) > 1:
                firsts = [_first(b) for b in branches]
                if None in firsts or len(set(firsts)) < len(firsts):
                    return "alternatives under a repeat that can match the same text"
            for b in branches:
                if (found := _danger(b, under_repeat)) is not None:
                    return found
    return None


def _first(branch: object) -> object:
    """The first literal of an alternative, or None when it does not start with one."""
    items = list(branch)  # type: ignore[call-overload]
    if not items:
        return None
    op, av = items[0]
    return (op, av) if str(op) == "LITERAL" else None


@lru_cache(maxsize=1024)
def safe_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, or :class:`PatternRefused` saying why it is not accepted."""
    if len(pattern) > MAX_PATTERN:
        raise PatternRefused(f"a pattern is at most {MAX_PATTERN} characters")
    try:
        parsed = _sre.parse(pattern)
        compiled = re.compile(pattern)
    except re.error as err:
        raise PatternRefused(f"not a valid regular expression: {err}") from None
    except (OverflowError, RecursionError):  # a repeat count or nesting beyond the parser's limits
        raise PatternRefused(
            "the pattern is too large to be matched safely (a repeat count or nesting beyond the parser's limits)"
        ) from None
    if (why := _danger(parsed, False)) is not None:
        raise PatternRefused(f"the pattern can backtrack catastrophically ({why}); write it without nested repeats")
    if "(?P=" in pattern or re.search(r"\\[1-9]", pattern):
        raise PatternRefused("back-references are not accepted")
    return compiled


def matches(text: str, keyword: str, how: str) -> bool:
    """Whether ``text`` matches ``keyword`` the ``how`` way (folded, see the module)."""
    t, k = fold(text), fold(keyword)
    if how == "regex":
        return safe_pattern(keyword).search(t) is not None
    if not k:
        return False
    if how == "contains":
        return k in t
    words, kws = _words(t), _words(k)
    if not kws:
        return k in t  # a keyword of emoji or punctuation only: as written
    if how == "exact":
        return words == kws
    if how == "starts_with":
        return words[: len(kws)] == kws
    n = len(kws)  # word: the keyword's words, in order, side by side
    return any(words[i : i + n] == kws for i in range(len(words) - n + 1))


def first_match(text: str, keywords: Iterable[str], how: str, exclude: Iterable[str] = ()) -> str | None:
    """The first keyword ``text`` matches, or None; an excluded word (matched as a whole word,
    or by ``regex`` when that is the match type) vetoes the lot."""
    ex_how = "regex" if how == "regex" else "word"
    if any(matches(text, x, ex_how) for x in exclude):
        return None
    return next((k for k in keywords if matches(text, k, how)), None)
