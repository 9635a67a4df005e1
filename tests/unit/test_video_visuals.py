"""The video's pictures are made once, at the render's size: article images cropped or padded
over a blurred copy, EXIF applied; cards drawn at the same size."""

from __future__ import annotations

import io

from PIL import Image

from adapters.video.visuals import canvas, code_card, still, text_card


def jpeg(w: int, h: int, colour: tuple[int, int, int] = (200, 60, 40), orientation: int | None = None) -> bytes:
    img = Image.new("RGB", (w, h), colour)
    img.paste((20, 20, 200), (w // 4, h // 4, w // 2, h // 2))
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_every_still_and_card_is_made_at_the_canvas_with_room_to_move() -> None:
    w, h = 360, 640
    assert canvas(w, h) == (403, 717)
    for data in (still(jpeg(600, 1000), w, h), still(jpeg(1600, 900), w, h), text_card("A title", w, h), code_card("x = 1", w, h)):
        assert size(data) == canvas(w, h)


def test_a_landscape_photo_in_a_vertical_frame_is_shown_whole_over_its_blurred_self() -> None:
    img = Image.open(io.BytesIO(still(jpeg(1600, 900), 360, 640)))
    top, middle = img.getpixel((200, 10)), img.getpixel((200, 358))
    assert top != middle  # the darkened blur above, the photo itself across the middle
    assert sum(top) < sum((200, 60, 40))  # darkened


def test_exif_orientation_is_applied_before_cropping() -> None:
    rotated = Image.open(io.BytesIO(still(jpeg(1000, 600, orientation=6), 600, 1000)))
    assert rotated.size == canvas(600, 1000)  # 1000×600 stored, shown as 600×1000: cropped, not padded
    assert rotated.getpixel((5, 5)) != (0, 0, 0)
