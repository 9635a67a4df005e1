"""Where rendered media live: content-addressed, so the same image is stored once and a redelivered
post refers to the very same URL. A local directory (served by the API under /media/) by default;
an S3-compatible bucket (AWS, MinIO, R2, …) by setting."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class MediaStore(Protocol):
    async def put(self, data: bytes, ext: str) -> str:
        """Store ``data``; return its public URL."""


def content_name(data: bytes, ext: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"


class LocalMediaStore:
    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, name: str) -> Path:
        return self.root / name[:2] / name

    def _write(self, name: str, data: bytes) -> None:
        path = self.path_of(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # readers never see half a file

    async def put(self, data: bytes, ext: str) -> str:
        name = content_name(data, ext)
        await asyncio.to_thread(self._write, name, data)  # file I/O off the event loop
        return f"{self.base_url}/{name}"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(
    method: str,
    url: str,
    headers: dict[str, str],
    payload_sha256: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """AWS Signature Version 4 for one request: returns the headers to send, Authorization included."""
    parts = urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-content-sha256"] = payload_sha256
    signed["x-amz-date"] = amz_date
    names = sorted(signed)
    canonical_query = "&".join(sorted(p if "=" in p else f"{p}=" for p in parts.query.split("&") if p))
    canonical = "\n".join(
        [
            method,
            quote(parts.path or "/", safe="/-_.~"),
            canonical_query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {k: v for k, v in headers.items()}
    out["x-amz-content-sha256"] = payload_sha256
    out["x-amz-date"] = amz_date
    out["Authorization"] = f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    return out


class S3MediaStore:
    """Path-style PUTs to ``endpoint/bucket/key``; public URLs from ``public_base_url``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        *,
        region: str = "us-east-1",
        public_base_url: str | None = None,
    ) -> None:
        self.http = http
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self._access, self._secret = access_key, secret_key
        self.region = region
        self.public = (public_base_url or f"{self.endpoint}/{bucket}").rstrip("/")

    async def put(self, data: bytes, ext: str) -> str:
        name = content_name(data, ext)
        url = f"{self.endpoint}/{self.bucket}/{name}"
        headers = sigv4_headers(
            "PUT",
            url,
            {"content-type": CONTENT_TYPES.get(ext, "application/octet-stream"), "cache-control": "public, max-age=31536000, immutable"},
            hashlib.sha256(data).hexdigest(),
            access_key=self._access,
            secret_key=self._secret,
            region=self.region,
            now=datetime.now(UTC),
        )
        resp = await self.http.put(url, content=data, headers=headers, timeout=30.0)
        if resp.status_code >= 300:
            raise OSError(f"S3 PUT {name}: HTTP {resp.status_code}: {resp.text[:200]}")
        return f"{self.public}/{name}"
