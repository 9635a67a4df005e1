"""The platform ports (:mod:`adapters.ports`): each adapter has the capabilities it is wired for —
a post client publishes and reads metrics, an uploader uploads (YouTube's also reads metrics) — and
a video platform refuses a file over its upload limit before sending a byte."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from adapters.exceptions import Rejected
from adapters.platforms import clients_for
from adapters.platforms.fake import FakePlatform
from adapters.ports import Clip, MetricsReader, OutgoingPost, OutgoingVideo, PlatformClient, PublishedRef, UploadSessions
from adapters.uploads import MemorySessions
from adapters.uploads.client import VideoPlatform, uploaders_for, with_videos
from domain.accounts import Account
from domain.platforms import VIDEO, video

ACCOUNT = Account(account_id="a", platform="youtube", platform_account_id="c", handle="me", access_token="t")


def base(platform: str) -> str:
    return f"http://sandbox.invalid/{platform}"


class Uploader:
    """An uploader that only uploads (as Instagram's and TikTok's do)."""

    platform = "tiktok"

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def upload(self, account: Account, v: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> PublishedRef:
        self.sent.append(clip.size)
        return PublishedRef("v1")

    async def find(self, account: Account, v: OutgoingVideo, sessions: UploadSessions, since: datetime) -> PublishedRef | None:
        return None


async def test_each_platform_is_wired_to_something_that_reads_its_metrics() -> None:
    async with httpx.AsyncClient() as http:
        clients = clients_for(base, http)
        uploaders = uploaders_for(base, http)
        assert set(uploaders) == set(VIDEO)
        assert isinstance(uploaders["youtube"], MetricsReader) and not isinstance(uploaders["instagram"], MetricsReader)
        assert all(isinstance(c, MetricsReader) for c in [*clients.values(), FakePlatform()])
        wired = with_videos(clients, uploaders, MemorySessions(), http)
        youtube, instagram = wired["youtube"], wired["instagram"]
        assert isinstance(youtube, VideoPlatform) and youtube.metrics is uploaders["youtube"]  # no post client: the uploader reads
        assert isinstance(instagram, VideoPlatform) and instagram.metrics is clients["instagram"]  # a Reel's views, like a post's
        with pytest.raises(ValueError, match="reads metrics"):
            with_videos({}, {"tiktok": Uploader()}, MemorySessions(), http)


async def test_a_video_over_the_platforms_upload_limit_is_refused_before_a_byte_is_sent() -> None:
    clip = b"\x00" * 64
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=clip))
    async with httpx.AsyncClient(transport=transport) as http:
        up = Uploader()
        client: PlatformClient = VideoPlatform("tiktok", up, MemorySessions(), http, FakePlatform("tiktok"), FakePlatform("tiktok"))
        assert isinstance(client, VideoPlatform) and client.max_bytes == video("tiktok").max_bytes
        v = OutgoingVideo(effect_id="p", tag="sz1", title="T", description="d", video_url="http://media.invalid/v.mp4")
        post = OutgoingPost(post_id="p", text="d", video=v)
        assert await client.create_post(ACCOUNT, post) == PublishedRef("v1") and up.sent == [64]
        client.max_bytes = 63
        with pytest.raises(Rejected, match="64 bytes; tiktok takes 63") as refused:
            await client.create_post(ACCOUNT, post)
        assert refused.value.code == "video_too_large" and up.sent == [64]
        assert (await client.find_post(ACCOUNT, OutgoingPost(post_id="q", text="x"), datetime.now(UTC))) is None
