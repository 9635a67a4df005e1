"""Captions from the narration's own token spans: pages of words (one to three for shorts, a
sentence line for long form), the spoken word highlighted, times on the frame grid. ASS for
burning in, SRT and VTT for the platforms — all from the same pages, so they agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.video.script import Token

MIN_PAGE_SECONDS = 0.25


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds, on the frame grid
    end: float


@dataclass(frozen=True)
class Page:
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def on_grid(seconds: float, fps: int) -> float:
    return round(seconds * fps) / fps


def words(tokens: Sequence[Token], spans: Sequence[tuple[float, float]], fps: int) -> list[Word]:
    """Each caption word at its spoken onset, quantised to the nearest frame (within half a frame)."""
    out = []
    for tok, (start, end) in zip(tokens, spans, strict=True):
        s, e = on_grid(start, fps), on_grid(end, fps)
        out.append(Word(tok.shown, s, max(e, s + 1 / fps)))
    return out


def pages(ws: Sequence[Word], *, max_words: int, max_chars: int, sentence_ends: Sequence[int] = ()) -> list[Page]:
    """Consecutive words grouped into pages: at most ``max_words`` and ``max_chars`` (a longer
    single word gets a page of its own), never across a sentence end."""
    out: list[Page] = []
    current: list[Word] = []
    ends = set(sentence_ends)
    for i, w in enumerate(ws):
        if current and (len(current) >= max_words or len(" ".join(x.text for x in [*current, w])) > max_chars):
            out.append(Page(tuple(current)))
            current = []
        current.append(w)
        if i in ends:
            out.append(Page(tuple(current)))
            current = []
    if current:
        out.append(Page(tuple(current)))
    return _held(out)


def _held(ps: list[Page]) -> list[Page]:
    """A page stays up until the next one starts (no flicker in pauses shorter than a page), and at
    least MIN_PAGE_SECONDS where the next one allows it."""
    out = []
    for i, p in enumerate(ps):
        nxt = ps[i + 1].start if i + 1 < len(ps) else None
        end = max(p.end, p.start + MIN_PAGE_SECONDS)
        if nxt is not None:
            end = min(max(end, nxt) if nxt - p.end < 0.5 else end, nxt)
        last = p.words[-1]
        out.append(Page((*p.words[:-1], Word(last.text, last.start, end))))
    return out


def _ass_time(t: float) -> str:
    cs = int(round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _escape_ass(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def ass(
    ps: Sequence[Page],
    *,
    width: int,
    height: int,
    font: str = "DejaVu Sans",
    size: int = 0,
    highlight: str = "&H0000D7FF&",
    area: tuple[int, int, int, int] | None = None,
) -> str:
    """One event per spoken word: the page, with that word coloured, from its onset to the next's.
    ``area`` (left, top, right, bottom): the safe box the captions sit in, at its bottom edge."""
    size = size or max(28, round(min(width, height) * 0.075))
    margin = round(height * (0.22 if height > width else 0.08))
    side_l = side_r = round(width * 0.06)
    if area is not None:
        side_l, side_r, margin = area[0], width - area[2], height - area[3]
    head = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: TV.709\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline,"
        " StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,"
        f"{max(2, size // 12)},0,2,{side_l},{side_r},{margin},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    lines = []
    for p in ps:
        for i, w in enumerate(p.words):
            end = p.words[i + 1].start if i + 1 < len(p.words) else p.end
            text = " ".join(
                f"{{\\c{highlight}}}{_escape_ass(x.text)}{{\\r}}" if j == i else _escape_ass(x.text) for j, x in enumerate(p.words)
            )
            lines.append(f"Dialogue: 0,{_ass_time(w.start)},{_ass_time(end)},Caption,,0,0,0,,{text}")
    return head + "\n".join(lines) + "\n"


def _clock(t: float, sep: str) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def srt(ps: Sequence[Page]) -> str:
    return "\n".join(f"{i}\n{_clock(p.start, ',')} --> {_clock(p.end, ',')}\n{p.text}\n" for i, p in enumerate(ps, 1))


def vtt(ps: Sequence[Page]) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{_clock(p.start, '.')} --> {_clock(p.end, '.')}\n{p.text}\n" for p in ps)
