"""The HTTP plumbing the platform adapters share (error translation, rate limits). The ports they
implement are :mod:`adapters.ports`, re-exported here for their callers."""

from __future__ import annotations

import time
from typing import Any

import httpx

from adapters.exceptions import AuthExpired, OutcomeUnknown, RateLimited, Rejected, ScopeMissing, Unavailable
from adapters.metrics import PLATFORM_REQUEST_SECONDS
from adapters.platforms.ratelimit import RateWindows, account_key, windows_for
from adapters.platforms.scopes import MISSING_SCOPE, needed
from adapters.ports import Metrics as Metrics
from adapters.ports import OutgoingPost as OutgoingPost
from adapters.ports import PlatformClient as PlatformClient
from adapters.ports import PublishedRef as PublishedRef

# Meta answers throttling with a 4xx and one of these codes, not a 429: the app (4), a user (17), a
# Page (32, 80001), an Instagram account (80002), a custom limit (613).
# https://developers.facebook.com/docs/graph-api/overview/rate-limiting
META_THROTTLING = {"4", "17", "32", "613", "80001", "80002"}


def _retry_after(resp: httpx.Response) -> float:
    ra = resp.headers.get("retry-after")
    if ra:
        try:
            return max(0.0, float(ra))
        except ValueError:
            pass
    reset = resp.headers.get("x-rate-limit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return 60.0


class HttpPlatform:
    platform = "base"

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http = http
        self.base = base_url.rstrip("/")

    def _error_text(self, resp: httpx.Response) -> tuple[str, str]:
        try:
            body = resp.json()
        except ValueError:
            return resp.text[:200], ""
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            return str(err.get("message", err)), str(err.get("code", ""))
        if isinstance(body, dict) and body.get("errors"):
            first = body["errors"][0]
            return str(first.get("message", first)), str(first.get("code", ""))
        if isinstance(body, dict):
            return str(body.get("detail") or body.get("message") or body.get("error_description") or body)[:300], str(
                body.get("serviceErrorCode") or body.get("error") or ""
            )
        return str(body)[:300], ""

    def missing_scope(self, resp: httpx.Response) -> bool:
        """Whether ``resp`` is this platform's refusal for a scope the token lacks (each platform its own body)."""
        recognise = MISSING_SCOPE.get(self.platform)
        return recognise is not None and recognise(resp)

    async def fetch_media(self, url: str, limit: int = 20 << 20) -> bytes | None:
        """The bytes of one of our images, to upload where a platform wants bytes, not a URL.
        None when it cannot be had: the post then goes out as text rather than not at all."""
        try:
            resp = await self.http.get(url, timeout=15.0, follow_redirects=True)
        except httpx.HTTPError:
            return None
        if resp.status_code != 200 or len(resp.content) > limit:
            return None
        return resp.content

    @property
    def windows(self) -> RateWindows:
        return windows_for(self.http)

    async def request(self, method: str, path: str, *, creates: bool = False, scope: str = "", **kw: Any) -> httpx.Response:
        """Send and translate failures. ``creates`` marks a request whose lost answer leaves the outcome unknown;
        ``scope`` names the scope the call needs, for the ScopeMissing its refusal becomes.
        A call inside a spent rate window waits for its reset (or is not sent: :class:`RateLimited`)."""
        url = path if path.startswith("http") else f"{self.base}{path}"
        if (kw.get("headers") or {}).get("Authorization", "").strip() == "Bearer":
            raise AuthExpired(self.platform, "the account has no access token", code="no_token")
        account = account_key(kw.get("headers"))
        await self.windows.admit(self.platform, account, method, url)
        started = time.perf_counter()
        try:
            resp = await self.http.request(method, url, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.LocalProtocolError) as err:
            PLATFORM_REQUEST_SECONDS.labels(self.platform, "error").observe(time.perf_counter() - started)
            raise Unavailable(self.platform, f"could not reach the platform: {type(err).__name__}") from err
        except httpx.TransportError as err:  # sent, answer lost: timeout, reset, protocol error
            PLATFORM_REQUEST_SECONDS.labels(self.platform, "error").observe(time.perf_counter() - started)
            if creates:
                raise OutcomeUnknown(self.platform, f"no answer to the create request: {type(err).__name__}") from err
            raise Unavailable(self.platform, f"no answer: {type(err).__name__}") from err
        PLATFORM_REQUEST_SECONDS.labels(self.platform, f"{resp.status_code // 100}xx").observe(time.perf_counter() - started)
        self.windows.record(self.platform, account, method, url, resp.status_code, resp.headers)
        if resp.status_code < 400:
            return resp
        message, code = self._error_text(resp)
        if self.missing_scope(resp):  # before the 401s: TikTok answers a missing scope with 401
            raise ScopeMissing(
                self.platform, scope or needed(self.platform, method, path), message, code=code or "scope_missing", status=resp.status_code
            )
        if resp.status_code == 429:
            raise RateLimited(self.platform, message, retry_after=_retry_after(resp), code=code or "rate_limited")
        if self.platform in ("facebook", "instagram") and code in META_THROTTLING:
            spent = self.windows.until(self.platform, account, method, url)
            wait = spent.until - self.windows.clock() if spent else 60.0
            raise RateLimited(self.platform, message, retry_after=wait, code=code, status=resp.status_code)
        if resp.status_code == 401:
            raise AuthExpired(self.platform, message, code=code, status=401)
        if resp.status_code >= 500:
            if creates:
                raise OutcomeUnknown(self.platform, f"{resp.status_code}: {message}", code=code, status=resp.status_code)
            raise Unavailable(self.platform, f"{resp.status_code}: {message}", code=code, status=resp.status_code)
        raise Rejected(self.platform, message, code=code, status=resp.status_code)
