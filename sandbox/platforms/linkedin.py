"""LinkedIn's versioned REST API: posts, the Images API (initialize, upload), organization share statistics."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.platforms import Plumbing
from sandbox.state import Post, SandboxState


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    # ---------- LinkedIn ----------
    def li_version_ok(request: Request) -> Response | None:
        if not request.headers.get("linkedin-version"):
            return JSONResponse(
                {
                    "status": 400,
                    "code": "VERSION_MISSING",
                    "message": "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                },
                status_code=400,
            )
        return None

    @app.post("/linkedin/rest/posts")
    async def li_create(request: Request) -> Response:
        if not st.authorized("linkedin", request):
            return wire.unauthorized("linkedin")
        if (bad := li_version_ok(request)) is not None:
            return bad
        body = await request.json()
        if not body.get("author"):
            return JSONResponse({"status": 422, "message": "/author :: field is required"}, status_code=422)
        if len(body.get("commentary", "")) > 3000:
            return JSONResponse({"status": 422, "message": "/commentary :: length must be at most 3000"}, status_code=422)
        content = body.get("content") or {}
        images = [content["media"]["id"]] if "media" in content else [i["id"] for i in content.get("multiImage", {}).get("images", [])]
        if any(not st.media.get("li:" + urn.rsplit(":", 1)[-1]) for urn in images):
            return JSONResponse({"status": 422, "message": "/content :: image not uploaded"}, status_code=422)

        def respond(p: Post) -> Response:
            r = Response(status_code=201)
            r.headers["x-restli-id"] = f"urn:li:share:{p.id}"
            return r

        return await wire.create("linkedin", body["author"], body.get("commentary", ""), respond, {"media": images})

    @app.post("/linkedin/rest/images")
    async def li_image_init(request: Request, action: str = "") -> Response:
        if not st.authorized("linkedin", request):
            return wire.unauthorized("linkedin")
        if action != "initializeUpload":
            return JSONResponse({"status": 400, "message": "action must be initializeUpload"}, status_code=400)
        body = await request.json()
        if not body.get("initializeUploadRequest", {}).get("owner"):
            return JSONResponse({"status": 422, "message": "/initializeUploadRequest/owner :: field is required"}, status_code=422)
        iid = st.next_id()
        st.media[f"li:{iid}"] = 0
        upload = str(request.base_url).rstrip("/") + f"/linkedin/_upload/{iid}"
        return JSONResponse(
            {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000, "uploadUrl": upload, "image": f"urn:li:image:{iid}"}}
        )

    @app.put("/linkedin/_upload/{iid}")
    async def li_image_put(iid: str, request: Request) -> Response:
        if f"li:{iid}" not in st.media:
            return JSONResponse({"status": 404, "message": "no such upload"}, status_code=404)
        st.media[f"li:{iid}"] = len(await request.body())
        return Response(status_code=201)

    @app.get("/linkedin/rest/posts")
    async def li_list(request: Request, author: str = "", q: str = "") -> Response:
        if not st.authorized("linkedin", request):
            return wire.unauthorized("linkedin")
        els = [
            {
                "id": f"urn:li:share:{p.id}",
                "author": p.account,
                "commentary": p.text,
                "createdAt": int(p.created_at * 1000),
                "lifecycleState": "PUBLISHED",
            }
            for p in st.posts["linkedin"].values()
            if p.account == author
        ]
        return JSONResponse({"elements": els, "paging": {"start": 0, "count": len(els)}})

    @app.get("/linkedin/rest/organizationalEntityShareStatistics")
    async def li_stats(request: Request, shares: str = "") -> Response:
        if not st.authorized("linkedin", request):
            return wire.unauthorized("linkedin")
        from urllib.parse import unquote

        urns = [unquote(u) for u in shares.removeprefix("List(").removesuffix(")").split(",") if u]
        els = []
        for urn in urns:
            p = st.posts["linkedin"].get(urn.rsplit(":", 1)[-1])
            if p:
                m = st.metrics(p)
                stats = {
                    "impressionCount": m["impressions"],
                    "uniqueImpressionsCount": int(m["impressions"] * 0.8),
                    "clickCount": m["clicks"],
                    "likeCount": m["likes"],
                    "commentCount": m["comments"],
                    "shareCount": m["shares"],
                }
                stats["engagement"] = round((m["clicks"] + m["likes"] + m["comments"] + m["shares"]) / m["impressions"], 6)
                els.append({"share": urn, "totalShareStatistics": stats})
        return JSONResponse({"elements": els, "paging": {"count": len(els), "start": 0}})
