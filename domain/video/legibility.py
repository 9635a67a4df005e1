"""What makes on-screen text readable, as numbers the renderer and its tests share: caption size
(70–120 px on a 1080-wide frame: above the 6.5 % floor, under Remotion's 120 px cap), caption
density (a short: one line of at most 18 characters; long form: Netflix's 42 characters × 2 lines
at most 20 characters a second), and contrast (WCAG's 4.5:1, measured against the 5th-percentile
worst background pixel under the text, so a bright patch in a photo cannot hide a word)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from domain.video.captions import Page

MIN_CONTRAST = 4.5
CAPTION_PX = (70, 120)  # on a 1080-wide frame
SHORT_LINE_CHARS = 18
LONG_LINE_CHARS, LONG_LINES, LONG_CPS = 42, 2, 20.0
WORST_PERCENTILE = 0.05


def caption_px(width: int, height: int) -> int:
    """The caption's font size: 7.8 % of the frame's short side (84 px on 1080), inside 70–120 scaled."""
    short = min(width, height)
    lo, hi = (round(v * short / 1080) for v in CAPTION_PX)
    return max(lo, min(hi, round(short * 0.078)))


def caption_problems(ps: Sequence[Page], *, short: bool) -> list[str]:
    """What breaks the density rules: a short's page longer than one 18-character line; a long-form
    page over 2 × 42 characters or read faster than 20 characters a second."""
    out = []
    for p in ps:
        text = p.text
        if short:
            if len(text) > SHORT_LINE_CHARS and len(p.words) > 1:
                out.append(f"{text!r}: {len(text)} characters on one line (at most {SHORT_LINE_CHARS})")
            continue
        if len(text) > LONG_LINE_CHARS * LONG_LINES:
            out.append(f"{text!r}: {len(text)} characters (at most {LONG_LINE_CHARS} × {LONG_LINES})")
        seconds = p.end - p.start
        if seconds > 0 and len(text) / seconds > LONG_CPS and len(p.words) > 1:
            out.append(f"{text!r}: {len(text) / seconds:.1f} characters a second (at most {LONG_CPS:g})")
    return out


def luminance(rgb: Sequence[int]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""

    def lin(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb[:3]
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def ratio(a: float, b: float) -> float:
    """The contrast ratio of two luminances."""
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def worst_contrast(text: Sequence[int], background: Iterable[Sequence[int]]) -> float:
    """The contrast of the text colour against the 5th-percentile worst background pixel."""
    t = luminance(text)
    found = sorted(ratio(t, luminance(px)) for px in background)
    if not found:
        return 21.0
    return found[min(len(found) - 1, int(len(found) * WORST_PERCENTILE))]


def scrim(text: Sequence[int], background: Sequence[Sequence[int]], *, colour: Sequence[int] = (0, 0, 0)) -> float:
    """The least opacity (0–0.9, in steps of 0.05) of a ``colour`` scrim laid over the background
    that brings the text's worst contrast to 4.5:1 (0: none needed)."""
    for step in range(0, 19):
        a = step / 20
        under = [tuple(round(c * (1 - a) + k * a) for c, k in zip(px[:3], colour, strict=True)) for px in background]
        if worst_contrast(text, under) >= MIN_CONTRAST:
            return a
    return 0.9


def legible(colour: Sequence[int], background: Sequence[int], minimum: float = MIN_CONTRAST) -> tuple[int, int, int]:
    """``colour`` moved toward white (on a dark background) or black (on a light one) by the least
    step of 5 % that reaches ``minimum`` against ``background``: a theme's hue kept where it can be read."""
    behind = luminance(background)
    toward = (255, 255, 255) if behind < 0.18 else (0, 0, 0)
    for step in range(21):
        a = step / 20
        moved = (
            round(colour[0] * (1 - a) + toward[0] * a),
            round(colour[1] * (1 - a) + toward[1] * a),
            round(colour[2] * (1 - a) + toward[2] * a),
        )
        if ratio(luminance(moved), behind) >= minimum:
            return moved
    return toward
