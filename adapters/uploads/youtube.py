"""YouTube Data API v3: ``videos.insert`` by the resumable protocol, then ``thumbnails.set`` and
``captions.insert``; ``search.list?forMine`` to find an upload by its hidden tag; ``videos.list``
statistics and the Analytics API's minutes watched for metrics.

The session URI is saved before the first byte. After any interruption (a dropped connection, a
5xx) the session is asked where it stands (``Content-Range: bytes */TOTAL``) and the upload goes on
from the byte after the confirmed ``Range``; a session gone (404/410) is first looked up by tag —
the video may have been completed — and only then opened anew."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from adapters.exceptions import AuthExpired, OutcomeUnknown, RateLimited, Rejected, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Clip, Metrics, OutgoingVideo, PublishedRef, UploadSession, UploadSessions
from domain.accounts import Account
from domain.platforms import video as video_rules

RULES = video_rules("youtube")  # the title's characters, the thumbnail's bytes
UNIT = 256 * 1024  # chunks but the last are multiples of this
RECOVERIES = 12  # interruptions survived in one try before the try ends (the session is kept)


class YouTubeUploader(HttpPlatform):
    platform = "youtube"

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, *, scale: int = 1, chunk_units: int = 32, analytics_url: str | None = None
    ) -> None:
        super().__init__(http, base_url)
        self.unit = max(1, UNIT // scale)
        self.chunk = self.unit * chunk_units  # 8 MiB at scale 1
        self.analytics = (analytics_url or f"{self.base}/youtubeanalytics").rstrip("/")
        self.backoff = 0.05

    def _auth(self, account: Account) -> dict[str, str]:
        return {"Authorization": f"Bearer {account.access_token}"}

    def _error_text(self, resp: httpx.Response) -> tuple[str, str]:
        """Google's errors name their reason (quotaExceeded, invalidTitle, …) under ``errors``."""
        message, code = super()._error_text(resp)
        try:
            reasons = resp.json()["error"]["errors"]
            return message, str(reasons[0].get("reason") or code)
        except (ValueError, KeyError, IndexError, TypeError):
            return message, code

    # ------------------------------------------------------------ upload
    async def upload(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> PublishedRef:
        s = await sessions.get(video.effect_id, account.account_id)
        for _ in range(3):  # a session that expires is replaced (after a lookup), at most twice a try
            if s is None:
                s = await self._open(account, video, sessions, clip)
            if s.video_id is None:
                vid = await self._send(account, s, clip)
                if vid is None:  # the session is gone: was the video completed before it went?
                    await sessions.forget(video.effect_id, account.account_id)
                    found = await self.find(account, video, sessions, s.started_at)
                    if found is None:
                        s = None
                        continue
                    vid = found.platform_post_id
                s = replace(s, video_id=vid, video_url=f"https://www.youtube.com/watch?v={vid}")
                await sessions.save(s)
            s = await self._finish(account, video, s, sessions)
            return PublishedRef(s.video_id or "", s.video_url or "", tuple(s.extra.get("warnings", ())))
        raise Unavailable(self.platform, "upload sessions keep expiring; trying again later")

    async def _open(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, clip: Clip) -> UploadSession:
        body = {
            "snippet": {
                "title": video.title[: RULES.title_chars],
                "description": video.description,
                "tags": [*video.tags, video.tag],
                "categoryId": "28",
            },
            "status": {"privacyStatus": video.privacy, "selfDeclaredMadeForKids": video.made_for_kids},
        }
        headers = {
            **self._auth(account),
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Length": str(clip.size),
            "X-Upload-Content-Type": "video/mp4",
        }
        try:
            resp = await self.request(
                "POST", "/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status", content=json.dumps(body), headers=headers
            )
        except Rejected as err:
            if err.code in ("quotaExceeded", "uploadLimitExceeded"):
                raise RateLimited(self.platform, str(err), retry_after=_until_pacific_midnight(), code=err.code) from err
            raise
        except OutcomeUnknown as err:  # nothing is uploaded until bytes are sent: opening again is safe
            raise Unavailable(self.platform, str(err)) from err
        uri = resp.headers["location"]
        s = UploadSession(video.effect_id, account.account_id, self.platform, uri, uri, clip.size, clip.sha256, datetime.now(UTC))
        await sessions.save(s)  # before the first byte
        return s

    async def _send(self, account: Account, s: UploadSession, clip: Clip) -> str | None:
        """The video id once complete; None when the session is gone."""
        confirmed = await self._where(account, s)
        recoveries = 0
        while True:
            if isinstance(confirmed, str):
                return confirmed
            if confirmed is None:
                return None
            n = min(self.chunk, clip.size - confirmed)
            data = await clip.read(confirmed, n)
            headers = {
                **self._auth(account),
                "Content-Type": "video/mp4",
                "Content-Range": f"bytes {confirmed}-{confirmed + n - 1}/{clip.size}",
            }
            try:
                resp = await self.http.put(s.url, content=data, headers=headers)
            except httpx.TransportError:
                resp = None
            if resp is not None and resp.status_code in (200, 201):
                return str(resp.json()["id"])
            if resp is not None and resp.status_code == 308:
                confirmed = _next_byte(resp)
                continue
            if resp is not None and resp.status_code in (404, 410):
                return None
            if resp is not None and resp.status_code == 401:
                raise Rejected(self.platform, "the token was refused mid-upload", code="authError", status=401)
            if resp is not None and 400 <= resp.status_code < 500:
                message, code = self._error_text(resp)
                raise Rejected(self.platform, message, code=code, status=resp.status_code)
            recoveries += 1  # dropped or 5xx: ask the session what it has
            if recoveries > RECOVERIES:
                raise Unavailable(self.platform, "the upload keeps being interrupted; the session is kept for the next try")
            await asyncio.sleep(min(2.0, self.backoff * 2 ** min(recoveries, 6)))
            confirmed = await self._where(account, s)

    async def _where(self, account: Account, s: UploadSession) -> int | str | None:
        """The next byte the session wants (an int), the video id when complete (a str), None when gone."""
        for attempt in range(RECOVERIES):
            try:
                resp = await self.http.put(s.url, content=b"", headers={**self._auth(account), "Content-Range": f"bytes */{s.size}"})
            except httpx.TransportError:
                await asyncio.sleep(min(2.0, self.backoff * 2 ** min(attempt, 6)))
                continue
            if resp.status_code in (200, 201):
                return str(resp.json()["id"])
            if resp.status_code == 308:
                return _next_byte(resp)
            if resp.status_code in (404, 410):
                return None
            if resp.status_code >= 500:
                await asyncio.sleep(min(2.0, self.backoff * 2 ** min(attempt, 6)))
                continue
            message, code = self._error_text(resp)
            raise Rejected(self.platform, message, code=code, status=resp.status_code)
        raise Unavailable(self.platform, "the upload session does not answer; it is kept for the next try")

    async def _finish(self, account: Account, video: OutgoingVideo, s: UploadSession, sessions: UploadSessions) -> UploadSession:
        """The thumbnail and the caption track, each once (recorded in the session). Both are optional:
        one the platform refuses (a custom thumbnail on an unverified channel, captions without
        ``youtube.force-ssl``) is a warning on the published video, kept in the session, never a failure.
        A platform that cannot be reached now ends the try: the next one finishes what is left."""
        if video.thumbnail_url and not s.extra.get("thumbnail"):
            image = await self.fetch_media(video.thumbnail_url, limit=RULES.thumbnail_bytes)
            warning = None if image is not None else "thumbnail not set: the image could not be fetched within 2 MB"
            if image is not None:
                kind = "image/png" if image[:4] == b"\x89PNG" else "image/jpeg"
                try:
                    await self.request(
                        "POST",
                        f"/upload/youtube/v3/thumbnails/set?videoId={s.video_id}",
                        content=image,
                        headers={**self._auth(account), "Content-Type": kind},
                    )
                except AuthExpired:
                    raise  # the token, not the step: refreshed and tried again
                except Rejected as err:
                    warning = f"thumbnail not set: {err}"
            s = await self._done(s, sessions, "thumbnail", warning)
        if video.captions_url and not s.extra.get("captions"):
            track = await self.fetch_media(video.captions_url, limit=10 << 20)
            warning = None if track else "captions not added: the track could not be fetched"
            if track:
                boundary = "sz" + secrets.token_hex(8)
                meta = json.dumps(
                    {"snippet": {"videoId": s.video_id, "language": video.language, "name": video.language, "isDraft": False}}
                )
                body = (
                    (
                        f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n"
                        f"--{boundary}\r\nContent-Type: text/vtt\r\n\r\n"
                    ).encode()
                    + track
                    + f"\r\n--{boundary}--\r\n".encode()
                )
                try:
                    await self.request(
                        "POST",
                        "/upload/youtube/v3/captions?part=snippet&uploadType=multipart",
                        content=body,
                        headers={**self._auth(account), "Content-Type": f"multipart/related; boundary={boundary}"},
                    )
                except AuthExpired:
                    raise  # the token, not the step: refreshed and tried again
                except Rejected as err:
                    warning = f"captions not added: {err}"
            s = await self._done(s, sessions, "captions", warning)
        return s

    async def _done(self, s: UploadSession, sessions: UploadSessions, step: str, warning: str | None) -> UploadSession:
        warnings = [*s.extra.get("warnings", []), *([warning] if warning else [])]
        s = replace(s, extra={**s.extra, step: True, "warnings": warnings})
        await sessions.save(s)
        return s

    # ------------------------------------------------------------ lookup, metrics
    async def find(self, account: Account, video: OutgoingVideo, sessions: UploadSessions, since: datetime) -> PublishedRef | None:
        known = await sessions.get(video.effect_id, account.account_id)
        if known is not None and known.video_id:
            return PublishedRef(known.video_id, known.video_url or "", tuple(known.extra.get("warnings", ())))
        resp = await self.request(
            "GET", f"/youtube/v3/search?part=snippet&forMine=true&type=video&maxResults=50&q={video.tag}", headers=self._auth(account)
        )
        for item in resp.json().get("items", []):
            vid = item.get("id", {}).get("videoId")
            if vid and video.tag in (item.get("snippet", {}).get("tags") or []):
                return PublishedRef(vid, f"https://www.youtube.com/watch?v={vid}")
        return None

    async def count_followers(self, account: Account) -> int | None:
        """The channel's subscribers: channels.list part=statistics mine=true (rounded down to three
        significant figures by YouTube); None when the channel hides its count."""
        resp = await self.request("GET", "/youtube/v3/channels?part=statistics&mine=true", headers=self._auth(account))
        items = resp.json().get("items") or []
        stats = items[0].get("statistics", {}) if items else {}
        if not stats or stats.get("hiddenSubscriberCount"):
            return None
        return int(stats.get("subscriberCount", 0))

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 50):
            chunk = ids[i : i + 50]
            resp = await self.request("GET", f"/youtube/v3/videos?part=statistics&id={','.join(chunk)}", headers=self._auth(account))
            watched: dict[str, int] = {}
            try:
                report = await self.request(
                    "GET",
                    f"{self.analytics}/v2/reports?ids=channel==MINE&metrics=views,estimatedMinutesWatched&dimensions=video&filters=video=={','.join(chunk)}",
                    headers=self._auth(account),
                )
                watched = {str(r[0]): int(r[2]) for r in report.json().get("rows", [])}
            except Rejected:
                pass  # no analytics scope: views, likes and comments still come
            for item in resp.json().get("items", []):
                st = item.get("statistics", {})
                out[str(item["id"])] = Metrics(
                    likes=int(st.get("likeCount", 0)),
                    comments=int(st.get("commentCount", 0)),
                    impressions=int(st.get("viewCount", 0)),
                    views=int(st.get("viewCount", 0)),
                    raw={**st, "minutes_watched": watched.get(str(item["id"]), 0)},
                )
        return out


def _next_byte(resp: httpx.Response) -> int:
    """308: the byte after the confirmed ``Range: bytes=0-N``; no Range means nothing was kept."""
    rng = resp.headers.get("range")
    return int(rng.rsplit("-", 1)[1]) + 1 if rng else 0


def _until_pacific_midnight() -> float:
    """YouTube's quota resets at midnight Pacific time."""
    now = datetime.now(ZoneInfo("America/Los_Angeles"))
    return ((now + timedelta(days=1)).replace(hour=0, minute=5, second=0, microsecond=0) - now).total_seconds()
