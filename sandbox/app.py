"""The sandbox HTTP app (one process, in-memory state shared by every platform).

Operator endpoints, outside any platform's namespace:
    GET  /_sandbox/posts?platform=        what was posted (the exactly-once check reads this)
    POST /_sandbox/faults                 {"platform", "mode": rate_limit|error|hang_after_accept|none,
                                           "times": n, "retry_after": s, "hang_seconds": s}
    POST /_sandbox/reset                  forget posts and faults
    /_sandbox/oauth/...                   clients, grants, expiry, revocation: see adapters/sandbox/oauth.py
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import Client as OAuthClientApp
from sandbox.oauth import OAuthServer, tiktok_open_id, x_user_id
from sandbox.oauth import install as install_oauth

PLATFORMS = ("linkedin", "x", "facebook", "instagram", "tiktok")
# Requests per window per account for creates, as the platforms document them.
CREATE_LIMITS = {"x": (100, 15 * 60), "linkedin": (150, 86400), "facebook": (200, 3600), "instagram": (100, 86400), "tiktok": (6, 60)}


@dataclass
class Post:
    id: str
    platform: str
    account: str
    text: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fault:
    mode: str
    times: int
    retry_after: int = 30
    hang_seconds: float = 30.0


class SandboxState:
    def __init__(self, growth_seconds: float = 600.0) -> None:
        self.posts: dict[str, dict[str, Post]] = {p: {} for p in PLATFORMS}
        self.faults: dict[str, Fault] = {}
        self.calls: dict[str, list[float]] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.publishes: dict[str, dict[str, Any]] = {}
        self.media: dict[str, int] = {}  # uploaded media id -> size
        self.ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)
        self.growth_seconds = growth_seconds
        self.oauth = OAuthServer()

    def authorized(self, platform: str, request: Request) -> bool:
        """A live token issued by this platform's authorization server (Instagram's come from Facebook Login)."""
        provider = "facebook" if platform == "instagram" else platform
        return self.oauth.valid(_token(request), (provider,)) is not None

    def next_id(self) -> str:
        return str(next(self.ids))

    def take_fault(self, platform: str) -> Fault | None:
        f = self.faults.get(platform)
        if not f or f.mode == "none" or f.times <= 0:
            return None
        f.times -= 1
        return f

    def rate(self, platform: str, account: str) -> tuple[int, int, int]:
        limit, window = CREATE_LIMITS[platform]
        now = time.time()
        key = f"{platform}:{account}"
        calls = [t for t in self.calls.get(key, []) if t > now - window]
        self.calls[key] = calls
        reset = int((calls[0] if calls else now) + window)
        return limit, limit - len(calls), reset

    def metrics(self, post: Post) -> dict[str, int]:
        """Engagement that grows with age, deterministic per post: the same query twice agrees."""
        h = int(hashlib.sha256(post.id.encode()).hexdigest()[:8], 16)
        reach = 300 + h % 4700
        age = max(0.0, time.time() - post.created_at)
        grown = 1 - math.exp(-age / self.growth_seconds)
        impressions = int(reach * grown) + 1
        return {
            "impressions": impressions,
            "likes": int(impressions * (0.02 + (h % 7) / 100)),
            "comments": int(impressions * (0.002 + (h % 5) / 1000)),
            "shares": int(impressions * (0.004 + (h % 3) / 500)),
            "clicks": int(impressions * (0.01 + (h % 11) / 500)),
            "saves": int(impressions * 0.005),
        }


def _test_photo(name: str, w: int, h: int) -> bytes:
    import io

    from PIL import Image, ImageDraw

    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    img = Image.new("RGB", (w, h), (180 + seed % 60, 200 + seed % 40, 220))
    draw = ImageDraw.Draw(img)
    cx, cy, r = int(w * (0.2 + (seed % 60) / 100)), int(h * (0.25 + (seed % 50) / 100)), min(w, h) // 5
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(230, 80 + seed % 100, 60))
    draw.rectangle((0, int(h * 0.8), w, h), fill=(60, 120, 70))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") and len(auth) > 7 else None


def create_sandbox(growth_seconds: float = 600.0, apps: dict[str, tuple[str, str, list[str]]] | None = None) -> FastAPI:
    """``apps``: provider -> (client id, client secret, redirect URIs) registered from the start."""
    app = FastAPI(title="Socializer platform sandbox", version="1")
    st = SandboxState(growth_seconds)
    for provider, (cid, secret, uris) in (apps or {}).items():
        st.oauth.clients[(provider, cid)] = OAuthClientApp(provider, cid, secret, set(uris))
    app.state.sandbox = st
    install_oauth(app, st.oauth)  # first: /facebook/{v}/me must win over the Graph API's /{node}

    # ---------- shared plumbing ----------
    def unauthorized(platform: str) -> JSONResponse:
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

    def rate_headers(platform: str, account: str) -> dict[str, str]:
        limit, remaining, reset = st.rate(platform, account)
        if platform == "x":
            return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, remaining)), "x-rate-limit-reset": str(reset)}
        if platform in ("facebook", "instagram"):
            pct = int(100 * (limit - remaining) / limit)
            return {"x-app-usage": json.dumps({"call_count": pct, "total_cputime": 1, "total_time": 1})}
        return {}

    def too_many(platform: str, retry_after: int) -> JSONResponse:
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

    def server_error(platform: str) -> JSONResponse:
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

    async def create(platform: str, account: str, text: str, respond, extra: dict | None = None) -> Response:  # type: ignore[no-untyped-def]
        """Apply faults and the create limit, store the post, answer with ``respond(post)``."""
        fault = st.take_fault(platform)
        if fault and fault.mode == "rate_limit":
            return too_many(platform, fault.retry_after)
        if fault and fault.mode == "error":
            return server_error(platform)
        limit, remaining, _ = st.rate(platform, account)
        if remaining <= 0:
            return too_many(platform, 60)
        st.calls.setdefault(f"{platform}:{account}", []).append(time.time())
        post = Post(st.next_id(), platform, account, text, time.time(), extra or {})
        st.posts[platform][post.id] = post
        if fault and fault.mode == "hang_after_accept":
            await asyncio.sleep(fault.hang_seconds)
        resp = respond(post)
        resp.headers.update(rate_headers(platform, account))
        return resp

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
        st.faults[platform] = Fault(
            mode=body.get("mode", "none"),
            times=int(body.get("times", 1)),
            retry_after=int(body.get("retry_after", 30)),
            hang_seconds=float(body.get("hang_seconds", 30)),
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

    # ---------- X API v2 ----------
    def x_invalid(message: str) -> JSONResponse:
        return JSONResponse(
            {
                "errors": [{"message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
            },
            status_code=400,
        )

    @app.post("/x/2/tweets")
    async def x_create(request: Request) -> Response:
        if not st.authorized("x", request):
            return unauthorized("x")
        body = await request.json()
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return x_invalid("text: required")
        account = _x_user(request)
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if any(m not in st.media for m in media_ids) or len(media_ids) > 4:
            return x_invalid("media.media_ids: unknown or more than 4")
        extra = {"in_reply_to": body.get("reply", {}).get("in_reply_to_tweet_id"), "media": media_ids}
        return await create(
            "x",
            account,
            text,
            lambda p: JSONResponse({"data": {"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]}}, status_code=201),
            extra,
        )

    def _x_user(request: Request) -> str:
        # X derives the user from the bearer token.
        return x_user_id(st.oauth, _token(request)) or ""

    @app.post("/x/2/media/upload")
    async def x_media(request: Request) -> Response:
        if not st.authorized("x", request):
            return unauthorized("x")
        form = await request.form()
        media = form.get("media")
        data = await media.read() if hasattr(media, "read") else b""
        if not data or len(data) > 5 << 20:
            return x_invalid("media: an image of at most 5 MB is required")
        mid = st.next_id()
        st.media[mid] = len(data)
        return JSONResponse({"data": {"id": mid, "media_key": f"3_{mid}", "expires_after_secs": 86400, "size": len(data)}})

    @app.get("/x/2/users/{user_id}/tweets")
    async def x_timeline(user_id: str, request: Request, start_time: str | None = None) -> Response:
        if not st.authorized("x", request):
            return unauthorized("x")
        posts = [p for p in st.posts["x"].values() if p.account in (user_id, _x_user(request))]
        data = [
            {"id": p.id, "text": p.text, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(p.created_at))} for p in posts
        ]
        return JSONResponse({"data": data, "meta": {"result_count": len(data)}})

    @app.get("/x/2/tweets")
    async def x_lookup(request: Request, ids: str = "") -> Response:
        if not st.authorized("x", request):
            return unauthorized("x")
        data, errors = [], []
        for tid in [i for i in ids.split(",") if i]:
            p = st.posts["x"].get(tid)
            if not p:
                errors.append(
                    {
                        "value": tid,
                        "detail": f"Could not find tweet with ids: [{tid}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            m = st.metrics(p)
            data.append(
                {
                    "id": p.id,
                    "text": p.text,
                    "public_metrics": {
                        "retweet_count": m["shares"],
                        "reply_count": m["comments"],
                        "like_count": m["likes"],
                        "quote_count": 0,
                        "bookmark_count": m["saves"],
                        "impression_count": m["impressions"],
                    },
                    "non_public_metrics": {"impression_count": m["impressions"], "url_link_clicks": m["clicks"], "user_profile_clicks": 0},
                }
            )
        body: dict = {"data": data}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, headers=rate_headers("x", _x_user(request)))

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
            return unauthorized("linkedin")
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

        return await create("linkedin", body["author"], body.get("commentary", ""), respond, {"media": images})

    @app.post("/linkedin/rest/images")
    async def li_image_init(request: Request, action: str = "") -> Response:
        if not st.authorized("linkedin", request):
            return unauthorized("linkedin")
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
            return unauthorized("linkedin")
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
            return unauthorized("linkedin")
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

    # ---------- Meta Graph (Facebook pages and Instagram) ----------
    def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None) -> JSONResponse:
        err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "sandbox"}
        if subcode:
            err["error_subcode"] = subcode
        return JSONResponse({"error": err}, status_code=status)

    for prefix in ("facebook", "instagram"):
        _graph_routes(app, prefix, st, create, unauthorized, graph_error)

    # ---------- TikTok ----------
    def tt_ok(data: dict) -> JSONResponse:
        return JSONResponse({"data": data, "error": {"code": "ok", "message": "", "log_id": "sandbox"}})

    @app.post("/tiktok/v2/post/publish/content/init/")
    async def tt_init(request: Request) -> Response:
        token = tiktok_open_id(st.oauth, _token(request))
        if not token:
            return unauthorized("tiktok")
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

        return await create("tiktok", token, text, respond, {"images": images})

    @app.post("/tiktok/v2/post/publish/status/fetch/")
    async def tt_status(request: Request) -> Response:
        if not st.authorized("tiktok", request):
            return unauthorized("tiktok")
        body = await request.json()
        pub = st.publishes.get(body.get("publish_id", ""))
        if not pub:
            return JSONResponse(
                {"error": {"code": "invalid_params", "message": "publish_id not found", "log_id": "sandbox"}}, status_code=400
            )
        pub["polls"] += 1
        if pub["polls"] < 2:
            return tt_ok({"status": "PROCESSING_DOWNLOAD"})
        return tt_ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [pub["post"]]})

    @app.post("/tiktok/v2/video/list/")
    async def tt_list(request: Request) -> Response:
        token = tiktok_open_id(st.oauth, _token(request))
        if not token:
            return unauthorized("tiktok")
        vids = [
            {"id": p.id, "title": p.text[:90], "video_description": p.text, "create_time": int(p.created_at)}
            for p in st.posts["tiktok"].values()
            if p.account == token
        ]
        return tt_ok({"videos": vids[-20:], "cursor": 0, "has_more": False})

    @app.post("/tiktok/v2/video/query/")
    async def tt_query(request: Request) -> Response:
        if not st.authorized("tiktok", request):
            return unauthorized("tiktok")
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

    return app


def _graph_routes(app: FastAPI, prefix: str, st: SandboxState, create, unauthorized, graph_error) -> None:  # type: ignore[no-untyped-def]
    base = f"/{prefix}/{{version}}"

    @app.post(base + "/{node}/feed", name=f"{prefix}_feed_create")
    async def feed_create(node: str, request: Request) -> Response:
        if not st.authorized("facebook", request):
            return unauthorized("facebook")
        form = await request.form()
        message = str(form.get("message", ""))
        if not message and not form.get("link"):
            return graph_error("(#100) Missing message or attachment", 100)
        for p in st.posts["facebook"].values():
            if p.account == node and p.text == message and time.time() - p.created_at < 60:
                return graph_error("(#506) Duplicate status message", 506)
        return await create("facebook", node, message, lambda p: JSONResponse({"id": p.id}), {"link": form.get("link")})

    @app.post(base + "/{node}/photos", name=f"{prefix}_photos_create")
    async def photo_create(node: str, request: Request) -> Response:
        if not st.authorized("facebook", request):
            return unauthorized("facebook")
        form = await request.form()
        if not form.get("url"):
            return graph_error("(#324) Requires upload file", 324)
        caption = str(form.get("caption", ""))
        return await create(
            "facebook", node, caption, lambda p: JSONResponse({"id": st.next_id(), "post_id": p.id}), {"photo": form.get("url")}
        )

    @app.get(base + "/{node}/feed", name=f"{prefix}_feed_list")
    async def feed_list(node: str, request: Request, since: int = 0) -> Response:
        if not st.authorized("facebook", request):
            return unauthorized("facebook")
        data = [
            {"id": p.id, "message": p.text, "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p.created_at))}
            for p in st.posts["facebook"].values()
            if p.account == node and p.created_at >= since
        ]
        return JSONResponse({"data": data, "paging": {}})

    @app.post(base + "/{node}/media", name=f"{prefix}_media_create")
    async def ig_container(node: str, request: Request) -> Response:
        if not st.authorized("instagram", request):
            return unauthorized("instagram")
        form = await request.form()
        if not form.get("image_url") and not form.get("video_url") and form.get("media_type") != "CAROUSEL":
            return graph_error("(#100) The parameter image_url is required", 100)
        if len(str(form.get("caption", ""))) > 2200:
            return graph_error("(#100) The caption is too long", 100)
        cid = st.next_id()
        st.containers[cid] = {
            "owner": node,
            "caption": str(form.get("caption", "")),
            "image_url": form.get("image_url"),
            "polls": 0,
            "published": None,
        }
        return JSONResponse({"id": cid})

    @app.post(base + "/{node}/comments", name=f"{prefix}_comments")
    async def comment(node: str, request: Request) -> Response:
        if not st.authorized(prefix, request):
            return unauthorized(prefix)
        p = st.posts["instagram"].get(node) or st.posts["facebook"].get(node)
        if not p:
            return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
        form = await request.form()
        p.extra.setdefault("comments", []).append(str(form.get("message", "")))
        return JSONResponse({"id": st.next_id()})

    @app.get(base + "/{node}/media", name=f"{prefix}_media_list")
    async def ig_media_list(node: str, request: Request) -> Response:
        if not st.authorized("instagram", request):
            return unauthorized("instagram")
        data = [
            {
                "id": p.id,
                "caption": p.text,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p.created_at)),
                "permalink": f"https://www.instagram.com/p/{p.id}/",
            }
            for p in st.posts["instagram"].values()
            if p.account == node
        ]
        return JSONResponse({"data": data, "paging": {}})

    @app.post(base + "/{node}/media_publish", name=f"{prefix}_media_publish")
    async def ig_publish(node: str, request: Request) -> Response:
        if not st.authorized("instagram", request):
            return unauthorized("instagram")
        form = await request.form()
        c = st.containers.get(str(form.get("creation_id", "")))
        if not c or c["owner"] != node:
            return graph_error("(#100) Invalid creation_id", 100)
        if c["polls"] < 1:
            return graph_error("Media ID is not available", 9007, subcode=2207027)
        if c["published"]:
            return JSONResponse({"id": c["published"]})

        def respond(p: Post) -> Response:
            c["published"] = p.id
            return JSONResponse({"id": p.id})

        return await create("instagram", node, c["caption"], respond, {"image_url": c["image_url"]})

    @app.get(base + "/{node}/insights", name=f"{prefix}_insights")
    async def insights(node: str, request: Request, metric: str = "") -> Response:
        if not st.authorized(prefix, request):
            return unauthorized(prefix)
        plat = "instagram" if node in st.posts["instagram"] else "facebook"
        p = st.posts[plat].get(node)
        if not p:
            return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
        m = st.metrics(p)
        known = {
            "post_media_view": m["impressions"],
            "post_clicks": m["clicks"],
            "post_total_media_view_unique": int(m["impressions"] * 0.8),
            "views": m["impressions"],
            "reach": int(m["impressions"] * 0.8),
            "likes": m["likes"],
            "comments": m["comments"],
            "saved": m["saves"],
            "shares": m["shares"],
            "total_interactions": m["likes"] + m["comments"] + m["shares"] + m["saves"],
        }
        data = []
        for name in [x for x in metric.split(",") if x]:
            if name not in known:
                return graph_error(f"(#100) The value must be a valid insights metric: {name}", 100)
            data.append({"name": name, "period": "lifetime", "values": [{"value": known[name]}], "id": f"{node}/insights/{name}/lifetime"})
        return JSONResponse({"data": data})

    @app.get(base + "/{node}", name=f"{prefix}_node")
    async def node_get(node: str, request: Request, fields: str = "") -> Response:
        if not st.authorized(prefix, request):
            return unauthorized(prefix)
        if "instagram_business_account" in fields and node in st.oauth.pages:
            ig = st.oauth.pages[node]
            return JSONResponse({"instagram_business_account": {"id": ig["id"], "username": ig["username"]}, "id": node})
        if node in st.containers:
            c = st.containers[node]
            c["polls"] += 1
            status = "FINISHED" if c["polls"] >= 1 else "IN_PROGRESS"
            if c["published"]:
                status = "PUBLISHED"
            return JSONResponse({"id": node, "status_code": status, "status": status})
        p = st.posts["facebook"].get(node) or st.posts["instagram"].get(node)
        if not p:
            return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
        m = st.metrics(p)
        return JSONResponse(
            {
                "id": node,
                "reactions": {"data": [], "summary": {"total_count": m["likes"]}},
                "comments": {"data": [], "summary": {"total_count": m["comments"], "order": "ranked"}},
                "shares": {"count": m["shares"]},
                "permalink_url": f"https://www.facebook.com/{node}",
            }
        )
