"""Pure image functions (bytes in, bytes out) so they run in worker processes.

Sizes and file-size limits per platform; EXIF orientation applied before anything else; the crop
follows the image's content (smartcrop on a thumbnail) rather than its centre; quality steps down
until the file fits the platform's limit.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

from domain.platforms import POSTING, profile

# "instagram_portrait" is Instagram's 4:5 size (carousel slides); every other key is a platform's feed size.
SIZES: dict[str, tuple[int, int]] = {
    (p if kind == "feed" else f"{p}_{kind}"): img.size for p in POSTING for kind, img in profile(p).images.items()
}
MAX_BYTES: dict[str, int] = {
    (p if kind == "feed" else f"{p}_{kind}"): img.max_bytes for p in POSTING for kind, img in profile(p).images.items()
}
BRAND = {"background": ((24, 38, 74), (60, 20, 90)), "text": (255, 255, 255), "accent": (255, 196, 61)}
MAX_SOURCE_PIXELS = 100_000_000  # a decompression bomb is refused, a merely huge photo is not


@dataclass(frozen=True)
class Rendered:
    data: bytes
    ext: str
    width: int
    height: int


def _encode(img: Image.Image, limit: int) -> Rendered:
    img = img.convert("RGB")
    for quality in (90, 85, 80, 72, 65, 55, 45):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
        if buf.tell() <= limit:
            return Rendered(buf.getvalue(), "jpg", *img.size)
    raise ValueError(f"cannot fit {img.size} under {limit} bytes")


def content_box(img: Image.Image, target: tuple[int, int]) -> tuple[int, int, int, int]:
    """The crop box with the target's aspect ratio that keeps the most interesting content."""
    import smartcrop

    tw, th = target
    thumb = img.copy()
    thumb.thumbnail((400, 400))
    scale = img.width / thumb.width
    found = smartcrop.SmartCrop().crop(thumb.convert("RGB"), tw, th)["top_crop"]
    x, y, w, h = (round(found[k] * scale) for k in ("x", "y", "width", "height"))
    # Round-off must not leave the image or change the ratio noticeably.
    w, h = min(w, img.width), min(h, img.height)
    x, y = max(0, min(x, img.width - w)), max(0, min(y, img.height - h))
    return x, y, x + w, y + h


MIN_SOURCE_SIDE = 200  # a smaller picture is an icon, an avatar or a tracking pixel: never a post's image


class TooSmall(ValueError):
    """The source image is too small to be any platform's picture."""


def fit(source: bytes, platform: str) -> Rendered:
    Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
    with Image.open(io.BytesIO(source)) as opened:
        if min(opened.size) < MIN_SOURCE_SIDE:
            raise TooSmall(f"{opened.size[0]}x{opened.size[1]} px: smaller than {MIN_SOURCE_SIDE} px on a side")
        opened.draft("RGB", (SIZES[platform][0] * 2, SIZES[platform][1] * 2))  # JPEG: decode at a reduced scale
        img = ImageOps.exif_transpose(opened)
        img.load()
    target = SIZES[platform]
    img = img.crop(content_box(img, target)).resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _encode(img, MAX_BYTES[platform])


def _background(size: tuple[int, int]) -> Image.Image:
    (r1, g1, b1), (r2, g2, b2) = BRAND["background"]
    w, h = size
    grad = Image.linear_gradient("L").resize((w, h))
    top = Image.new("RGB", size, (r1, g1, b1))
    bottom = Image.new("RGB", size, (r2, g2, b2))
    return Image.composite(bottom, top, grad)


@lru_cache(maxsize=32)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Noto Sans CJK (from the noto-cjk-sans-otc wheel: Latin, Cyrillic, Greek, CJK and more),
    else the FreeType font shipped inside Pillow, which has no CJK glyphs."""
    try:
        from noto_cjk_sans_otc import FONT_PATH

        return ImageFont.truetype(str(FONT_PATH), px)
    except (ImportError, OSError):
        return ImageFont.load_default(size=px)


def _wrapped(draw: ImageDraw.ImageDraw, text: str, box_w: int, box_h: int, start_px: int) -> tuple[str, object, int]:
    """The largest font size at which ``text`` wraps inside the box (word wrap; CJK wraps by character)."""
    px = start_px
    while px >= 18:
        font = _font(px)
        avg = max(1.0, draw.textlength("abcdefghij", font=font) / 10)
        cols = max(8, int(box_w / avg))
        spaced = " " in text.strip()
        lines = textwrap.wrap(text, cols) if spaced else [text[i : i + max(4, cols // 2)] for i in range(0, len(text), max(4, cols // 2))]
        body = "\n".join(lines)
        left, top, right, bottom = draw.multiline_textbbox((0, 0), body, font=font, spacing=px // 3)
        if right - left <= box_w and bottom - top <= box_h:
            return body, font, px
        px -= 4
    return textwrap.shorten(text, 200), _font(18), 18


def quote_card(text: str, attribution: str, platform: str) -> Rendered:
    size = SIZES[platform]
    img = _background(size)
    draw = ImageDraw.Draw(img)
    w, h = size
    margin = w // 10
    draw.rectangle((margin, margin, margin + w // 12, margin + 8), fill=BRAND["accent"])
    body, font, px = _wrapped(draw, f"“{text}”", w - 2 * margin, int(h * 0.6), max(32, w // 14))
    draw.multiline_text((margin, margin + 40), body, font=font, fill=BRAND["text"], spacing=px // 3)
    small, _, _ = _wrapped(draw, f"— {attribution}", w - 2 * margin, h // 8, max(20, w // 40))
    draw.multiline_text((margin, h - margin - h // 8), small, font=_font(max(20, w // 40)), fill=BRAND["accent"])
    return _encode(img, MAX_BYTES[platform])


def carousel_slide(text: str, index: int, total: int, platform: str) -> Rendered:
    size = SIZES["instagram_portrait" if platform == "instagram" else platform]
    img = _background(size)
    draw = ImageDraw.Draw(img)
    w, h = size
    margin = w // 10
    body, font, px = _wrapped(draw, text, w - 2 * margin, int(h * 0.6), max(36, w // 12) if index == 1 else max(30, w // 16))
    draw.multiline_text((margin, h // 4), body, font=font, fill=BRAND["text"], spacing=px // 3)
    draw.text((w - margin - 80, h - margin), f"{index}/{total}", font=_font(max(20, w // 40)), fill=BRAND["accent"])
    return _encode(img, MAX_BYTES["instagram_portrait" if platform == "instagram" else platform])
