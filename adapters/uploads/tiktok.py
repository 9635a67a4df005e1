"""TikTok's Content Posting API, direct post by ``FILE_UPLOAD``: ``creator_info`` first (its privacy
options decide the post's), ``video/init`` with a chunk plan TikTok accepts (5–64 MB chunks, the
last up to 128 MB, count = floor(size / chunk); a video under 5 MB whole), the chunks in order
with ``Content-Range``, ``status/fetch`` until ``PUBLISH_COMPLETE``. The publish id is saved before
the first byte; after an interruption ``uploaded_bytes`` says where to go on; an expired upload URL
means a new init. TikTok answers refusals such as ``spam_risk_*`` with HTTP 200 and an error code:
each answer's ``error.code`` is read."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.exceptions import OutcomeUnknown, RateLimited, Rejected, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Clip, OutgoingVideo, PublishedRef, UploadSession, UploadSessions
from domain.accounts import Account
from domain.platforms import rules

MB = 1024 * 1024
RECOVERIES = 12
POLLS = 40
PRIVACY = {"public": "PUBLIC_TO_EVERYONE", "unlisted": "MUTUAL_FOLLOW_FRIENDS", "private": "SELF_ONLY"}


def plan(size: int, scale: int = 1, preferred: int = 10 * MB) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) by TikTok's media transfer rules."""
    lo, hi = 5 * MB // scale, 64 * MB // scale
    if size < lo:
        return size, 1
    chunk = min(max(preferred // scale, lo), hi)
    return chunk, max(1, size // chunk)


class TikTokUploader(HttpPlatform):
    platform = "tiktok"

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, scale: int = 1) -> None:
        super().__init__(http, base_url)
        self.scale = scale
        self.backoff = 0.05
        self.poll_interval = 0.05

    def _auth(self, account: Account) -> dict[str, str]:
        return {"Authorization": f"Bearer {account.access_token}", "Content-Type": "application/json; charset=UTF-8"}

    def _data(self, resp: httpx.Response) -> dict[str, Any]:
        body = resp.json()
        err = body.get("error", {})
        code = err.get("code", "ok")
        if code == "ok":
            return dict(body.get("data", {}))
        if code.startswith("spam_risk") or code == "reached_active_user_cap":
            raise Rejected(self.platform, err.get("message", code), code=code)  # not retried: TikTok's own verdict
        if code == "rate_limit_exceeded":
            raise RateLimited(self.platform, err.get("message", code), retry_after=60.0, code=code)
        raise Rejected(self.platform, err.get("message", code), code=code)

    async def _call(self, account: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await self.request("POST", path, json=body, headers=self._auth(account))
        except Rejected as err:
            if err.status == 429:
                raise RateLimited(self.platform, str(err), retry_after=60.0, code=err.code) from err
            raise
        return self._data(resp)

    async def upload(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> PublishedRef:
        s = await sessions.get(video.effect_id, account.account_id)
        for _ in range(3):
            if s is not None and s.video_id:
                return PublishedRef(s.video_id, s.video_url or "")
            if s is None:
                s = await self._open(account, video, sessions, clip)
            done = await self._send(account, s, clip)
            if done is None:  # the upload URL expired: a new init (nothing was published)
                await sessions.forget(video.effect_id, account.account_id)
                s = None
                continue
            s = replace(s, video_id=done, video_url=f"https://www.tiktok.com/@{account.handle}/video/{done}")
            await sessions.save(s)
            return PublishedRef(done, s.video_url or "")
        raise Unavailable(self.platform, "upload URLs keep expiring; trying again later")

    async def _open(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> UploadSession:
        info = await self._call(account, "/v2/post/publish/creator_info/query/", {})
        options = list(info.get("privacy_level_options") or ["SELF_ONLY"])
        wanted = PRIVACY.get(video.privacy, "PUBLIC_TO_EVERYONE")
        privacy = wanted if wanted in options else ("SELF_ONLY" if "SELF_ONLY" in options else options[0])
        chunk, count = plan(clip.size, self.scale)
        body = {
            "post_info": {
                "title": video.description[: rules("tiktok").hard_limit],
                "privacy_level": privacy,
                "disable_comment": bool(info.get("comment_disabled")),
                "disable_duet": bool(info.get("duet_disabled")),
                "disable_stitch": bool(info.get("stitch_disabled")),
                "video_cover_timestamp_ms": 1000,
            },
            "source_info": {"source": "FILE_UPLOAD", "video_size": clip.size, "chunk_size": chunk, "total_chunk_count": count},
        }
        try:
            data = await self._call(account, "/v2/post/publish/video/init/", body)
        except OutcomeUnknown as err:  # an init without bytes publishes nothing: opening again is safe
            raise Unavailable(self.platform, str(err)) from err
        s = UploadSession(
            video.effect_id, account.account_id, self.platform, str(data["publish_id"]), str(data["upload_url"]), clip.size, clip.sha256,
            datetime.now(UTC), extra={"chunk": chunk, "count": count, "privacy": privacy},
        )  # fmt: skip
        await sessions.save(s)  # before the first byte
        return s

    async def _status(self, account: Account, s: UploadSession) -> dict[str, Any]:
        for attempt in range(RECOVERIES):
            try:
                return await self._call(account, "/v2/post/publish/status/fetch/", {"publish_id": s.session})
            except Unavailable:
                await asyncio.sleep(min(2.0, self.backoff * 2 ** min(attempt, 6)))
        raise Unavailable(self.platform, "status/fetch does not answer; the upload is kept for the next try")

    async def _send(self, account: Account, s: UploadSession, clip: Clip) -> str | None:
        """The public video id once published; None when the upload URL expired."""
        chunk, count = int(s.extra["chunk"]), int(s.extra["count"])
        status = await self._status(account, s)
        recoveries = 0
        while True:
            state = status.get("status")
            if state == "PUBLISH_COMPLETE":
                return str((status.get("publicaly_available_post_id") or [s.session])[0])
            if state == "FAILED":
                if status.get("fail_reason") == "upload_expired":
                    return None
                raise Rejected(self.platform, f"TikTok refused the video: {status.get('fail_reason')}", code="FAILED")
            confirmed = int(status.get("uploaded_bytes") or 0)
            if confirmed >= clip.size:  # every byte is there: TikTok is processing it
                for _ in range(POLLS):
                    await asyncio.sleep(self.poll_interval)
                    status = await self._status(account, s)
                    if status.get("status") in ("PUBLISH_COMPLETE", "FAILED"):
                        break
                else:
                    raise Unavailable(self.platform, f"publish {s.session} is still processing; trying again later")
                continue
            index = confirmed // chunk
            n = clip.size - confirmed if index == count - 1 else chunk
            data = await clip.read(confirmed, n)
            headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes {confirmed}-{confirmed + n - 1}/{clip.size}"}
            try:
                resp = await self.http.put(s.url, content=data, headers=headers)
            except httpx.TransportError:
                resp = None
            if resp is not None and resp.status_code in (201, 206):
                status = {"status": "PROCESSING_UPLOAD", "uploaded_bytes": confirmed + n}
                continue
            if resp is not None and resp.status_code == 404:
                return None
            if resp is not None and resp.status_code < 500:
                message, code = self._error_text(resp)
                raise Rejected(self.platform, message, code=code, status=resp.status_code)
            recoveries += 1
            if recoveries > RECOVERIES:
                raise Unavailable(self.platform, "the upload keeps being interrupted; it is kept for the next try")
            await asyncio.sleep(min(2.0, self.backoff * 2 ** min(recoveries, 6)))
            status = await self._status(account, s)  # what TikTok has, not what was sent

    async def find(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, since: datetime) -> PublishedRef | None:
        s = await sessions.get(video.effect_id, account.account_id)
        if s is None:
            return None  # no init was recorded: nothing of ours can have been published
        if s.video_id:
            return PublishedRef(s.video_id, s.video_url or "")
        status = await self._status(account, s)
        if status.get("status") == "PUBLISH_COMPLETE":
            vid = str((status.get("publicaly_available_post_id") or [s.session])[0])
            return PublishedRef(vid, f"https://www.tiktok.com/@{account.handle}/video/{vid}")
        return None
