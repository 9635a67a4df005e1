"""Rendered frames, through the real ffmpeg graph at a small vertical size: for every layout with
the longest text it allows, no text pixel outside the safe area (the frame compared with a
text-free render of the same scene); captions inside the box; text contrast ≥ 4.5:1 against the
5th-percentile worst pixel behind it; each reveal within ±100 ms of its word's onset; entrances of
8–15 frames and no more than 3 large flashes a second; the same inputs give the same bytes."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from adapters.video import layouts
from adapters.video.ffmpeg import ffmpeg, run
from domain.platforms import Box, shared_safe_area
from domain.video import scenes as grammar
from domain.video.captions import Word, ass, pages
from domain.video.legibility import worst_contrast
from domain.video.scenes import Figure, Reveal, Scene
from domain.video.timeline import FPS

W, H = 270, 480
BOX = shared_safe_area("youtube_short", W, H)  # inside Shorts', Reels' and TikTok's own
AREA = Box(BOX.left, BOX.top, BOX.right, BOX.bottom - 40)  # less the captions' band
WIDE = "Wmwm"  # wide letters: the longest text in pixels as well as in characters


def long_text(n: int) -> str:
    words = []
    while len(" ".join(words)) + 6 <= n:
        words.append(WIDE + "wm")
    return " ".join(words)[:n]


def longest(layout: grammar.Layout) -> Scene:
    kick = long_text(40)
    match layout:
        case "title":
            return Scene("s", layout, "", (Reveal(long_text(grammar.MAX_TITLE), 0),))
        case "key_sentence":
            return Scene("s", layout, kick, tuple(Reveal(WIDE + "wm", k) for k in range(grammar.MAX_KEY_WORDS)))
        case "bullets" | "steps":
            return Scene("s", layout, kick, tuple(Reveal(long_text(grammar.MAX_ITEM), k) for k in range(grammar.MAX_ITEMS[True])))
        case "statistic":
            fig = Figure(987654.32, 2, "$", "m", 1.0)
            return Scene("s", layout, kick, (Reveal(long_text(grammar.MAX_LABEL), 0), Reveal("$987,654.32m", 1)), figure=fig)
        case "quote":
            return Scene("s", layout, kick, (Reveal(long_text(grammar.MAX_QUOTE), 0),))
        case "comparison":
            return Scene("s", layout, kick, (Reveal(long_text(grammar.MAX_SIDE), 0), Reveal(long_text(grammar.MAX_SIDE), 1)))
        case "code":
            code = "\n".join("x" * grammar.MAX_CODE_COLUMNS[True] for _ in range(grammar.MAX_CODE_LINES))
            return Scene("s", layout, kick, (Reveal(code, 0),), code=code)
        case "image":
            return Scene("s", layout, "", (Reveal(long_text(grammar.MAX_ITEM), 0),), image="https://blog.example/a.jpg")
        case _:
            return Scene("s", "cta", "", (Reveal(long_text(grammar.MAX_URL), 0),), url="https://blog.example/" + "a" * 40)


def photo() -> bytes:
    """A light, busy photo: the worst case for white text."""
    img = Image.new("RGB", (600, 1000), (225, 230, 235))
    px = img.load()
    for y in range(0, 1000, 40):
        for x in range(0, 600, 40):
            if (x + y) // 40 % 3 == 0:
                for k in range(20):
                    px[x + k, y + k] = (250, 250, 250)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def frames(path: Path) -> np.ndarray:
    out = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True
    )
    return np.frombuffer(out.stdout, np.uint8).reshape(-1, H, W, 3).astype(np.int16)


def render(tmp: Path, name: str, drawn: layouts.Drawn, seconds: float, captions: str | None = None) -> np.ndarray:
    out = tmp / f"{name}.mp4"
    ass_path = None
    if captions:
        ass_path = tmp / f"{name}.ass"
        ass_path.write_text(captions)
    run(layouts.segment_command(ffmpeg(), drawn, seconds, W, H, str(out), str(ass_path) if ass_path else None, str(layouts.FONTS)))
    return frames(out)


def text_pixels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two renders of the same scene differ: the text (codec noise is far below this)."""
    return np.abs(a - b).max(axis=-1) > 48


def outside(mask: np.ndarray, box: Box) -> int:
    inside = np.zeros_like(mask)
    inside[box.top : box.bottom, box.left : box.right] = True
    return int((mask & ~inside).sum())


@pytest.mark.parametrize("layout", grammar.LAYOUTS)
def test_the_longest_text_of_every_layout_stays_inside_the_safe_area_and_is_legible(tmp_path: Path, layout: grammar.Layout) -> None:
    scene = longest(layout)
    drawn = layouts.Drawer(tmp_path / "l", W, H, AREA).draw(scene, [0.0] * len(scene.items), "k", photo())
    assert drawn.layers and all(AREA.contains(layer.box) for layer in drawn.layers)
    seconds = 0.8  # every entrance (10 frames) and the count-up (18) are over by the last frame
    shown = render(tmp_path, "with", drawn, seconds)[-1]
    bare = render(tmp_path, "without", layouts.text_free(drawn), seconds)[-1]
    mask = text_pixels(shown, bare)
    assert mask.sum() > 200, "the text was drawn"
    assert outside(mask, BOX) == 0
    for colour, box in drawn.colours:
        region = shown[box.top : box.bottom, box.left : box.right]
        distance = np.abs(region - np.array(colour)).max(axis=-1)
        # What is behind the glyphs: the card, the panel, or the photo under its scrim — every pixel
        # of the layer's box at least 2 px from anything glyph-like (anti-aliased edges are the text's own).
        near = distance <= 200
        grown = near.copy()
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                grown |= np.roll(np.roll(near, dy, axis=0), dx, axis=1)
        behind = region[~grown]
        if len(behind) > 20 and (distance <= 40).sum() > 20:
            assert worst_contrast(colour, [tuple(int(c) for c in px) for px in behind[::3]]) >= 4.5, (layout, colour)


def test_captions_sit_inside_the_safe_area(tmp_path: Path) -> None:
    drawn = layouts.Drawn(layouts.Drawer(tmp_path / "l", W, H, AREA).background("k"), False, [])
    page = [Word(w, 0.0, 0.5) for w in ("Wmwm", "mwmw", "Wmwmw")]  # 16 wide characters: a short's longest page
    captions = ass(
        pages(page, max_words=3, max_chars=18),
        width=W,
        height=H,
        font="DejaVu Sans Condensed",
        size=round(76 * W / 1080),
        area=(BOX.left, BOX.top, BOX.right, BOX.bottom),
    )
    shown = render(tmp_path, "captions", drawn, 0.4, captions)[5]
    bare = render(tmp_path, "plain", drawn, 0.4)[5]
    mask = text_pixels(shown, bare)
    assert mask.sum() > 100 and outside(mask, BOX) == 0
    rows = np.where(mask.any(axis=1))[0]
    assert BOX.bottom - rows.max() < 20  # at the bottom of the box, not in the band the platforms cover


def test_each_reveal_starts_on_its_spoken_word_within_100_ms(tmp_path: Path) -> None:
    words = "Every change is kept as an event forever".split()
    onsets = [0.10, 0.37, 0.52, 0.71, 0.93, 1.08, 1.20, 1.46]
    scene = Scene("s", "key_sentence", "", tuple(Reveal(w, k) for k, w in enumerate(words)))
    drawn = layouts.Drawer(tmp_path / "l", W, H, AREA).draw(scene, onsets, "k")
    shown = render(tmp_path, "with", drawn, 1.8)
    bare = render(tmp_path, "without", layouts.text_free(drawn), 1.8)[0]
    for layer, onset in zip(drawn.layers, onsets, strict=True):
        # Its own rows only: the line above slides through the top few while it enters.
        region = (slice(layer.y + layer.slide + 2, layer.y + layer.height), slice(layer.x, layer.x + layer.width))
        changed = [i for i in range(len(shown)) if text_pixels(shown[i][region], bare[region]).sum() > 3]
        assert changed, layer
        assert abs(changed[0] / FPS - onset) <= 0.1, (layer, changed[0] / FPS, onset)
        # The entrance: it slides for 8–15 frames, then holds still.
        settled = next(
            i
            for i in range(changed[0], len(shown) - 1)
            if np.array_equal(text_pixels(shown[i], bare), text_pixels(shown[i + 1], bare)) or i - changed[0] > 20
        )
        assert settled - changed[0] <= 15
    assert 8 <= layouts.ENTRANCE <= 15


def test_no_more_than_three_large_flashes_in_any_second(tmp_path: Path) -> None:
    scene = longest("bullets")
    drawn = layouts.Drawer(tmp_path / "l", W, H, AREA).draw(scene, [0.0, 0.1, 0.2, 0.3], "k")
    f = render(tmp_path, "bullets", drawn, 1.5)
    luma = f.mean(axis=-1)
    large = [(np.abs(luma[i + 1] - luma[i]) > 25).mean() > 0.25 for i in range(len(luma) - 1)]  # a quarter of the frame changes
    assert max(sum(large[i : i + FPS]) for i in range(max(1, len(large) - FPS + 1))) <= 3


def test_the_same_scene_renders_to_the_same_bytes(tmp_path: Path) -> None:
    scene = longest("statistic")
    outs = []
    for k in range(2):
        drawn = layouts.Drawer(tmp_path / f"d{k}", W, H, AREA).draw(scene, [0.0, 0.2], "k")
        out = tmp_path / f"{k}.mp4"
        run(layouts.segment_command(ffmpeg(), drawn, 0.8, W, H, str(out)))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_every_colour_of_the_code_theme_reads_at_4_5_to_1_against_what_is_behind_it() -> None:
    style = layouts.code_style()
    behind = layouts.rgb(style.background_color)
    coloured = {token: spec for token, spec in style.styles.items() if "#" in spec.replace("bg:#", "")}
    assert len(coloured) > 10  # comments, keywords, strings, numbers, names...
    for token, spec in coloured.items():
        own = [w[3:] for w in spec.split() if w.startswith("bg:#")]
        under = layouts.rgb(own[0]) if own else behind
        assert worst_contrast(layouts.rgb(spec), [under]) >= 4.5, (token, spec)
