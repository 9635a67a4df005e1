"""TikTok's Content Posting API (photo posts by PULL_FROM_URL, status) and the Display API's video list
and query, each behind its scope: posting ``video.publish``, the status ``video.upload`` or
``video.publish``, the list and the query (the metrics) ``video.list`` (developers.tiktok.com/doc/
content-posting-api-reference-direct-post, .../content-posting-api-reference-get-video-status,
.../tiktok-api-v2-video-query); a missing one is ``scope_not_authorized`` (:mod:`sandbox.scopes`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import tiktok_open_id
from sandbox.platforms import Plumbing
from sandbox.platforms.uploads import video_status
from sandbox.state import Post, SandboxState, _token


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    # ---------- TikTok ----------
    def tt_ok(data: dict) -> JSONResponse:
        return JSONResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": "sandbox"}})

    @app.post("/tiktok/v2/post/publish/content/init/")
    async def tt_init(request: Request) -> Response:
        if (no := wire.refused("tiktok", request, "video.publish")) is not None:
            return no
        token = tiktok_open_id(st.oauth, _token(request)) or ""
        body = await request.json()
        images = body.get("source_info", {}).get("photo_images") or []
        if body.get("media_type") != "PHOTO" or not images:
            return JSONResponse(
                {"error": {"code": "invalid_params", "message": "photo_images is required", "log_id": "sandbox"}}, status_code=400
            )
        text = body.get("post_info", {}).get("description", "")

        def respond(p: Post) -> Response:
            st.publishes[f"p_pub_{p.id}"] = {"post": p.id, "polls": 0}
            return tt_ok({"publish_id": f"p_pub_{p.id}"})

        return await wire.create("tiktok", token, text, respond, {"images": images})

    @app.post("/tiktok/v2/post/publish/status/fetch/")
    async def tt_status(request: Request) -> Response:
        if (no := wire.refused("tiktok", request, ("video.upload", "video.publish"))) is not None:
            return no
        body = await request.json()
        pub = st.publishes.get(body.get("publish_id", ""))
        if not pub:
            return JSONResponse(
                {"error": {"code": "invalid_params", "message": "publish_id not found", "log_id": "sandbox"}}, status_code=400
            )
        if pub.get("kind") == "video":
            return tt_ok(video_status(pub))
        pub["polls"] += 1
        if pub["polls"] < 2:
            return tt_ok({"status": "PROCESSING_DOWNLOAD"})
        return tt_ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [pub["post"]]})

    @app.post("/tiktok/v2/video/list/")
    async def tt_list(request: Request) -> Response:
        if (no := wire.refused("tiktok", request, "video.list")) is not None:
            return no
        token = tiktok_open_id(st.oauth, _token(request)) or ""
        vids = [
            {"id": p.id, "title": p.text[:90], "video_description": p.text, "create_time": int(p.created_at)}
            for p in st.posts["tiktok"].values()
            if p.account == token
        ]
        return tt_ok({"videos": vids[-20:], "cursor": 0, "has_more": False})

    @app.post("/tiktok/v2/video/query/")
    async def tt_query(request: Request) -> Response:
        if (no := wire.refused("tiktok", request, "video.list")) is not None:
            return no
        body = await request.json()
        ids = body.get("filters", {}).get("video_ids", [])[:20]
        vids = []
        for vid in ids:
            p = st.posts["tiktok"].get(str(vid))
            if p:
                m = st.metrics(p)
                vids.append(
                    {
                        "id": p.id,
                        "like_count": m["likes"],
                        "comment_count": m["comments"],
                        "share_count": m["shares"],
                        "view_count": m["impressions"],
                    }
                )
        return tt_ok({"videos": vids})
