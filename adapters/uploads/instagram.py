"""Instagram Reels through the Graph API: a ``REELS`` container with ``upload_type=resumable``, the
bytes to its ``rupload`` URI from the offset the server confirms, the container polled until
``FINISHED``, then ``media_publish`` — once: after a lost answer the container is asked first, and
a ``PUBLISHED`` container is looked up, never published again. The container id is saved before
the first byte; an ``EXPIRED`` one is replaced."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from adapters.exceptions import OutcomeUnknown, RateLimited, Rejected, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Clip, OutgoingVideo, PublishedRef, UploadSession, UploadSessions
from domain.accounts import Account

RECOVERIES = 12
POLLS = 40


class ReelsUploader(HttpPlatform):
    platform = "instagram"

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, scale: int = 1, chunk_bytes: int = 8 << 20) -> None:
        super().__init__(http, base_url)
        self.chunk = max(1, chunk_bytes // scale)
        self.backoff = 0.05
        self.poll_interval = 0.05

    def _token(self, account: Account) -> dict[str, str]:
        return {"Authorization": f"Bearer {account.access_token}"}

    async def upload(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> PublishedRef:
        me = account.platform_account_id
        s = await sessions.get(video.effect_id, account.account_id)
        for _ in range(3):
            if s is not None and s.video_id:
                return PublishedRef(s.video_id, s.video_url or "")
            if s is None:
                s = await self._open(account, video, sessions, clip)
            status = await self._status(account, s.session)
            if status == "PUBLISHED":  # an earlier try's publish landed and its answer was lost
                found = await self.find(account, video, sessions, s.started_at)
                if found is None:
                    raise OutcomeUnknown(self.platform, f"container {s.session} is published but its media is not listed yet")
                return found
            if status in ("EXPIRED", "ERROR"):
                await sessions.forget(video.effect_id, account.account_id)
                s = None
                continue
            if not await self._send(account, s, clip):
                await sessions.forget(video.effect_id, account.account_id)
                s = None
                continue
            if not await self._finished(account, s):
                await sessions.forget(video.effect_id, account.account_id)
                s = None
                continue
            media_id = await self._publish(account, me, s)
            if media_id is None:  # the answer was lost: the container says whether it happened
                if await self._status(account, s.session) == "PUBLISHED":
                    found = await self.find(account, video, sessions, s.started_at)
                    if found is not None:
                        return found
                raise OutcomeUnknown(self.platform, f"media_publish of container {s.session}: no answer")
            s = replace(s, video_id=media_id, video_url=f"https://www.instagram.com/reel/{media_id}/")
            await sessions.save(s)
            return PublishedRef(media_id, s.video_url or "")
        raise Unavailable(self.platform, "containers keep expiring; trying again later")

    async def _open(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> UploadSession:
        form = {
            "media_type": "REELS",
            "upload_type": "resumable",
            "caption": video.description,
            "share_to_feed": "true" if video.share_to_feed else "false",
        }
        if video.thumbnail_url:
            form["cover_url"] = video.thumbnail_url
        try:
            resp = await self.request("POST", f"/{account.platform_account_id}/media", data=form, headers=self._token(account))
        except OutcomeUnknown as err:  # a container nobody uploads to expires unused: opening again is safe
            raise Unavailable(self.platform, str(err)) from err
        body = resp.json()
        s = UploadSession(
            video.effect_id, account.account_id, self.platform, str(body["id"]), str(body["uri"]), clip.size, clip.sha256, datetime.now(UTC)
        )
        await sessions.save(s)  # before the first byte
        return s

    async def _offset(self, account: Account, s: UploadSession) -> int:
        for attempt in range(RECOVERIES):
            try:
                resp = await self.http.get(s.url, headers={"Authorization": f"OAuth {account.access_token}"})
            except httpx.TransportError:
                await asyncio.sleep(min(2.0, self.backoff * 2 ** min(attempt, 6)))
                continue
            if resp.status_code == 200:
                return int(resp.json().get("offset", 0))
            if resp.status_code >= 500:
                await asyncio.sleep(min(2.0, self.backoff * 2 ** min(attempt, 6)))
                continue
            message, code = self._error_text(resp)
            raise Rejected(self.platform, message, code=code, status=resp.status_code)
        raise Unavailable(self.platform, "the upload endpoint does not answer; the container is kept for the next try")

    async def _send(self, account: Account, s: UploadSession, clip: Clip) -> bool:
        """True once every byte is confirmed; False when the container expired."""
        offset = await self._offset(account, s)
        recoveries = 0
        while offset < clip.size:
            n = min(self.chunk, clip.size - offset)
            data = await clip.read(offset, n)
            headers = {"Authorization": f"OAuth {account.access_token}", "offset": str(offset), "file_size": str(clip.size)}
            try:
                resp = await self.http.post(s.url, content=data, headers=headers)
            except httpx.TransportError:
                resp = None
            if resp is not None and resp.status_code == 200:
                offset += n
                continue
            if resp is not None and resp.status_code < 500:
                message, code = self._error_text(resp)
                if code == "2207020":
                    return False
                # A chunk whose answer timed out may still have landed after the offset was asked:
                # the server then refuses the resend at the old offset. Its offset says so; resume there.
                confirmed = await self._offset(account, s)
                if confirmed == offset or recoveries >= RECOVERIES:
                    raise Rejected(self.platform, message, code=code, status=resp.status_code)
                recoveries += 1
                offset = confirmed
                continue
            recoveries += 1
            if recoveries > RECOVERIES:
                raise Unavailable(self.platform, "the upload keeps being interrupted; the container is kept for the next try")
            await asyncio.sleep(min(2.0, self.backoff * 2 ** min(recoveries, 6)))
            offset = await self._offset(account, s)  # what the server has, not what was sent
        return True

    async def _status(self, account: Account, container: str) -> str:
        resp = await self.request("GET", f"/{container}?fields=status_code,status", headers=self._token(account))
        return str(resp.json().get("status_code", ""))

    async def _finished(self, account: Account, s: UploadSession) -> bool:
        for _ in range(POLLS):
            status = await self._status(account, s.session)
            if status in ("FINISHED", "PUBLISHED"):
                return True
            if status in ("EXPIRED", "ERROR"):
                return False
            await asyncio.sleep(self.poll_interval)
        raise Unavailable(self.platform, f"container {s.session} is still processing; trying again later")

    async def _publish(self, account: Account, me: str, s: UploadSession) -> str | None:
        try:
            resp = await self.request(
                "POST", f"/{me}/media_publish", data={"creation_id": s.session}, headers=self._token(account), creates=True
            )
        except OutcomeUnknown:
            return None
        except Rejected as err:
            if err.code == "9" or "2207042" in str(err):
                raise RateLimited(self.platform, str(err), retry_after=3600.0, code="2207042") from err
            raise
        return str(resp.json()["id"])

    async def find(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, since: datetime) -> PublishedRef | None:
        known = await sessions.get(video.effect_id, account.account_id)
        if known is not None and known.video_id:
            return PublishedRef(known.video_id, known.video_url or "")
        resp = await self.request(
            "GET", f"/{account.platform_account_id}/media?fields=id,caption,timestamp,permalink", headers=self._token(account)
        )
        for m in resp.json().get("data", []):
            stamp = datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S%z")
            if m.get("caption") == video.description and stamp.timestamp() >= since.timestamp() - 5:
                return PublishedRef(str(m["id"]), f"https://www.instagram.com/reel/{m['id']}/")
        return None
