"""A video script from an article's outline, in one token stream: each token carries what the
captions show and what the narrator says (``40%`` is shown, "40 percent" is said), so the voice
and the captions are cut from the same list and can never drift apart.

Durations are estimates (words ÷ the voice's words per second) until the voice is synthesised;
chapters and SEO follow YouTube's rules (first chapter at 0:00, at least three, each ≥ 10 s; the
title, description and tags under its video profile, measured by :mod:`domain.video.limits`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from domain.platforms import VideoForm as Form
from domain.platforms import video
from domain.post.reading import split_sentences
from domain.video import limits
from domain.video.limits import tag_chars as tag_chars
from domain.video.outline import Outline
from schemas.events import VideoScript, VideoSection

Kind = Literal["hook", "intro", "point", "code", "cta"]

# What the narrator says for a symbol the captions show.
_SAID = {"&": "and", "+": "plus", "=": "equals", "@": "at", "→": "to", "—": "", "–": "", "-": ""}
_MARKUP = "*_`#~>|"
_URL = re.compile(r"^https?://(?:www\.)?([^/\s]+)\S*$")
_NUMBER = re.compile(r"^([$€£]?)(\d[\d,]*(?:\.\d+)?)(%|k|m|x)?([.,;:!?]*)$", re.IGNORECASE)
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_SUFFIX = {"%": "percent", "k": "thousand", "m": "million", "x": "times"}


@dataclass(frozen=True)
class Token:
    shown: str
    spoken: str


def tokens(text: str) -> tuple[Token, ...]:
    """Normalise text into tokens: markup stripped, symbols and figures spelled for the voice."""
    out: list[Token] = []
    for raw in text.split():
        word = raw.strip(_MARKUP)
        if not word:
            continue
        if m := _URL.match(word):
            out.append(Token(m.group(1), m.group(1).replace(".", " dot ")))
            continue
        if m := _NUMBER.match(word):
            cur, num, suffix, punct = m.groups()
            said = [num.replace(",", "")]
            if suffix:
                said.append(_SUFFIX[suffix.lower()])
            if cur:
                said.append(_CURRENCY[cur])
            out.append(Token(word, " ".join(said) + punct))
            continue
        if word in _SAID:
            if _SAID[word] and out:
                out.append(Token(word, _SAID[word]))
            continue
        spoken = "".join(" and " if ch == "&" else ch for ch in word).strip()
        if not re.search(r"\w", spoken):  # punctuation alone: it belongs to the word before
            if out:
                out[-1] = Token(out[-1].shown + word, out[-1].spoken + word)
            continue
        out.append(Token(word, spoken))
    return tuple(out)


@dataclass(frozen=True)
class Section:
    id: str
    kind: Kind
    heading: str
    tokens: tuple[Token, ...]
    code: str | None = None
    images: tuple[str, ...] = ()
    layout: str | None = None  # a person's choice of layout (domain.video.scenes); None: the planner's

    @property
    def narration(self) -> str:
        return " ".join(t.spoken for t in self.tokens)

    @property
    def caption(self) -> str:
        return " ".join(t.shown for t in self.tokens)

    @property
    def words(self) -> int:
        return sum(len(t.spoken.split()) for t in self.tokens)


@dataclass(frozen=True)
class Script:
    title: str
    form: Form
    language: str
    words_per_second: float
    sections: tuple[Section, ...]

    def estimate(self, section: Section) -> float:
        """Seconds until the voice has spoken it; replaced by the measured duration after synthesis."""
        return round(section.words / self.words_per_second, 2)

    def durations(self) -> list[float]:
        return [self.estimate(s) for s in self.sections]

    def replace(self, section_id: str, text: str) -> Script:
        """The script with one section's words changed: only that section's id changes with them."""
        sections = tuple(
            _section(s.kind, s.heading, text, code=s.code, images=s.images, layout=s.layout) if s.id == section_id else s
            for s in self.sections
        )
        if sections == self.sections and section_id not in {s.id for s in self.sections}:
            raise KeyError(section_id)
        return Script(self.title, self.form, self.language, self.words_per_second, sections)


def with_layout(script: Script, section_id: str, layout: str | None) -> Script:
    """The script with a person's choice of one section's layout (its words, and so its id, unchanged)."""
    sections = tuple(replace(s, layout=layout) if s.id == section_id else s for s in script.sections)
    return Script(script.title, script.form, script.language, script.words_per_second, sections)


def _section(
    kind: Kind, heading: str, text: str, *, code: str | None = None, images: tuple[str, ...] = (), layout: str | None = None
) -> Section:
    digest = hashlib.sha256("\x1f".join([kind, heading, text, code or "", *images]).encode()).hexdigest()[:12]
    return Section(f"{kind}-{digest}", kind, heading, tokens(text), code, images, layout)


def _clip(sentences: Sequence[str], words: int) -> str:
    """Whole sentences up to a word budget (at least one)."""
    out: list[str] = []
    n = 0
    for s in sentences:
        w = len(s.split())
        if out and n + w > words:
            break
        out.append(s)
        n += w
    return " ".join(out)


# Budgets in spoken words: a short stays under a minute, a long video at about ten.
BUDGET = {"short": (55.0, 18), "long": (600.0, 90)}  # (seconds, words per point)
MAX_CODE_LINES = 14


def draft_script(outline: Outline, *, form: Form, language: str = "en", words_per_second: float = 2.6, url: str = "") -> Script:
    """The rule writer: the article's own structure, read aloud. Hook (a figure if the article has
    one), intro, one point per H2, code cards (long form), a call to action."""
    seconds, per_point = BUDGET[form]
    intro = next((p for p in outline.parts if not p.heading), None)
    body = [p for p in outline.parts if p.heading]
    every = [s for p in outline.parts for para in p.paragraphs for s in split_sentences(para, language)]
    figure = next((s for s in every if re.search(r"\d", s) and 6 <= len(s.split()) <= 30), None)
    first = split_sentences(intro.paragraphs[0], language) if intro and intro.paragraphs else []
    sections: list[Section] = [
        _section("hook", "", figure or (first[0] if first else outline.title), images=intro.images[:1] if intro else ())
    ]
    if form == "long" and intro and intro.paragraphs:
        rest = [s for para in intro.paragraphs for s in split_sentences(para, language) if s != figure]
        if rest:
            sections.append(_section("intro", "Intro", _clip(rest, per_point), images=intro.images[1:2]))
    budget = seconds * words_per_second - sum(s.words for s in sections) - 20  # leave the call to action its words
    for part in body:
        said = [s for para in part.paragraphs for s in split_sentences(para, language)]
        text = f"{part.heading}. {_clip(said, per_point)}" if said else part.heading
        point = _section("point", part.heading, text, images=part.images)
        if point.words > budget:
            break
        sections.append(point)
        budget -= point.words
        if form == "long":
            for code in part.code:
                lines = code.splitlines()[:MAX_CODE_LINES]
                card = _section("code", part.heading, f"Here is what {part.heading.lower()} looks like in code.", code="\n".join(lines))
                sections.append(card)
                budget -= card.words
    sections.append(_section("cta", "", f"Read the whole article, {outline.title}, with the link in the description."))
    return Script(outline.title, form, language, words_per_second, tuple(sections))


# ---------------------------------------------------------------- chapters and SEO (YouTube's rules)
@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


MIN_CHAPTER_SECONDS = 10.0


def chapters(script: Script, durations: Sequence[float] | None = None) -> list[Chapter]:
    """A chapter per point (its code cards and the call to action fold into the one before), the
    hook and intro as the first at 0:00; chapters under 10 s fold into the one before; fewer than
    three means none (YouTube ignores such a list)."""
    if script.form == "short":  # Shorts show no chapters
        return []
    durations = list(durations) if durations is not None else script.durations()
    out: list[tuple[float, float, str]] = []  # start, length, title
    at = 0.0
    for s, d in zip(script.sections, durations, strict=True):
        if s.kind == "point" or not out:
            out.append((at, d, s.heading if s.kind == "point" else "Intro"))
        else:
            start, length, title = out[-1]
            out[-1] = (start, length + d, title)
        at += d
    merged: list[tuple[float, float, str]] = []
    carry: tuple[float, float] | None = None  # a too-short chapter's start and length, folded into the next
    for start, length, title in out:
        if carry is not None:
            start, length = carry[0], carry[1] + length
            carry = None
        if length < MIN_CHAPTER_SECONDS:
            carry = (start, length)
            continue
        merged.append((start, length, title))
    if carry is not None and merged:  # the last was too short: it ends the one before
        s0, l0, t0 = merged[-1]
        merged[-1] = (s0, l0 + carry[1], t0)
    return [Chapter(round(s, 2), t) for s, _, t in merged] if len(merged) >= 3 else []


def timestamp(seconds: float) -> str:
    s = int(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


@dataclass(frozen=True)
class Seo:
    title: str
    description: str
    tags: tuple[str, ...]


READ = "Read the article:"  # the description's line that links the article (each post tags it: domain.video.share)
_URL_IN = re.compile(r"https?://\S+")


def article_link(description: str) -> str | None:
    """The article's URL in a description :func:`seo` wrote, if it has one."""
    for line in description.splitlines():
        if line.startswith(READ) and (m := _URL_IN.search(line)):
            return m.group(0).rstrip(".,;:!?)»”'\"")
    return None


def seo(script: Script, *, summary: str, keywords: Sequence[str], url: str, chapter_list: Sequence[Chapter] = ()) -> Seo:
    """YouTube's title (``#shorts`` on a short, where it fits), description (the summary, the
    article's link, the chapters: the summary gives way when it is too long) and tags."""
    youtube = video("youtube")
    title = limits.clean(script.title)
    shorts = " #shorts"
    if script.form == "short" and "#shorts" not in title.lower() and len(title) + len(shorts) <= limits.TITLE_CHARS:
        title += shorts
    title = limits.title(title)
    lines = [limits.clean(summary)]
    if url:
        lines += ["", f"{READ} {url}"]
    if chapter_list:
        lines += ["", "Chapters:", *(f"{timestamp(c.start)} {limits.clean(c.title)}" for c in chapter_list)]
    description = limits.description("youtube", "\n".join(lines))
    tags: list[str] = []
    for k in keywords:
        tag = limits.clean(k).strip(",")
        if not tag or tag.lower() in {t.lower() for t in tags} or len(tag) > 100:
            continue
        if youtube.tags_chars is not None and tag_chars([*tags, tag]) > youtube.tags_chars:
            break
        tags.append(tag)
    return Seo(title, description, tuple(tags))


def youtube_problems(s: Seo, chapter_list: Sequence[Chapter]) -> list[str]:
    """What YouTube would refuse or ignore; empty when the upload is clean."""
    out = limits.problems("youtube", title=s.title, description=s.description, tags=s.tags)
    if chapter_list:
        starts = [c.start for c in chapter_list]
        if starts[0] != 0:
            out.append("chapters: the first must start at 0:00")
        if len(chapter_list) < 3:
            out.append("chapters: at least three")
        if any(b - a < MIN_CHAPTER_SECONDS for a, b in zip(starts, starts[1:], strict=False)):
            out.append("chapters: each at least 10 seconds")
        if starts != sorted(starts):
            out.append("chapters: in ascending order")
    return out


# ---------------------------------------------------------------- one section again
CTAS = (
    "Read the whole article, {title}, with the link in the description.",
    "The whole article, {title}, is linked in the description.",
    "Want the details? {title} is one link away, in the description.",
)
CODE_LINES = (
    "Here is what {heading} looks like in code.",
    "This is {heading}, in code.",
    "In code, {heading} looks like this.",
)


def _rotations(items: Sequence[str]) -> list[list[str]]:
    return [list(items[i:]) + list(items[:i]) for i in range(len(items))] or [[]]


def regenerate(outline: Outline, script: Script, section_id: str, attempt: int = 1) -> Script:
    """The script with one section written again from the article (other sentences of its part, another
    phrasing); every other section, and so its rendered segment, is kept. Raises ``KeyError`` for an
    unknown section."""
    old = next((s for s in script.sections if s.id == section_id), None)
    if old is None:
        raise KeyError(section_id)
    per_point = BUDGET[script.form][1]
    lang = script.language
    part = next((p for p in outline.parts if p.heading == old.heading), None) if old.heading else None
    intro = next((p for p in outline.parts if not p.heading), None)
    said = [s for p in ([part] if part else []) for para in p.paragraphs for s in split_sentences(para, lang)]
    options: list[str]
    match old.kind:
        case "cta":
            options = [c.format(title=outline.title) for c in CTAS]
        case "code":
            options = [c.format(heading=old.heading.lower()) for c in CODE_LINES]
        case "hook":
            every = [s for p in outline.parts for para in p.paragraphs for s in split_sentences(para, lang)]
            options = [s for s in every if 6 <= len(s.split()) <= 30][:8] or [outline.title]
        case "intro":
            rest = [s for para in (intro.paragraphs if intro else ()) for s in split_sentences(para, lang)]
            options = [_clip(r, per_point) for r in _rotations(rest)]
        case _:
            options = [f"{old.heading}. {_clip(r, per_point)}" if r else old.heading for r in _rotations(said)]
    fresh = [o for o in dict.fromkeys(options) if o and o != old.narration and o != old.caption]
    if not fresh:
        return script  # the article offers nothing else to say here
    text = fresh[(attempt - 1) % len(fresh)]
    new = _section(old.kind, old.heading, text, code=old.code, images=old.images, layout=old.layout)
    return Script(
        script.title, script.form, script.language, script.words_per_second, tuple(new if s is old else s for s in script.sections)
    )


# ---------------------------------------------------------------- the script as the contract carries it
def to_doc(script: Script, writer: str = "rules") -> VideoScript:
    return VideoScript(
        title=script.title,
        form=script.form,
        language=script.language,
        words_per_second=script.words_per_second,
        sections=[
            VideoSection(
                section_id=s.id, kind=s.kind, heading=s.heading, text=s.caption, code=s.code, images=list(s.images), layout=s.layout
            )
            for s in script.sections
        ],
        writer=writer,
    )


def from_doc(doc: VideoScript) -> Script:
    return Script(
        doc.title,
        doc.form,
        doc.language,
        doc.words_per_second,
        tuple(Section(s.section_id, s.kind, s.heading, tokens(s.text), s.code, tuple(s.images), s.layout) for s in doc.sections),
    )


# ---------------------------------------------------------------- another writer's narration, under the same guardrails
_FIGURE = re.compile(r"\d[\d,.]*")


def narration_problems(section: Section, text: str) -> list[str]:
    """What keeps ``text`` from replacing ``section``'s narration: it must be speakable (no links or
    markup), keep the section's figures, and keep to about its length (the timeline was planned on it)."""
    out = []
    if not tokens(text):
        out.append("empty")
    if re.search(r"https?://|www\.", text):
        out.append("a link (narration is spoken)")
    if re.search(r"[<>`*#_\[\]{}|]", text):
        out.append("markup")
    words = len(text.split())
    if words > max(12, round(section.words * 1.5)):
        out.append(f"{words} words where the section has room for {max(12, round(section.words * 1.5))}")
    lost = [f for f in _FIGURE.findall(section.caption) if f.strip(".,") and f.strip(".,") not in text]
    if lost:
        out.append(f"drops the figure {lost[0].strip('.,')}")
    return out


def apply_narration(script: Script, texts: dict[str, str]) -> tuple[Script, list[str]]:
    """The script with each given section's new words where they pass :func:`narration_problems`;
    and, for each refused one, why (its id: the problems)."""
    refused = []
    for section in list(script.sections):
        text = texts.get(section.id)
        if text is None:
            continue
        problems = narration_problems(section, text)
        if problems:
            refused.append(f"{section.id}: {', '.join(problems)}")
            continue
        script = script.replace(section.id, text)
    return script, refused
