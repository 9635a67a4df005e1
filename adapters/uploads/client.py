"""A platform that also takes videos: a post carrying a video goes to the platform's uploader (the
rendered file fetched once, read chunk by chunk), any other post to its usual client. YouTube has
no usual client: it takes videos only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx

from adapters.exceptions import Rejected
from adapters.platforms.base import Metrics, OutgoingPost, PlatformClient, PublishedRef
from adapters.uploads import UploadSessions, VideoFile, VideoUploader
from domain.accounts import Account


class VideoPlatform:
    def __init__(
        self, platform: str, uploader: VideoUploader, sessions: UploadSessions, http: httpx.AsyncClient, inner: PlatformClient | None
    ) -> None:
        self.platform = platform
        self.uploader, self.sessions, self.http, self.inner = uploader, sessions, http, inner

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if post.video is None:
            if self.inner is None:
                raise Rejected(self.platform, f"{self.platform} takes videos only", code="video_only")
            return await self.inner.create_post(account, post, resume_since=resume_since)
        clip = await VideoFile.fetch(self.http, post.video.video_url, self.platform)
        try:
            return await self.uploader.upload(account, post.video, self.sessions, clip)
        finally:
            clip.close()

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        if post.video is not None:
            return await self.uploader.find(account, post.video, self.sessions, since)
        return await self.inner.find_post(account, post, since) if self.inner else None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        if self.inner is not None:  # Instagram and TikTok count a video's views like any post's
            return await self.inner.fetch_metrics(account, ids)
        return await self.uploader.fetch_metrics(account, ids)  # type: ignore[attr-defined, no-any-return]


def with_videos(
    clients: Mapping[str, PlatformClient], uploaders: Mapping[str, VideoUploader], sessions: UploadSessions, http: httpx.AsyncClient
) -> dict[str, PlatformClient]:
    out: dict[str, PlatformClient] = dict(clients)
    for platform, uploader in uploaders.items():
        out[platform] = VideoPlatform(platform, uploader, sessions, http, clients.get(platform))  # type: ignore[assignment]
    return out


def uploaders_for(base_url: callable, http: httpx.AsyncClient, *, scale: int = 1) -> dict[str, VideoUploader]:  # type: ignore[valid-type]
    from adapters.uploads.instagram import ReelsUploader
    from adapters.uploads.tiktok import TikTokUploader
    from adapters.uploads.youtube import YouTubeUploader

    return {
        "youtube": YouTubeUploader(http, base_url("youtube"), scale=scale),
        "instagram": ReelsUploader(http, f"{base_url('instagram').rstrip('/')}/v21.0", scale=scale),
        "tiktok": TikTokUploader(http, base_url("tiktok"), scale=scale),
    }
