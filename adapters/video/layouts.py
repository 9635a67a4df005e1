"""A scene drawn as layers (Pillow, once, in the worker process) and composed by ONE ffmpeg graph
per segment: the background (a card, or the article's image pushed in ≤ 1.08×), then each text
layer overlaid from the onset of its first spoken word, sliding up into place over 10 frames (the
scene's one dominant motion; a statistic counts up instead, as a pre-rendered PNG sequence). No
Python runs per frame. Every layer lies inside the layout box — the platform's safe area less the
captions' band — by construction: text is fitted to its box, and a layer is cropped to it.

Deterministic: the same scene, onsets and size give the same PNGs, the same graph and (x264 being
deterministic) the same bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont
from pygments.token import Token

from domain.platforms import Box
from domain.video.legibility import legible, scrim
from domain.video.scenes import Scene
from domain.video.timeline import FPS

FONTS = Path("/usr/share/fonts/truetype/dejavu")
TEXT, ACCENT, MUTED = (255, 255, 255), (255, 196, 61), (200, 208, 230)
BACKGROUND = ((20, 30, 62), (48, 18, 74))
PANEL = (12, 16, 34, 235)
ENTRANCE = 10  # frames (8–15)
KEN_BURNS = 1.08  # the most an image is pushed in over its scene
COUNT_FRAMES = 18  # a statistic's count-up, in frames


@lru_cache(maxsize=64)
def font(px: int, kind: Literal["bold", "regular", "mono"] = "bold") -> ImageFont.FreeTypeFont:
    name = {"bold": "DejaVuSansCondensed-Bold.ttf", "regular": "DejaVuSansCondensed.ttf", "mono": "DejaVuSansMono.ttf"}[kind]
    return ImageFont.truetype(str(FONTS / name), px)


CODE_THEME = "monokai"


def rgb(spec: str) -> tuple[int, int, int]:
    """The first ``#rgb`` or ``#rrggbb`` colour of a Pygments style spec (``bg:`` ones excluded)."""
    word = next(w for w in spec.split() if w.startswith("#"))[1:]
    if len(word) == 3:
        word = "".join(c * 2 for c in word)
    return int(word[0:2], 16), int(word[2:4], 16), int(word[4:6], 16)


@lru_cache(maxsize=1)
def code_style() -> type:
    """``CODE_THEME`` with every token's colour brought to 4.5:1 against what is behind it (the
    theme's background, or the token's own ``bg:``), so that a comment is as legible as the code."""
    from pygments.style import Style
    from pygments.styles import get_style_by_name

    base = get_style_by_name(CODE_THEME)
    behind = rgb(base.background_color)

    def fixed(spec: str) -> str:
        own = [w[3:] for w in spec.split() if w.startswith("bg:#")]
        under = rgb(own[0]) if own else behind
        return " ".join("#{:02x}{:02x}{:02x}".format(*legible(rgb(w), under)) if w.startswith("#") else w for w in spec.split())

    styles = {token: fixed(spec) for token, spec in base.styles.items()}
    return type("LegibleCode", (Style,), {"name": "legible-code", "background_color": base.background_color, "styles": styles})


@dataclass(frozen=True)
class Layer:
    """One overlay: a PNG (or a PNG sequence, ``frames`` > 0, its path holding ``%03d``) placed at
    (x, y), shown from ``start`` seconds, sliding up ``slide`` px over the entrance."""

    path: str
    x: int
    y: int
    width: int
    height: int
    start: float
    slide: int = 0
    frames: int = 0
    atlas_y: int = -1  # where it sits in the scene's atlas (one PNG of all its still layers, one input); -1: not in it

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.x + self.width, self.y + self.height + self.slide)


@dataclass
class Drawn:
    """A scene ready for its graph: the background still, whether it is pushed in, its layers."""

    background: str
    zoom: bool
    layers: list[Layer] = field(default_factory=list)
    atlas: str = ""  # every still layer stacked in one PNG: one input to decode instead of one per layer
    colours: list[tuple[tuple[int, int, int], Box]] = field(default_factory=list)  # text colour and where (for the contrast checks)


# ---------------------------------------------------------------- text fitting
def _wrap(text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    words = text.split()
    if not words:
        return []
    if len(words) == 1 and f.getlength(text) > width:  # no spaces (CJK, a long word): by character
        lines, cur = [], ""
        for ch in text:
            if cur and f.getlength(cur + ch) > width:
                lines.append(cur)
                cur = ""
            cur += ch
        return [*lines, cur]
    lines, cur = [], words[0]
    for w in words[1:]:
        if f.getlength(f"{cur} {w}") <= width:
            cur = f"{cur} {w}"
        else:
            lines.append(cur)
            cur = w
    return [*lines, cur]


def fit(
    text: str, width: int, height: int, start: int, *, kind: Literal["bold", "regular", "mono"] = "bold", least: int = 12
) -> tuple[list[str], ImageFont.FreeTypeFont, int]:
    """The largest size ≤ ``start`` at which ``text`` wraps into the box (lines cut at the least size)."""
    px = start
    while True:
        f = font(px, kind)
        lines = _wrap(text, f, width) if kind != "mono" else text.splitlines()
        line_h = round(px * 1.22)
        if (len(lines) * line_h <= height and all(f.getlength(ln) <= width for ln in lines)) or px <= least:
            return lines[: max(1, height // line_h)], f, px
        px = max(least, px - max(1, px // 12))


def _text_layer(
    lines: list[str],
    f: ImageFont.FreeTypeFont,
    px: int,
    width: int,
    colour: tuple[int, int, int],
    *,
    align: str = "left",
    panel: tuple[int, int, int, int] | None = None,
    pad: int = 0,
) -> Image.Image:
    line_h = round(px * 1.22)
    w = width if align == "center" or panel else max(1, round(max(f.getlength(ln) for ln in lines)))
    img = Image.new("RGBA", (w + 2 * pad, len(lines) * line_h + 2 * pad), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if panel:
        d.rounded_rectangle((0, 0, img.width - 1, img.height - 1), radius=max(4, pad), fill=panel)
    for i, ln in enumerate(lines):
        x = pad + (w - f.getlength(ln)) / 2 if align == "center" else pad
        d.text((x, pad + i * line_h), ln, font=f, fill=(*colour, 255))
    return img


class Drawer:
    """Draws one scene's layers into ``out`` (a directory of content-addressed files)."""

    def __init__(self, out: Path, width: int, height: int, box: Box) -> None:
        self.out, self.width, self.height, self.box = out, width, height, box
        self.unit = min(width, height) / 1080  # sizes are designed on a 1080-wide vertical frame
        out.mkdir(parents=True, exist_ok=True)

    def _save(self, img: Image.Image, name: str) -> str:
        path = self.out / name
        img.save(path, "PNG", compress_level=1)
        return str(path)

    def _place(self, img: Image.Image, name: str, x: int, y: int, start: float, slide: int = -1) -> Layer:
        """A layer inside the box: cropped to it where it would overflow, its slide kept inside too."""
        slide = round(40 * self.unit) if slide < 0 else slide
        b = self.box
        x, y = max(b.left, x), max(b.top, y)
        w, h = min(img.width, b.right - x), min(img.height, b.bottom - y)
        slide = max(0, min(slide, b.bottom - y - h))
        img = img.crop((0, 0, w, h))
        return Layer(self._save(img, name), x, y, w, h, round(start, 3), slide)

    def background(self, key: str) -> str:
        (r1, g1, b1), (r2, g2, b2) = BACKGROUND
        grad = Image.linear_gradient("L").resize((self.width, self.height))
        img = Image.composite(
            Image.new("RGB", (self.width, self.height), (r2, g2, b2)), Image.new("RGB", (self.width, self.height), (r1, g1, b1)), grad
        )
        path = self.out / f"bg-{self.width}x{self.height}.png"
        if not path.exists():
            img.save(path, "PNG", compress_level=1)
        return str(path)

    # ------------------------------------------------------------ the layouts
    def draw(self, scene: Scene, onsets: list[float], key: str, image: bytes | None = None) -> Drawn:
        """``onsets``: seconds from the scene's start at which each of ``scene.items`` is spoken."""
        b, u = self.box, self.unit
        at = dict(enumerate(onsets))
        drawn = Drawn(self.background(key), zoom=False)
        top = b.top
        if scene.heading:
            lines, f, px = fit(scene.heading.upper(), b.width, round(60 * u), round(44 * u))
            layer = self._place(_text_layer(lines, f, px, b.width, ACCENT), f"{key}-kicker.png", b.left, top, 0.0, slide=0)
            drawn.layers.append(layer)
            drawn.colours.append((ACCENT, layer.box))
            top += layer.height + round(36 * u)
        area = Box(b.left, top, b.right, b.bottom)
        getattr(self, f"_{scene.layout}")(scene, at, key, area, drawn, image)
        return self._packed(drawn, key)

    def _packed(self, drawn: Drawn, key: str) -> Drawn:
        """The still layers stacked in one atlas PNG (each ffmpeg input costs a demuxer, a decoder and their
        queues: ~12 MB and a start-up each at 1080×1920; one atlas keeps a 14-word sentence under 400 MB)."""
        still = [x for x in drawn.layers if not x.frames]
        if not still:
            return drawn
        atlas = Image.new("RGBA", (max(x.width for x in still), sum(x.height for x in still)), (0, 0, 0, 0))
        y, placed = 0, []
        for layer in drawn.layers:
            if layer.frames:
                placed.append(layer)
                continue
            with Image.open(layer.path) as img:
                atlas.paste(img.convert("RGBA"), (0, y))
            placed.append(replace(layer, atlas_y=y))
            y += layer.height
        drawn.layers = placed
        drawn.atlas = self._save(atlas, f"{key}-atlas.png")
        return drawn

    def _add(
        self, drawn: Drawn, img: Image.Image, name: str, x: int, y: int, start: float, colour: tuple[int, int, int], slide: int = -1
    ) -> Layer:
        layer = self._place(img, name, x, y, start, slide)
        drawn.layers.append(layer)
        drawn.colours.append((colour, layer.box))
        return layer

    def _title(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        lines, f, px = fit(scene.items[0].text, a.width, round(a.height * 0.8), round(110 * self.unit))
        img = _text_layer(lines, f, px, a.width, TEXT, align="center")
        self._add(drawn, img, f"{key}-title.png", a.left, a.top + (a.height - img.height) // 3, at.get(0, 0.0), TEXT)

    def _key_sentence(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        """Each word a layer of its own, placed where the whole sentence wraps, shown as it is spoken."""
        text = " ".join(r.text for r in scene.items)
        lines, f, px = fit(text, a.width, round(a.height * 0.85), round(96 * self.unit))
        line_h = round(px * 1.22)
        y0 = a.top + (a.height - len(lines) * line_h) // 3
        k = 0
        for li, ln in enumerate(lines):
            x = a.left + (a.width - f.getlength(ln)) / 2
            for word in ln.split():
                if k >= len(scene.items):
                    break
                wimg = Image.new("RGBA", (max(1, round(f.getlength(word))) + 2, line_h), (0, 0, 0, 0))
                ImageDraw.Draw(wimg).text((0, 0), word, font=f, fill=(*TEXT, 255))
                self._add(
                    drawn, wimg, f"{key}-word{k:02d}.png", round(x), y0 + li * line_h, at.get(k, 0.0), TEXT, slide=round(16 * self.unit)
                )
                x += f.getlength(word + " ")
                k += 1

    def _items(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, numbered: bool) -> None:
        n = len(scene.items)
        gap = round(28 * self.unit)
        slot = (a.height - gap * (n - 1)) // max(n, 1)
        size = min(round(68 * self.unit), round(slot / 2.6))
        mark_w = round(size * (1.3 if numbered else 0.9))
        y = a.top
        for i, r in enumerate(scene.items):
            lines, f, px = fit(r.text, a.width - mark_w, slot, size)
            img = Image.new("RGBA", (a.width, round(px * 1.22) * len(lines)), (0, 0, 0, 0))
            d = ImageDraw.Draw(img)
            if numbered:
                d.text((0, 0), f"{i + 1}", font=font(px), fill=(*ACCENT, 255))
            else:
                d.ellipse((round(px * 0.15), round(px * 0.45), round(px * 0.55), round(px * 0.85)), fill=(*ACCENT, 255))
            for li, ln in enumerate(lines):
                d.text((mark_w, li * round(px * 1.22)), ln, font=f, fill=(*TEXT, 255))
            self._add(drawn, img, f"{key}-item{i}.png", a.left, y, at.get(i, 0.0), TEXT)
            y += img.height + gap

    def _bullets(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        self._items(scene, at, key, a, drawn, numbered=False)

    def _steps(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        self._items(scene, at, key, a, drawn, numbered=True)

    def _statistic(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        """The label, then the figure counting up with its bar filling (a PNG sequence, one frame per video frame)."""
        fig = scene.figure
        assert fig is not None
        u = self.unit
        lines, f, px = fit(scene.items[0].text, a.width, round(a.height * 0.35), round(60 * u))
        label = _text_layer(lines, f, px, a.width, MUTED, align="center")
        num_h = round(min(220 * u, a.height * 0.3))
        bar_h = max(8, round(28 * u))
        block_h = num_h + round(30 * u) + bar_h
        y = a.top + (a.height - block_h - label.height - round(40 * u)) // 3
        # The count-up block: the widest the figure gets, fitted once.
        _, nf, npx = fit(fig.shown(1.0), a.width, num_h, round(200 * u), least=12)
        frames = []
        for i in range(COUNT_FRAMES):
            t = 1 - (1 - (i + 1) / COUNT_FRAMES) ** 3  # ease out
            img = Image.new("RGBA", (a.width, block_h), (0, 0, 0, 0))
            d = ImageDraw.Draw(img)
            shown = fig.shown(t)
            d.text(((a.width - nf.getlength(shown)) / 2, 0), shown, font=nf, fill=(*ACCENT, 255))
            d.rounded_rectangle((0, block_h - bar_h, a.width - 1, block_h - 1), radius=bar_h // 2, fill=(255, 255, 255, 60))
            filled = round((a.width - 1) * fig.fraction * t)
            if filled > bar_h:
                d.rounded_rectangle((0, block_h - bar_h, filled, block_h - 1), radius=bar_h // 2, fill=(*ACCENT, 255))
            frames.append(img)
        for i, img in enumerate(frames):
            img.save(self.out / f"{key}-count{i:03d}.png", "PNG", compress_level=1)
        start = at.get(1, 0.0)
        layer = Layer(str(self.out / f"{key}-count%03d.png"), a.left, y, a.width, block_h, round(start, 3), 0, COUNT_FRAMES)
        drawn.layers.append(layer)
        drawn.colours.append((ACCENT, layer.box))
        self._add(drawn, label, f"{key}-label.png", a.left, y + block_h + round(40 * u), at.get(0, 0.0), MUTED)

    def _quote(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        u = self.unit
        mark = font(round(160 * u))
        text = scene.items[0].text.strip('“”"«» ')
        lines, f, px = fit(text, a.width - round(30 * u), round(a.height * 0.7), round(76 * u), kind="regular")
        body = _text_layer(lines, f, px, a.width - round(30 * u), TEXT)
        img = Image.new("RGBA", (a.width, body.height + round(150 * u)), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.text((0, -round(30 * u)), "“", font=mark, fill=(*ACCENT, 255))
        d.rectangle((0, round(150 * u), max(2, round(8 * u)), img.height - 1), fill=(*ACCENT, 255))
        img.alpha_composite(body, (round(30 * u), round(150 * u)))
        self._add(drawn, img, f"{key}-quote.png", a.left, a.top + (a.height - img.height) // 3, at.get(0, 0.0), TEXT)

    def _comparison(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        """Two panels: stacked on a vertical frame, side by side on a landscape one."""
        u = self.unit
        gap = round(40 * u)
        vertical = self.height > self.width
        pw = a.width if vertical else (a.width - gap) // 2
        ph = (a.height - gap) // 2 if vertical else round(a.height * 0.8)
        pad = round(30 * u)
        for i, r in enumerate(scene.items[:2]):
            lines, f, px = fit(r.text, pw - 2 * pad, ph - 2 * pad, round(64 * u))
            panel = (*((50, 60, 110) if i == 0 else (90, 40, 100)), 255)
            img = _text_layer(lines, f, px, pw - 2 * pad, TEXT, panel=panel, pad=pad)
            x = a.left if vertical or i == 0 else a.left + pw + gap
            y = a.top + (i * (ph + gap) if vertical else 0)
            self._add(drawn, img, f"{key}-side{i}.png", x, y, at.get(i, 0.0), TEXT)

    def _code(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        from pygments import highlight
        from pygments.formatters import ImageFormatter
        from pygments.lexers import TextLexer, guess_lexer
        from pygments.util import ClassNotFound

        code = scene.code or ""
        try:
            lexer = guess_lexer(code)
        except ClassNotFound:
            lexer = TextLexer()
        png = highlight(
            code,
            lexer,
            ImageFormatter(
                font_name="DejaVu Sans Mono",
                font_size=max(8, round(30 * self.unit)),
                line_numbers=False,
                style=code_style(),
                image_pad=round(24 * self.unit),
                line_pad=round(6 * self.unit),
            ),
        )
        shot = Image.open(io.BytesIO(png)).convert("RGBA")
        scale = min(1.0, a.width / shot.width, a.height * 0.9 / shot.height)
        if scale < 1.0:
            shot = shot.resize((max(1, round(shot.width * scale)), max(1, round(shot.height * scale))), Image.Resampling.LANCZOS)
        self._add(
            drawn,
            shot,
            f"{key}-code.png",
            a.left + (a.width - shot.width) // 2,
            a.top + (a.height - shot.height) // 3,
            at.get(0, 0.0),
            rgb(code_style().styles[Token]),
        )

    def _image(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        """The article's image, pushed in ≤ 1.08×; its label on a scrim dark enough for 4.5:1 against the worst of the photo under it."""
        from adapters.video.visuals import still

        path = self.out / f"{key}-image.jpg"
        if image is not None:
            path.write_bytes(still(image, self.width, self.height))
            drawn.background, drawn.zoom = str(path), True
        u = self.unit
        pad = round(24 * u)
        lines, f, px = fit(scene.items[0].text, a.width - 2 * pad, round(a.height * 0.3), round(64 * u))
        text = _text_layer(lines, f, px, a.width - 2 * pad, TEXT)
        with Image.open(drawn.background) as bg:
            region = (
                bg.convert("RGB")
                .resize((self.width, self.height))
                .crop((a.left, a.top, a.left + text.width + 2 * pad, a.top + text.height + 2 * pad))
            )
            pixels = list(region.resize((max(1, region.width // 4), max(1, region.height // 4))).getdata())
        alpha = max(0.35, scrim(TEXT, pixels))
        img = _text_layer(lines, f, px, text.width, TEXT, panel=(0, 0, 0, round(255 * min(1.0, alpha + 0.1))), pad=pad)
        self._add(drawn, img, f"{key}-label.png", a.left, a.top, at.get(0, 0.0), TEXT, slide=0)

    def _cta(self, scene: Scene, at: dict[int, float], key: str, a: Box, drawn: Drawn, image: bytes | None) -> None:
        """The article's address as text and as a QR code (dark on a white quiet zone)."""
        import segno

        u = self.unit
        lines, f, px = fit("Read the full article", a.width, round(a.height * 0.2), round(80 * u))
        head = _text_layer(lines, f, px, a.width, TEXT, align="center")
        y = a.top + round(20 * u)
        self._add(drawn, head, f"{key}-cta.png", a.left, y, at.get(0, 0.0), TEXT, slide=0)
        y += head.height + round(40 * u)
        side = min(round(a.width * 0.7), round(a.height * 0.5))
        if scene.url:
            buf = io.BytesIO()
            segno.make(scene.url, error="m").save(buf, kind="png", scale=10, border=3, dark="#000000", light="#ffffff")
            qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGBA").resize((side, side), Image.Resampling.NEAREST)
            self._add(drawn, qr, f"{key}-qr.png", a.left + (a.width - side) // 2, y, at.get(0, 0.0), (0, 0, 0), slide=0)
            y += side + round(40 * u)
        lines, f, px = fit(scene.items[0].text, a.width, max(1, a.bottom - y), round(56 * u))
        addr = _text_layer(lines, f, px, a.width, ACCENT, align="center")
        self._add(drawn, addr, f"{key}-address.png", a.left, y, at.get(0, 0.0), ACCENT, slide=0)


# ---------------------------------------------------------------- the graph
def _esc(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def inputs(drawn: Drawn) -> list[str]:
    """The segment's inputs: the background, the atlas (if any still layer), each count-up sequence."""
    out = ["-i", drawn.background]
    if drawn.atlas:
        out += ["-i", drawn.atlas]
    for layer in drawn.layers:
        if layer.frames:
            out += ["-framerate", str(FPS), "-start_number", "0", "-i", layer.path]
    return out


def graph(drawn: Drawn, seconds: float, width: int, height: int, captions: str | None = None, fontsdir: str | None = None) -> str:
    """Input 0 is the background (one frame), input 1 the atlas, then each count-up sequence. The
    background is held (or pushed in ≤ 1.08×) for the scene; each layer, cut from the atlas, is
    overlaid from its start, sliding up as it enters."""
    n = max(1, round(seconds * FPS))
    if drawn.zoom:
        base = (
            f"[0:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
            f"zoompan=z='1+{KEN_BURNS - 1:.3f}*on/{max(n - 1, 1)}':d={n}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s={width}x{height}:fps={FPS},setsar=1"
        )
    else:
        base = f"[0:v]scale={width}:{height},setsar=1,loop=loop={n - 1}:size=1:start=0,settb=1/{FPS},setpts=N,fps={FPS}"
    parts = [f"{base},format=yuv420p[b0]"]
    cut = [x for x in drawn.layers if not x.frames]
    d = ENTRANCE / FPS
    main = "[b0]"
    if cut:
        # The still layers are composed on a transparent stage the size of their union, then the stage
        # once onto the frame: an overlay holds frames of its main input's size, so a 14-word sentence
        # costs 14 small frames, not 14 full ones (ffmpeg stays under 400 MB at 1080×1920).
        left, top = min(x.x for x in cut), min(x.y for x in cut)
        sw, sh = max(x.box.right for x in cut) - left, max(x.box.bottom for x in cut) - top
        sw, sh = sw + sw % 2, sh + sh % 2
        parts.append(f"color=c=black@0.0:s={sw}x{sh}:r={FPS}:d={n / FPS:.4f},format=yuva420p[c0]")
        parts.append(f"[1:v]format=rgba,split={len(cut)}" + "".join(f"[a{k}]" for k in range(len(cut))))
        for k, layer in enumerate(cut):
            t = layer.start
            parts.append(f"[a{k}]crop={layer.width}:{layer.height}:0:{layer.atlas_y},setpts=PTS-STARTPTS+{t:.3f}/TB[l{k}]")
            y0 = layer.y - top
            y = f"{y0}+{layer.slide}*pow(max(0\\,1-(t-{t:.3f})/{d:.4f})\\,3)" if layer.slide else str(y0)
            parts.append(f"[c{k}][l{k}]overlay=x={layer.x - left}:y='{y}':eof_action=repeat:format=yuv420[c{k + 1}]")
        parts.append(f"[b0][c{len(cut)}]overlay=x={left}:y={top}:format=auto[m0]")
        main = "[m0]"
    for j, layer in enumerate(x for x in drawn.layers if x.frames):
        t = layer.start
        parts.append(f"[{(2 if cut else 1) + j}:v]format=rgba,setpts=PTS-STARTPTS+{t:.3f}/TB[q{j}]")  # held after its last frame
        parts.append(f"{main}[q{j}]overlay=x={layer.x}:y={layer.y}:eof_action=repeat:format=auto[m{j + 1}]")
        main = f"[m{j + 1}]"
    tail = main
    if captions:
        tail += f"ass='{_esc(captions)}'" + (f":fontsdir='{_esc(fontsdir)}'" if fontsdir else "") + ","
    tail += "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709[v]"
    return ";".join([*parts, tail])


def segment_command(
    ffmpeg: str, drawn: Drawn, seconds: float, width: int, height: int, out: str, captions: str | None = None, fontsdir: str | None = None
) -> list[str]:
    """One ffmpeg per segment: video only (the audio is mixed once over the joined segments)."""
    n = max(1, round(seconds * FPS))
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *inputs(drawn),
        "-filter_complex", graph(drawn, seconds, width, height, captions, fontsdir), "-map", "[v]",
        "-frames:v", str(n), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-g", str(FPS * 2), "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-an", out,
    ]  # fmt: skip


def text_free(drawn: Drawn) -> Drawn:
    """The same scene without its text: what a frame test compares with to find the text's pixels."""
    return Drawn(drawn.background, drawn.zoom, [], "")


def contact_sheet(frames: list[bytes], box: Box, width: int, height: int, *, columns: int = 4, thumb: int = 270) -> bytes:
    """One frame per scene, the platform's covered margins shaded and the safe box outlined, in a grid (JPEG)."""
    scale = thumb / width
    tw, th = thumb, round(height * scale)
    rows = -(-len(frames) // columns) or 1
    gap = 12
    sheet = Image.new("RGB", (columns * (tw + gap) + gap, rows * (th + gap) + gap), (18, 18, 18))
    for i, data in enumerate(frames):
        frame = Image.open(io.BytesIO(data)).convert("RGB").resize((tw, th))
        over = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
        d = ImageDraw.Draw(over)
        b = Box(round(box.left * scale), round(box.top * scale), round(box.right * scale), round(box.bottom * scale))
        shade = (255, 40, 40, 70)
        d.rectangle((0, 0, tw, b.top), fill=shade)
        d.rectangle((0, b.bottom, tw, th), fill=shade)
        d.rectangle((0, b.top, b.left, b.bottom), fill=shade)
        d.rectangle((b.right, b.top, tw, b.bottom), fill=shade)
        d.rectangle((b.left, b.top, b.right - 1, b.bottom - 1), outline=(80, 255, 120, 255), width=2)
        frame = Image.alpha_composite(frame.convert("RGBA"), over).convert("RGB")
        sheet.paste(frame, (gap + (i % columns) * (tw + gap), gap + (i // columns) * (th + gap)))
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def poster(drawn: Drawn, width: int, height: int) -> bytes:
    """The scene with every layer in place (a count-up at its end): its picture before it is rendered (JPEG)."""
    with Image.open(drawn.background) as bg:
        img = bg.convert("RGB")
    scale = max(width / img.width, height / img.height)
    img = img.resize((max(width, round(img.width * scale)), max(height, round(img.height * scale))))
    left, top = (img.width - width) // 2, (img.height - height) // 2
    frame = img.crop((left, top, left + width, top + height)).convert("RGBA")
    for layer in drawn.layers:
        path = layer.path % (layer.frames - 1) if layer.frames else layer.path
        with Image.open(path) as over:
            frame.alpha_composite(over.convert("RGBA"), (layer.x, layer.y))
    buf = io.BytesIO()
    frame.convert("RGB").save(buf, "JPEG", quality=88)
    return buf.getvalue()
