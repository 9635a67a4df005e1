"""The Meta Graph API for Facebook pages and Instagram business accounts: feed and photo posts,
media containers (carousels through children), publish, comments, insights.

Strict where Meta is: every edge checks its permission (:mod:`sandbox.scopes`: #200 for page posts,
#10 elsewhere); insights take only the current metric names, and one retired metric in a request
fails the whole call with #100 (Graph v22+: Instagram media ``impressions``, ``plays``,
``video_views`` gave way to ``views`` — github.com/gitroomhq/postiz-app/issues/622,
developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights; Facebook's
``post_impressions*`` family to ``post_media_view`` / ``post_total_media_view_unique``,
developers.facebook.com/docs/graph-api/reference/insights); an Instagram image outside 4:5–1.91:1
is refused with code 36003, subcode 2207009 (developers.facebook.com/docs/instagram-platform/
instagram-graph-api/reference/error-codes)."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.platforms import Plumbing, meta_usage, replies
from sandbox.platforms.uploads import reel_container, reel_publish, reel_status
from sandbox.state import Post, SandboxState


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "sandbox"}
    if subcode:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status)


# Insight metrics by node kind: the current names, and those Meta retired (asked: #100, the whole call fails).
IG_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions", "follows", "profile_visits")
IG_RETIRED = (
    "impressions",
    "plays",
    "video_views",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "carousel_album_impressions",
    "carousel_album_engagement",
    "engagement",
)
FB_METRICS = ("post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total", "post_reactions_like_total")
FB_RETIRED = (
    "post_impressions",
    "post_impressions_unique",
    "post_impressions_paid",
    "post_impressions_organic",
    "post_impressions_fan",
    "post_engaged_users",
)
PAGE_POSTING = (
    "If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission"
)
IG_RATIO = (0.8, 1.91)  # 4:5 to 1.91:1


async def image_ratio(url: str) -> float | None:
    """Width / height of the image at ``url``, as Instagram measures the one it downloads. None when it
    cannot be fetched or read: the sandbox cannot reach every host a test names (real Instagram
    refuses those too, with 2207052), so an unreachable image is let through."""
    if not url.startswith(("http://", "https://")):
        return None
    try:
        async with httpx.AsyncClient(timeout=3.0) as http:
            resp = await http.get(url, follow_redirects=True)
        if resp.status_code != 200:
            return None
        from PIL import Image

        with Image.open(io.BytesIO(resp.content)) as img:
            w, h = img.size
    except (httpx.HTTPError, OSError, ValueError):
        return None
    return w / h if h else None


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    meta_usage.install(app, st)  # the usage headers and throttling of every Graph answer
    for prefix in ("facebook", "instagram"):
        _graph_routes(app, prefix, st, wire)


def _graph_routes(app: FastAPI, prefix: str, st: SandboxState, wire: Plumbing) -> None:
    base = f"/{prefix}/{{version}}"

    @app.post(base + "/{node}/feed", name=f"{prefix}_feed_create")
    async def feed_create(node: str, request: Request) -> Response:
        if (
            no := wire.refused("facebook", request, "pages_manage_posts", "pages_read_engagement", what=PAGE_POSTING, meta_code=200)
        ) is not None:
            return no
        form = await request.form()
        message = str(form.get("message", ""))
        if not message and not form.get("link"):
            return graph_error("(#100) Missing message or attachment", 100)
        if len(message) > 63206:
            return graph_error("(#100) The message is too long: at most 63206 characters", 100)
        for p in st.posts["facebook"].values():
            if p.account == node and p.text == message and time.time() - p.created_at < 60:
                return graph_error("(#506) Duplicate status message", 506)
        return await wire.create("facebook", node, message, lambda p: JSONResponse({"id": p.id}), {"link": form.get("link")})

    @app.post(base + "/{node}/photos", name=f"{prefix}_photos_create")
    async def photo_create(node: str, request: Request) -> Response:
        if (
            no := wire.refused("facebook", request, "pages_manage_posts", "pages_read_engagement", what=PAGE_POSTING, meta_code=200)
        ) is not None:
            return no
        form = await request.form()
        if not form.get("url"):
            return graph_error("(#324) Requires upload file", 324)
        caption = str(form.get("caption", ""))
        return await wire.create(
            "facebook", node, caption, lambda p: JSONResponse({"id": st.next_id(), "post_id": p.id}), {"photo": form.get("url")}
        )

    @app.get(base + "/{node}/feed", name=f"{prefix}_feed_list")
    async def feed_list(node: str, request: Request, since: int = 0) -> Response:
        if (no := wire.refused("facebook", request, "pages_read_engagement")) is not None:
            return no
        data = [
            {"id": p.id, "message": p.text, "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(p.created_at))}
            for p in st.posts["facebook"].values()
            if p.account == node and p.created_at >= since
        ]
        return JSONResponse({"data": data, "paging": {}})

    @app.post(base + "/{node}/media", name=f"{prefix}_media_create")
    async def ig_container(node: str, request: Request) -> Response:
        if (no := wire.refused("instagram", request, "instagram_basic", "instagram_content_publish")) is not None:
            return no
        form = await request.form()
        if form.get("media_type") == "REELS":
            return reel_container(st, request, node, request.path_params["version"], form)
        if not form.get("image_url") and not form.get("video_url") and form.get("media_type") != "CAROUSEL":
            return graph_error("(#100) The parameter image_url is required", 100)
        if len(str(form.get("caption", ""))) > 2200:
            return graph_error("(#100) The caption is too long", 100)
        ratio = await image_ratio(str(form.get("image_url") or ""))
        if ratio is not None and not IG_RATIO[0] <= ratio <= IG_RATIO[1]:
            return graph_error(
                f"The submitted image with aspect ratio ('{ratio:.2f}:1') cannot be published. Please submit an image with a valid aspect ratio.",
                36003,
                subcode=2207009,
            )
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
        if node in st.comments:  # a reply to a comment: the inbox's write side
            return await replies.comment_reply(prefix, node, request, st, wire)
        need = ("instagram_basic", "instagram_manage_comments") if node in st.posts["instagram"] else ("pages_manage_engagement",)
        if (no := wire.refused(prefix, request, *need)) is not None:
            return no
        p = st.posts["instagram"].get(node) or st.posts["facebook"].get(node)
        if not p:
            return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
        form = await request.form()
        p.extra.setdefault("comments", []).append(str(form.get("message", "")))
        return JSONResponse({"id": st.next_id()})

    @app.get(base + "/{node}/media", name=f"{prefix}_media_list")
    async def ig_media_list(node: str, request: Request) -> Response:
        if (no := wire.refused("instagram", request, "instagram_basic")) is not None:
            return no
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
        if (no := wire.refused("instagram", request, "instagram_basic", "instagram_content_publish")) is not None:
            return no
        form = await request.form()
        c = st.containers.get(str(form.get("creation_id", "")))
        if not c or c["owner"] != node:
            return graph_error("(#100) Invalid creation_id", 100)
        if c.get("kind") == "reel":
            return await reel_publish(st, wire, node, c)
        if c["polls"] < 1:
            return graph_error("Media ID is not available", 9007, subcode=2207027)
        if c["published"]:
            return JSONResponse({"id": c["published"]})

        def respond(p: Post) -> Response:
            c["published"] = p.id
            return JSONResponse({"id": p.id})

        return await wire.create("instagram", node, c["caption"], respond, {"image_url": c["image_url"]})

    @app.get(base + "/{node}/insights", name=f"{prefix}_insights")
    async def insights(node: str, request: Request, metric: str = "") -> Response:
        plat = "instagram" if node in st.posts["instagram"] else "facebook" if node in st.posts["facebook"] else prefix
        need = ("instagram_manage_insights",) if plat == "instagram" else ("read_insights", "pages_read_engagement")
        if (no := wire.refused(prefix, request, *need)) is not None:
            return no
        p = st.posts[plat].get(node)
        if not p:
            return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
        m = st.metrics(p)
        reach = int(m["impressions"] * 0.8)
        known: dict[str, Any] = (
            {
                "views": m["impressions"],
                "reach": reach,
                "likes": m["likes"],
                "comments": m["comments"],
                "saved": m["saves"],
                "shares": m["shares"],
                "total_interactions": m["likes"] + m["comments"] + m["shares"] + m["saves"],
                "follows": 0,
                "profile_visits": 0,
            }
            if plat == "instagram"
            else {
                "post_media_view": m["impressions"],
                "post_total_media_view_unique": reach,
                "post_clicks": m["clicks"],
                "post_reactions_by_type_total": {"like": m["likes"]},
                "post_reactions_like_total": m["likes"],
            }
        )
        retired = IG_RETIRED if plat == "instagram" else FB_RETIRED
        data = []
        for name in [x for x in metric.split(",") if x]:
            if name in retired:  # one retired metric fails the whole request, as Meta does
                return graph_error(
                    f"(#100) Starting from version v22.0 and above, the {name} metric is no longer supported."
                    " Please refer to the documentation for a list of supported metrics.",
                    100,
                )
            if name not in known:
                return graph_error(f"(#100) The value must be a valid insights metric: {name}", 100)
            data.append({"name": name, "period": "lifetime", "values": [{"value": known[name]}], "id": f"{node}/insights/{name}/lifetime"})
        return JSONResponse({"data": data})

    @app.get(base + "/{node}", name=f"{prefix}_node")
    async def node_get(node: str, request: Request, fields: str = "") -> Response:
        ig_ids = {ig["id"] for ig in st.oauth.pages.values()}
        if fields == "followers_count" and (node in st.oauth.pages or node in ig_ids):
            # A Page's or an Instagram professional account's field (Graph API reference: Page, IG User).
            plat = "instagram" if node in ig_ids else "facebook"
            if (no := wire.refused(prefix, request, "instagram_basic" if plat == "instagram" else "pages_read_engagement")) is not None:
                return no
            return JSONResponse({"followers_count": st.followers(plat, node), "id": node})
        facebook_post = node in st.posts["facebook"]
        need = "pages_read_engagement" if facebook_post else "instagram_basic"  # a page's Instagram account, a container, a media
        if (no := wire.refused(prefix, request, need)) is not None:
            return no
        if "instagram_business_account" in fields and node in st.oauth.pages:
            ig = st.oauth.pages[node]
            return JSONResponse({"instagram_business_account": {"id": ig["id"], "username": ig["username"]}, "id": node})
        if node in st.containers and st.containers[node].get("kind") == "reel":
            status = reel_status(st.containers[node])
            return JSONResponse({"id": node, "status_code": status, "status": status})
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
