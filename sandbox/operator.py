"""Operator endpoints, outside any platform's namespace: what was posted, fault switches, reset,
test photos, health."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from sandbox.state import PLATFORMS, Fault, SandboxState, _test_photo


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

    @app.post("/_sandbox/faults")
    async def set_fault(body: dict) -> dict:
        platform = body.get("platform")
        if platform not in PLATFORMS:
            return JSONResponse({"detail": f"platform must be one of {PLATFORMS}"}, status_code=422)  # type: ignore[return-value]
        if body.get("target") == "upload":  # the video upload protocols' own faults (sandbox.platforms.uploads)
            platform = f"{platform}:upload"
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
        for plat in PLATFORMS:
            st.posts[plat].clear()
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
