"""Video uploads to YouTube, Instagram Reels and TikTok: the stores of the upload session each keeps
(recorded **before the first byte**) and the file it reads its chunks from. The ports (the
:class:`VideoUploader`, the video, the session) are :mod:`adapters.ports`, re-exported here.

Every uploader resumes from the byte count the platform confirms, never from what it believes it
sent; an upload whose outcome is unknown is looked up (by its session, or by the idempotency tag
it carries) before anything is sent again. The post's single publish attempt (``streams.publish``)
decides when to try, retry or give up; an uploader only ever continues the one session it
recorded, or opens a new one when the platform says the old one is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

import asyncpg
import httpx

from adapters.exceptions import Rejected, Unavailable
from adapters.ports import Metrics, OutgoingVideo, PublishedRef, UploadSession, UploadSessions, VideoUploader


class MemorySessions:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], UploadSession] = {}
        self.saves = 0

    async def get(self, effect_id: str, account_id: str) -> UploadSession | None:
        return self.rows.get((effect_id, account_id))

    async def save(self, session: UploadSession) -> None:
        self.rows[(session.effect_id, session.account_id)] = session
        self.saves += 1

    async def forget(self, effect_id: str, account_id: str) -> None:
        self.rows.pop((effect_id, account_id), None)


class PostgresSessions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, effect_id: str, account_id: str) -> UploadSession | None:
        r = await self.pool.fetchrow("SELECT * FROM upload_sessions WHERE effect_id = $1 AND account_id = $2", effect_id, account_id)
        if r is None:
            return None
        return UploadSession(
            r["effect_id"], r["account_id"], r["platform"], r["session"], r["url"], r["size"], r["sha256"], r["started_at"],
            r["video_id"], r["video_url"], dict(r["extra"]),
        )  # fmt: skip

    async def save(self, s: UploadSession) -> None:
        await self.pool.execute(
            "INSERT INTO upload_sessions (effect_id, account_id, platform, session, url, size, sha256, started_at, video_id, video_url, extra)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (effect_id, account_id) DO UPDATE SET session = EXCLUDED.session,"
            " url = EXCLUDED.url, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, video_id = EXCLUDED.video_id,"
            " video_url = EXCLUDED.video_url, extra = EXCLUDED.extra, updated_at = now()",
            s.effect_id, s.account_id, s.platform, s.session, s.url, s.size, s.sha256, s.started_at, s.video_id, s.video_url, s.extra,
        )  # fmt: skip

    async def forget(self, effect_id: str, account_id: str) -> None:
        await self.pool.execute("DELETE FROM upload_sessions WHERE effect_id = $1 AND account_id = $2", effect_id, account_id)


class VideoFile:
    """The rendered file, fetched once to a temporary file; chunks are read off the event loop."""

    def __init__(self, path: Path, size: int, sha256: str) -> None:
        self.path, self.size, self.sha256 = path, size, sha256

    @classmethod
    async def fetch(cls, http: httpx.AsyncClient, url: str, platform: str) -> VideoFile:
        fd, name = tempfile.mkstemp(prefix="socializer-upload-", suffix=".mp4")
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async with http.stream("GET", url, timeout=60.0, follow_redirects=True) as r:
                    if r.status_code != 200:
                        raise Rejected(platform, f"the rendered video is not there ({r.status_code}): {url}", code="video_missing")
                    async for block in r.aiter_bytes(1 << 20):
                        digest.update(block)
                        size += len(block)
                        await asyncio.to_thread(out.write, block)
        except httpx.HTTPError as err:
            os.unlink(name)
            raise Unavailable(platform, f"could not fetch the rendered video: {type(err).__name__}") from err
        except BaseException:
            os.unlink(name)
            raise
        return cls(Path(name), size, digest.hexdigest())

    @classmethod
    def of(cls, data: bytes) -> VideoFile:
        """A file from bytes (tests, the bench)."""
        fd, name = tempfile.mkstemp(prefix="socializer-upload-", suffix=".mp4")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return cls(Path(name), len(data), hashlib.sha256(data).hexdigest())

    def _read(self, offset: int, n: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(offset)
            return f.read(n)

    async def read(self, offset: int, n: int) -> bytes:
        return await asyncio.to_thread(self._read, offset, n)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def tag_for(effect_id: str, account_id: str) -> str:
    """A short tag naming one upload, carried where the platform keeps it, found again by lookup."""
    return "sz" + hashlib.sha256(f"{effect_id}\x1f{account_id}".encode()).hexdigest()[:12]


__all__ = [
    "Metrics",
    "MemorySessions",
    "OutgoingVideo",
    "PostgresSessions",
    "PublishedRef",
    "UploadSession",
    "UploadSessions",
    "VideoFile",
    "VideoUploader",
    "tag_for",
]
