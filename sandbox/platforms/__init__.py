"""What every simulated platform shares: its own 401, 429 and 5xx bodies, rate-limit headers, and
one ``create`` that applies faults and the create limit before storing a post. One module per
platform family installs its routes: :mod:`.x`, :mod:`.linkedin`, :mod:`.meta` (Facebook pages and
Instagram), :mod:`.tiktok`."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.scopes import Need, lacking, refusal
from sandbox.state import Post, SandboxState


class Plumbing:
    def __init__(self, st: SandboxState) -> None:
        self.st = st

    def unauthorized(self, platform: str) -> JSONResponse:
        bodies = {
            "x": {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
            "linkedin": {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"},
            "facebook": {
                "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "sandbox"}
            },
            "instagram": {
                "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "sandbox"}
            },
            "tiktok": {
                "error": {
                    "code": "access_token_invalid",
                    "message": "The access token is invalid or not found in the request.",
                    "log_id": "sandbox",
                }
            },
        }
        return JSONResponse(bodies[platform], status_code=401)

    def refused(self, platform: str, request: Request, *needs: Need, what: str = "", meta_code: int = 10) -> Response | None:
        """The platform's 401 without a live token, its scope refusal (:mod:`sandbox.scopes`) when the
        token lacks one of ``needs``; None when the call may go on."""
        granted = self.st.granted(platform, request)
        if granted is None:
            return self.unauthorized(platform)
        scope = lacking(granted, *needs)
        return refusal(platform, scope, what, meta_code=meta_code) if scope else None

    def rate_headers(self, platform: str, account: str) -> dict[str, str]:
        limit, remaining, reset = self.st.rate(platform, account)
        if platform == "x":
            return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, remaining)), "x-rate-limit-reset": str(reset)}
        if platform in ("facebook", "instagram"):
            pct = int(100 * (limit - remaining) / limit)
            return {"x-app-usage": json.dumps({"call_count": pct, "total_cputime": 1, "total_time": 1})}
        return {}

    def too_many(self, platform: str, retry_after: int) -> JSONResponse:
        bodies = {
            "x": {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
            "linkedin": {"status": 429, "message": "Resource level throttle limit for calls to this resource is reached."},
            "facebook": {
                "error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4, "is_transient": True}
            },
            "instagram": {
                "error": {"message": "Application request limit reached", "type": "OAuthException", "code": 4, "is_transient": True}
            },
            "tiktok": {"error": {"code": "rate_limit_exceeded", "message": "API rate limit exceeded", "log_id": "sandbox"}},
        }
        headers = {"retry-after": str(retry_after)}
        if platform == "x":
            headers["x-rate-limit-reset"] = str(int(time.time()) + retry_after)
            headers["x-rate-limit-remaining"] = "0"
        return JSONResponse(bodies[platform], status_code=429, headers=headers)

    def server_error(self, platform: str) -> JSONResponse:
        if platform in ("facebook", "instagram"):
            body: Any = {
                "error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException",
                    "code": 2,
                    "is_transient": True,
                }
            }
        elif platform == "tiktok":
            body = {"error": {"code": "internal_error", "message": "internal error", "log_id": "sandbox"}}
        else:
            body = {"title": "Internal Server Error", "detail": "sandbox fault", "status": 500}
        return JSONResponse(body, status_code=500)

    async def create(self, platform: str, account: str, text: str, respond, extra: dict | None = None) -> Response:  # type: ignore[no-untyped-def]
        """Apply faults and the create limit, store the post, answer with ``respond(post)``."""
        fault = self.st.take_fault(platform)
        if fault and fault.mode == "rate_limit":
            return self.too_many(platform, fault.retry_after)
        if fault and fault.mode == "error":
            return self.server_error(platform)
        limit, remaining, _ = self.st.rate(platform, account)
        if remaining <= 0:
            return self.too_many(platform, 60)
        self.st.calls.setdefault(f"{platform}:{account}", []).append(time.time())
        post = Post(self.st.next_id(), platform, account, text, time.time(), extra or {})
        self.st.posts[platform][post.id] = post
        if fault and fault.mode == "hang_after_accept":
            await asyncio.sleep(fault.hang_seconds)
        resp = respond(post)
        resp.headers.update(self.rate_headers(platform, account))
        return resp
