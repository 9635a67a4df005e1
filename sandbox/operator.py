"""Operator endpoints, outside any platform's namespace: what was posted, a post made at a given
time (history without waiting), each account's hidden response curve, fault switches, reset, test
photos, health."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from sandbox.curves import parse_curve
from sandbox.state import PLATFORMS, Fault, Post, SandboxState, _test_photo


def _unprocessable(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=422)


def _when(value: object) -> float:
    """Unix seconds, or an RFC 3339 time with its offset."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if at.tzinfo is None:
            raise ValueError("created_at needs a time zone offset")
        return at.timestamp()
    raise ValueError("created_at must be unix seconds or an RFC 3339 time")


def install(app: FastAPI, st: SandboxState) -> None:
    # ---------- operator endpoints ----------
    @app.get("/_sandbox/posts")
    async def list_posts(platform: str | None = None) -> dict:
        items = [
            {"id": p.id, "platform": p.platform, "account": p.account, "text": p.text, "created_at": p.created_at, **p.extra}
            for plat in ([platform] if platform else PLATFORMS)
            for p in st.posts.get(plat, {}).values()
        ]
        return {"count": len(items), "posts": items}

    @app.post("/_sandbox/posts")
    async def make_post(body: dict) -> Response:
        """A post an account made at ``created_at`` (default now), as if through the platform: history
        for tests without waiting. Not counted against any rate limit."""
        platform, account = body.get("platform"), body.get("account")
        if platform not in PLATFORMS:
            return _unprocessable(f"platform must be one of {PLATFORMS}")
        if not isinstance(account, str) or not account:
            return _unprocessable("account is required (the id the platform posts it under)")
        try:
            created = _when(body.get("created_at", time.time()))
        except ValueError as err:
            return _unprocessable(str(err))
        if created > time.time() + 1:
            return _unprocessable("created_at is in the future")
        pid = str(body.get("id") or st.next_id())
        if pid in st.posts[platform]:
            return JSONResponse({"detail": f"{platform} post {pid} exists"}, status_code=409)
        extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
        post = Post(pid, platform, account, str(body.get("text", "")), created, extra)
        st.posts[platform][pid] = post
        return JSONResponse(
            {"id": pid, "platform": platform, "account": account, "text": post.text, "created_at": created}, status_code=201
        )

    @app.get("/_sandbox/accounts/{platform}/{account}/curve")
    async def get_curve(platform: str, account: str) -> Response:
        if platform not in PLATFORMS:
            return _unprocessable(f"platform must be one of {PLATFORMS}")
        c = st.curve(platform, account)
        return JSONResponse({"platform": platform, "account": account, "default": f"{platform}:{account}" not in st.curves, **c.as_json()})

    @app.put("/_sandbox/accounts/{platform}/{account}/curve")
    async def put_curve(platform: str, account: str, body: dict) -> Response:
        """``{"timezone": str, "curve": [[float × 24] × 7]}`` (log multipliers, Monday first, local
        hours) or ``{"peak_hour": 19}`` (the default shape around that hour)."""
        if platform not in PLATFORMS:
            return _unprocessable(f"platform must be one of {PLATFORMS}")
        try:
            c = parse_curve(body, st.curve(platform, account))
        except ValueError as err:
            return _unprocessable(str(err))
        st.curves[f"{platform}:{account}"] = c
        return JSONResponse({"platform": platform, "account": account, "default": False, **c.as_json()})

    @app.post("/_sandbox/faults")
    async def set_fault(body: dict) -> dict:
        platform = body.get("platform")
        if platform not in PLATFORMS:
            return JSONResponse({"detail": f"platform must be one of {PLATFORMS}"}, status_code=422)  # type: ignore[return-value]
        if body.get("target") == "upload":  # the video upload protocols' own faults (sandbox.platforms.uploads)
            platform = f"{platform}:upload"
        elif body.get("target") == "replies":  # replies, DMs and hides only (sandbox.platforms.replies)
            platform = f"{platform}:replies"
        st.faults[platform] = Fault(
            mode=body.get("mode", "none"),
            times=int(body.get("times", 1)),
            retry_after=int(body.get("retry_after", 30)),
            hang_seconds=float(body.get("hang_seconds", 30)),
            after=int(body.get("after", 0)),
        )
        return {"ok": True}

    @app.post("/_sandbox/reset")
    async def reset() -> dict:
        """Forget posts, their comments, conversations and faults; the accounts' curves stay (they are
        the accounts' audiences), and so do the webhook registrations (they are the app's)."""
        for plat in PLATFORMS:
            st.posts[plat].clear()
        st.comments.clear()
        st.conversations.clear()
        st.faults.clear()
        st.calls.clear()
        return {"ok": True}

    @app.get("/_sandbox/images/{name}")
    async def image(name: str, w: int = 2400, h: int = 1600) -> Response:
        """A deterministic test photo (so articles in the demo and tests have real images to crop)."""
        data = await asyncio.to_thread(_test_photo, name, max(16, min(w, 8000)), max(16, min(h, 8000)))
        return Response(data, media_type="image/jpeg")

    @app.get("/_sandbox/health")
    async def health() -> dict:
        return {"ok": True}
