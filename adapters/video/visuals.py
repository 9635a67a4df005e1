"""The video's pictures, made once at the size the render needs (the canvas × the motion's
reach): the article's own images first — EXIF applied, cropped to what matters, or padded over a
blurred copy when their shape is far from the canvas — then title, figure, code and call-to-action
cards drawn with Pillow (code highlighted by Pygments). Blocking: run in a worker process."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from adapters.images.render import BRAND, MAX_SOURCE_PIXELS, _background, _font, _wrapped, content_box
from domain.video.timeline import ZOOM

CODE_BG = (22, 27, 34)


def canvas(width: int, height: int) -> tuple[int, int]:
    """The size every still is made at: the frame plus room to zoom or travel."""
    return round(width * ZOOM), round(height * ZOOM)


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=90, optimize=True)
    return buf.getvalue()


def still(source: bytes, width: int, height: int) -> bytes:
    """An article image at the render's size: cropped to its interesting part when its shape is
    close to the frame's, else whole, over a blurred, darkened copy of itself."""
    Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
    size = canvas(width, height)
    with Image.open(io.BytesIO(source)) as opened:
        opened.draft("RGB", (size[0] * 2, size[1] * 2))
        img = ImageOps.exif_transpose(opened).convert("RGB")
    ratio = (img.width / img.height) / (size[0] / size[1])
    if 0.7 <= ratio <= 1.45:
        out = img.crop(content_box(img, size)).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        back = ImageOps.fit(img, size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(radius=max(size) // 40))
        back = Image.blend(back, Image.new("RGB", size, (0, 0, 0)), 0.35)
        front = ImageOps.contain(img, (round(size[0] * 0.94), round(size[1] * 0.94)), Image.Resampling.LANCZOS)
        back.paste(front, ((size[0] - front.width) // 2, (size[1] - front.height) // 2))
        out = back
    return _jpeg(out)


def text_card(title: str, width: int, height: int, *, kicker: str = "", footer: str = "") -> bytes:
    """A title, figure or call-to-action card: large text inside the safe area of the frame."""
    size = canvas(width, height)
    img = _background(size)
    draw = ImageDraw.Draw(img)
    # The frame's visible part is the centre (zoom) or any slice (pan): keep text in the middle 80 %.
    box_w, box_h = round(width * 0.8), round(height * (0.45 if height > width else 0.55))
    left, top = (size[0] - box_w) // 2, (size[1] - box_h) // 2
    if kicker:
        draw.text((left, top - round(height * 0.06)), kicker.upper(), font=_font(max(18, width // 28)), fill=BRAND["accent"])
    body, font, px = _wrapped(draw, title, box_w, box_h, max(36, width // 11))
    draw.multiline_text((left, top), body, font=font, fill=BRAND["text"], spacing=px // 3)
    if footer:
        draw.text((left, top + box_h + round(height * 0.02)), footer, font=_font(max(16, width // 34)), fill=BRAND["accent"])
    return _jpeg(img)


def code_card(code: str, width: int, height: int, *, language: str | None = None, caption: str = "") -> bytes:
    """Highlighted code on a dark card, scaled to fit the frame's safe area (at most 14 lines)."""
    from pygments import highlight
    from pygments.formatters import ImageFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
    from pygments.util import ClassNotFound

    lines = code.expandtabs(4).splitlines()[:14]
    text = "\n".join(line[:80] for line in lines)
    try:
        lexer = get_lexer_by_name(language) if language else guess_lexer(text)
    except ClassNotFound:
        lexer = TextLexer()
    png = highlight(
        text,
        lexer,
        ImageFormatter(font_name="DejaVu Sans Mono", font_size=28, line_numbers=False, style="monokai", image_pad=24, line_pad=6),
    )
    size = canvas(width, height)
    img = Image.new("RGB", size, CODE_BG)
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    shot = ImageOps.contain(shot, (round(width * 0.86), round(height * (0.5 if height > width else 0.7))), Image.Resampling.LANCZOS)
    img.paste(shot, ((size[0] - shot.width) // 2, (size[1] - shot.height) // 2))
    if caption:
        draw = ImageDraw.Draw(img)
        draw.text(
            ((size[0] - round(width * 0.86)) // 2, (size[1] - shot.height) // 2 - round(height * 0.05)),
            caption,
            font=_font(max(18, width // 30)),
            fill=BRAND["accent"],
        )
    return _jpeg(img)
