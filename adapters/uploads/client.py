"""A platform that also takes videos: a post carrying a video goes to the platform's uploader (the
rendered file fetched once, read chunk by chunk), any other post to its usual client. YouTube has
no usual client: it takes videos only, and its uploader reads their metrics. A file over the
platform's upload limit (its :class:`domain.platforms.VideoProfile`) is refused before a byte is sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx

from adapters.exceptions import Rejected
from adapters.ports import BaseUrl, Metrics, MetricsReader, OutgoingPost, PlatformClient, PublishedRef, UploadSessions, VideoUploader
from adapters.uploads import VideoFile
from domain.accounts import Account
from domain.platforms import video as video_rules


class VideoPlatform:
    """A :class:`PlatformClient` of a post client (or none) and an uploader; ``metrics`` reads the
    engagement of both (the post client's where there is one: it counts a video's views like any post's)."""

    def __init__(
        self,
        platform: str,
        uploader: VideoUploader,
        sessions: UploadSessions,
        http: httpx.AsyncClient,
        inner: PlatformClient | None,
        metrics: MetricsReader,
    ) -> None:
        self.platform = platform
        self.uploader, self.sessions, self.http, self.inner, self.metrics = uploader, sessions, http, inner, metrics
        self.max_bytes = video_rules(platform).max_bytes

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if post.video is None:
            if self.inner is None:
                raise Rejected(self.platform, f"{self.platform} takes videos only", code="video_only")
            return await self.inner.create_post(account, post, resume_since=resume_since)
        clip = await VideoFile.fetch(self.http, post.video.video_url, self.platform)
        try:
            if clip.size > self.max_bytes:
                raise Rejected(
                    self.platform, f"the video is {clip.size:,} bytes; {self.platform} takes {self.max_bytes:,}", code="video_too_large"
                )
            return await self.uploader.upload(account, post.video, self.sessions, clip)
        finally:
            clip.close()

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        if post.video is not None:
            return await self.uploader.find(account, post.video, self.sessions, since)
        return await self.inner.find_post(account, post, since) if self.inner else None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        return await self.metrics.fetch_metrics(account, ids)


def _metrics(platform: str, uploader: VideoUploader, inner: PlatformClient | None) -> MetricsReader:
    """Who reads a video platform's metrics: its post client, else its uploader (YouTube's)."""
    if inner is not None:
        return inner
    if isinstance(uploader, MetricsReader):
        return uploader
    raise ValueError(f"{platform}: neither a post client nor its uploader reads metrics")


def with_videos(
    clients: Mapping[str, PlatformClient], uploaders: Mapping[str, VideoUploader], sessions: UploadSessions, http: httpx.AsyncClient
) -> dict[str, PlatformClient]:
    out: dict[str, PlatformClient] = dict(clients)
    for platform, uploader in uploaders.items():
        inner = clients.get(platform)
        out[platform] = VideoPlatform(platform, uploader, sessions, http, inner, _metrics(platform, uploader, inner))
    return out


def uploaders_for(base_url: BaseUrl, http: httpx.AsyncClient, *, scale: int = 1) -> dict[str, VideoUploader]:
    from adapters.uploads.instagram import ReelsUploader
    from adapters.uploads.tiktok import TikTokUploader
    from adapters.uploads.youtube import YouTubeUploader

    return {
        "youtube": YouTubeUploader(http, base_url("youtube"), scale=scale),
        "instagram": ReelsUploader(http, f"{base_url('instagram').rstrip('/')}/v21.0", scale=scale),
        "tiktok": TikTokUploader(http, base_url("tiktok"), scale=scale),
    }
