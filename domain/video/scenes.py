"""Each section's layout on screen, picked from what the section says: a figure becomes a count-up,
a quotation a quote card, "X instead of Y" a comparison, "first … then … finally" steps, several
sentences a bullet reveal, code a code panel, the article's own image a slow push-in, the call to
action an end card with the address as text and as a QR code; anything else the key sentence, its
words appearing as they are spoken. The picture is built from the words being said, so it cannot
mismatch the narration (the anchors' first complaint about stock footage).

Diversity (Blog2Video's planner rules, kept where content allows): never the same layout twice in
a row, and the most specific layout not yet used first, so a short shows five or more kinds when
the article offers them. A person's choice (``Section.layout``) wins when the content allows it.

Every reveal names the token whose spoken onset starts it: the renderer reads the onset from the
synthesizer's word timings. Pure: no Pillow, no ffmpeg."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

from domain.video.script import Script, Section, Token
from schemas.events import SceneLayout as Layout

LAYOUTS: tuple[Layout, ...] = get_args(Layout)

# The most text each layout takes (longer is cut at a word with "…"): what the legibility tests feed.
MAX_TITLE = 90
MAX_KEY_WORDS = 14
MAX_ITEM = 42
MAX_ITEMS = {True: 4, False: 5}  # vertical, horizontal (Blog2Video: 4 in portrait, 5 in landscape)
MAX_LABEL = 60
MAX_QUOTE = 140
MAX_SIDE = 60
MAX_CODE_LINES = 14
MAX_CODE_COLUMNS = {True: 40, False: 72}
MAX_URL = 60

_FIGURE = re.compile(r"^([$€£]?)(\d[\d,]*(?:\.\d+)?)(%|k|m|x)?[.,;:!?]*$", re.IGNORECASE)
_COMPARE = {"vs", "versus", "instead", "whereas", "unlike", "compared", "than"}
_STEP = {"first", "second", "third", "then", "next", "finally", "lastly", "1.", "2.", "3.", "4.", "1)", "2)", "3)", "4)"}
_OPEN_QUOTE, _CLOSE_QUOTE = ("“", '"', "«"), ("”", '"', "»")


@dataclass(frozen=True)
class Reveal:
    """A piece of text that appears when the token ``token`` (an index into the section's tokens) is spoken."""

    text: str
    token: int


@dataclass(frozen=True)
class Figure:
    """A statistic's count-up: from 0 to ``value`` shown as ``prefix`` + number + ``suffix``; the bar fills to ``fraction``."""

    value: float
    decimals: int
    prefix: str
    suffix: str
    fraction: float

    def shown(self, at: float) -> str:
        """The number ``at`` (0–1) of the way up, as the article writes it."""
        v = self.value * at
        num = f"{v:,.{self.decimals}f}"
        return f"{self.prefix}{num}{self.suffix}"


@dataclass(frozen=True)
class Scene:
    section_id: str
    layout: Layout
    heading: str  # a small kicker over the scene ("" for none)
    items: tuple[Reveal, ...]  # what appears, in order, each on its spoken word
    figure: Figure | None = None
    image: str | None = None
    code: str | None = None
    url: str = ""

    @property
    def tokens(self) -> tuple[int, ...]:
        return tuple(r.token for r in self.items)


# ---------------------------------------------------------------- reading a section
def sentences(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Each sentence as (first token, end token exclusive)."""
    out, start = [], 0
    for i, t in enumerate(tokens):
        if t.shown.endswith((".", "!", "?", ".”", '."', "?”", "!”")):
            out.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        out.append((start, len(tokens)))
    return out


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—-")
    return cut + "…"


def _words(tokens: Sequence[Token], a: int, b: int) -> str:
    return " ".join(t.shown for t in tokens[a:b])


def _bare(word: str) -> str:
    return word.strip(".,;:!?“”\"'()«»").lower()


def _body(section: Section) -> list[tuple[int, int]]:
    """The sentences that say something: a point's spoken heading ("Heading.") is not one."""
    spans = sentences(section.tokens)
    if section.heading and spans and _words(section.tokens, *spans[0]).rstrip(".!?") == section.heading.rstrip(".!?"):
        spans = spans[1:]
    return spans


def figure(section: Section) -> tuple[int, Figure] | None:
    """The section's first figure worth counting up to (not a year), and its token."""
    for i, t in enumerate(section.tokens):
        m = _FIGURE.match(t.shown)
        if not m:
            continue
        cur, num, suffix = m.group(1), m.group(2), m.group(3) or ""
        value = float(num.replace(",", ""))
        if not cur and not suffix and (value < 10 or (1900 <= value <= 2100 and "." not in num)):
            continue
        decimals = len(num.split(".")[1]) if "." in num else 0
        fraction = min(1.0, value / 100) if suffix == "%" else 1.0
        return i, Figure(value, decimals, cur, suffix, fraction)
    return None


def quote(section: Section) -> tuple[int, int] | None:
    """A quotation of at least four words: its first and last token."""
    toks = section.tokens
    for i, t in enumerate(toks):
        if t.shown.startswith(_OPEN_QUOTE):
            for j in range(i, min(len(toks), i + 40)):
                end = toks[j].shown.rstrip(".,;:!?")
                if end.endswith(_CLOSE_QUOTE) and (j > i or len(end) > 1) and j - i >= 3:
                    return i, j + 1
    return None


def comparison(section: Section) -> tuple[int, int, int] | None:
    """A sentence that sets two things against each other: (start, the marker's token, end)."""
    toks = section.tokens
    for a, b in _body(section) or sentences(toks):
        for k in range(a + 3, b - 2):
            if _bare(toks[k].shown) in _COMPARE:
                return a, k, b
    return None


def steps(section: Section) -> list[tuple[int, int]]:
    """Sentences that read as steps (first…, then…, finally…; or numbered): two or more, else none."""
    found = [(a, b) for a, b in _body(section) if _bare(section.tokens[a].shown) in _STEP or section.tokens[a].shown in _STEP]
    return found if len(found) >= 2 else []


def options(section: Section, *, vertical: bool = True) -> list[Layout]:
    """The layouts this section's content allows, the most specific first."""
    if section.kind == "cta":
        return ["cta"]
    out: list[Layout] = []
    if section.code:
        out.append("code")
    if section.images:
        out.append("image")
    if figure(section):
        out.append("statistic")
    if quote(section):
        out.append("quote")
    if comparison(section):
        out.append("comparison")
    if steps(section):
        out.append("steps")
    if len(_body(section)) >= 2:
        out.append("bullets")
    if section.kind == "hook" or section.heading:
        out.append("title")
    out.append("key_sentence")
    return out


# ---------------------------------------------------------------- building a scene
def scene(section: Section, layout: Layout, *, title: str, url: str = "", vertical: bool = True) -> Scene:
    """The scene of ``section`` in ``layout`` (one of its :func:`options`)."""
    toks = section.tokens
    kicker = clip(section.heading, 40) if section.kind in ("point", "code") else ""
    body = _body(section) or sentences(toks) or [(0, len(toks))]
    match layout:
        case "title":
            text = title if section.kind == "hook" else section.heading
            return Scene(section.id, layout, "", (Reveal(clip(text, MAX_TITLE), 0),))
        case "statistic":
            counted = figure(section)
            assert counted is not None
            at, fig = counted
            a, b = next(((a, b) for a, b in sentences(toks) if a <= at < b), (0, len(toks)))
            label = _words(toks, a, b)
            return Scene(section.id, layout, kicker, (Reveal(clip(label, MAX_LABEL), a), Reveal(toks[at].shown, at)), figure=fig)
        case "quote":
            q = quote(section)
            assert q is not None
            return Scene(section.id, layout, kicker, (Reveal(clip(_words(toks, *q), MAX_QUOTE), q[0]),))
        case "comparison":
            c = comparison(section)
            assert c is not None
            a, k, b = c
            left, right = clip(_words(toks, a, k), MAX_SIDE), clip(_words(toks, k, b), MAX_SIDE)
            return Scene(section.id, layout, kicker, (Reveal(left, a), Reveal(right, k)))
        case "steps":
            spans = steps(section)[: MAX_ITEMS[vertical]]
            return Scene(section.id, layout, kicker, tuple(Reveal(clip(_words(toks, a, b), MAX_ITEM), a) for a, b in spans))
        case "bullets":
            spans = body[: MAX_ITEMS[vertical]]
            return Scene(section.id, layout, kicker, tuple(Reveal(clip(_words(toks, a, b), MAX_ITEM), a) for a, b in spans))
        case "code":
            lines = [ln[: MAX_CODE_COLUMNS[vertical]] for ln in (section.code or "").expandtabs(4).splitlines()[:MAX_CODE_LINES]]
            return Scene(section.id, layout, kicker, (Reveal("\n".join(lines), 0),), code="\n".join(lines))
        case "image":
            return Scene(section.id, layout, "", (Reveal(clip(section.heading or title, MAX_ITEM), 0),), image=section.images[0])
        case "cta":
            return Scene(section.id, layout, "", (Reveal(clip(_address(url), MAX_URL), 0),), url=url)
        case _:  # key_sentence: the first sentence that says something, word by word
            a, b = body[0]
            b = min(b, a + MAX_KEY_WORDS)
            items = tuple(Reveal(toks[k].shown, k) for k in range(a, b))
            return Scene(section.id, "key_sentence", kicker, items)


def _address(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/") or url


# ---------------------------------------------------------------- the plan
def plan(script: Script, *, url: str = "", vertical: bool = True) -> list[Scene]:
    """One scene per section. A person's layout is kept where the content allows it. The others get
    as many distinct layouts as the content allows (a maximum matching of sections to the layouts
    each allows, the most specific tried first); a section left over takes the most specific layout
    that differs from both neighbours."""
    sections = script.sections
    allowed = [options(s, vertical=vertical) for s in sections]
    chosen: list[Layout | None] = [s.layout if s.layout in opts else None for s, opts in zip(sections, allowed, strict=True)]
    taken = {c for c in chosen if c is not None}
    free = [i for i, c in enumerate(chosen) if c is None]
    for i, layout in _matching({i: [o for o in allowed[i] if o not in taken] for i in free}).items():
        chosen[i] = layout
    for i in range(len(sections)):
        if chosen[i] is None:
            near = {chosen[i - 1] if i else None, chosen[i + 1] if i + 1 < len(sections) else None}
            chosen[i] = next((o for o in allowed[i] if o not in near), allowed[i][0])
    return [scene(s, c or "key_sentence", title=script.title, url=url, vertical=vertical) for s, c in zip(sections, chosen, strict=True)]


def _matching(wants: dict[int, list[Layout]]) -> dict[int, Layout]:
    """Sections to distinct layouts, as many as possible (augmenting paths; each section's own order first)."""
    owner: dict[Layout, int] = {}

    def place(i: int, seen: set[Layout]) -> bool:
        for layout in wants[i]:
            if layout in seen:
                continue
            seen.add(layout)
            if layout not in owner or place(owner[layout], seen):
                owner[layout] = i
                return True
        return False

    for i in sorted(wants):
        place(i, set())
    return {i: layout for layout, i in owner.items()}


def most_distinct(script: Script, *, vertical: bool = True) -> int:
    """How many distinct layouts the article's content allows across its sections."""
    return len(_matching({i: options(s, vertical=vertical) for i, s in enumerate(script.sections)}))


def layout_problem(section: Section, layout: str, *, vertical: bool = True) -> str | None:
    """Why ``layout`` cannot show this section (None: it can)."""
    if layout not in LAYOUTS:
        return f"{layout!r} is not a layout (one of {', '.join(LAYOUTS)})"
    allowed = options(section, vertical=vertical)
    if layout not in allowed:
        return f"{layout!r} does not fit this section's content (it allows {', '.join(allowed)})"
    return None


def problems(scenes: Sequence[Scene], allowed: Sequence[Sequence[Layout]] = ()) -> list[str]:
    """The diversity rules a plan breaks: a layout twice in a row (where the sections allowed another)."""
    out = []
    for i in range(1, len(scenes)):
        if scenes[i].layout == scenes[i - 1].layout and (not allowed or len(set(allowed[i]) | set(allowed[i - 1])) > 1):
            out.append(f"scenes {i - 1} and {i}: {scenes[i].layout} twice in a row")
    return out
