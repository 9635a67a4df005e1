"""Image rendering: platform sizes, EXIF orientation, a crop that keeps the subject, file-size
limits, quote cards and carousel slides, content-addressed storage, and the process pool."""

from __future__ import annotations

import io
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC

import httpx
import pytest
from PIL import Image, ImageDraw

from adapters.images import render
from adapters.images.service import MediaError, MediaService
from adapters.images.store import LocalMediaStore


def photo(w: int = 3000, h: int = 2000, subject_at: tuple[float, float] = (0.85, 0.5), exif_rotate: bool = False) -> bytes:
    img = Image.new("RGB", (w, h), (200, 215, 230))
    d = ImageDraw.Draw(img)
    cx, cy, r = int(w * subject_at[0]), int(h * subject_at[1]), min(w, h) // 8
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(220, 30, 30))
    for i in range(0, r, 6):  # texture: edges and saturation for the crop to find
        d.line((cx - r + i, cy - r, cx + r - i, cy + r), fill=(250, 250, 0), width=2)
    buf = io.BytesIO()
    if exif_rotate:
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display"
        img.save(buf, "JPEG", exif=exif.tobytes())
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def red_share(img: Image.Image) -> float:
    small = img.convert("RGB").resize((60, 60))
    px = list(small.getdata())
    return sum(1 for r, g, b in px if r > 180 and g < 90) / len(px)


@pytest.mark.parametrize("platform", list(render.SIZES))
def test_every_platform_gets_its_exact_size_under_its_file_limit(platform: str) -> None:
    out = render.fit(photo(), platform)
    img = Image.open(io.BytesIO(out.data))
    assert img.size == render.SIZES[platform] and len(out.data) <= render.MAX_BYTES[platform]


def test_the_crop_follows_the_subject_not_the_centre() -> None:
    src = photo(subject_at=(0.88, 0.5))
    smart = Image.open(io.BytesIO(render.fit(src, "tiktok").data))  # 9:16 from 3:2: most of the width goes
    centre = Image.open(io.BytesIO(src))
    cw = int(centre.height * 9 / 16)
    centre = centre.crop(((centre.width - cw) // 2, 0, (centre.width + cw) // 2, centre.height))
    assert red_share(centre) < 0.01 < red_share(smart)


def test_exif_orientation_is_applied_first() -> None:
    out = Image.open(io.BytesIO(render.fit(photo(3000, 2000, exif_rotate=True), "instagram_portrait").data))
    assert out.size == (1080, 1350)
    img = Image.open(io.BytesIO(photo(3000, 2000, exif_rotate=True)))
    from PIL import ImageOps

    assert ImageOps.exif_transpose(img).size == (2000, 3000)


def test_a_noisy_photo_steps_quality_down_to_fit(seed: str) -> None:
    import random

    noise = Image.frombytes("RGB", (1600, 900), random.Random(seed).randbytes(1600 * 900 * 3))  # how many steps: fixed
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    out = render.fit(buf.getvalue(), "facebook")
    assert len(out.data) <= render.MAX_BYTES["facebook"], f"seed {seed!r}"


def test_quote_cards_and_slides_render_at_platform_sizes() -> None:
    card = Image.open(io.BytesIO(render.quote_card("History is the best database we ever had. " * 4, "A title", "instagram").data))
    assert card.size == (1080, 1080)
    slide = Image.open(io.BytesIO(render.carousel_slide("数据工程师的十个好习惯", 1, 5, "instagram").data))
    assert slide.size == (1080, 1350)
    assert Image.open(io.BytesIO(render.carousel_slide("Keep deployments small", 2, 5, "linkedin").data)).size == (1200, 627)


async def test_the_store_is_content_addressed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalMediaStore(tmp_path, "http://api/media")
    a, b = await store.put(b"same", "jpg"), await store.put(b"same", "jpg")
    assert a == b and a.startswith("http://api/media/") and a.endswith(".jpg")
    assert store.path_of(a.rsplit("/", 1)[1]).read_bytes() == b"same"


async def test_the_service_renders_in_worker_processes(tmp_path, sandbox) -> None:  # type: ignore[no-untyped-def]
    with ProcessPoolExecutor(max_workers=2) as pool:
        async with httpx.AsyncClient() as http:
            svc = MediaService(LocalMediaStore(tmp_path, "http://api/media"), http, executor=pool)
            [url] = await svc.materialize({"kind": "resize", "source": f"{sandbox.url}/_sandbox/images/a.jpg"}, "x")
            slides = await svc.materialize({"kind": "carousel", "slides": ["One", "Two", "Three"]}, "instagram")
            assert len(slides) == 3 and len(set(slides)) == 3
            name = url.rsplit("/", 1)[1]
            assert Image.open(LocalMediaStore(tmp_path, "").path_of(name)).size == (1600, 900)
            with pytest.raises(MediaError):
                await svc.materialize({"kind": "resize", "source": f"{sandbox.url}/_sandbox/nothing.jpg"}, "x")


def test_sigv4_matches_the_aws_documented_example() -> None:
    """AWS's S3 SigV4 example (GET /test.txt, bytes=0-9, 2013-05-24) must give its published signature."""
    from datetime import datetime

    from adapters.images.store import sigv4_headers

    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    h = sigv4_headers(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9"},
        empty,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert h["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


async def test_the_s3_store_puts_signed_content_addressed_objects() -> None:
    from adapters.images.store import S3MediaStore

    seen: list[httpx.Request] = []

    def bucket(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(bucket)) as http:
        store = S3MediaStore(http, "http://minio:9000", "media", "AK", "SK", public_base_url="https://cdn.example/m")
        url = await store.put(b"jpeg bytes", "jpg")
    [req] = seen
    assert req.method == "PUT" and req.url.path.startswith("/media/") and req.content == b"jpeg bytes"
    assert req.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AK/")
    assert req.headers["content-type"] == "image/jpeg" and url == "https://cdn.example/m/" + req.url.path.rsplit("/", 1)[1]
