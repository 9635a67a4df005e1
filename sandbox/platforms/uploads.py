"""Video uploads as the platforms take them (../shared/docs/video.md §3), with their rules enforced:

YouTube    POST /upload/youtube/v3/videos?uploadType=resumable (session URI in ``Location``), PUT chunks
           in multiples of 256 KiB but the last (``308 Resume Incomplete`` + ``Range``), the status query
           ``Content-Range: bytes */TOTAL``, 404 for an expired session, ``quotaExceeded`` /
           ``uploadLimitExceeded``, private for an unverified app, ``thumbnails.set`` (≤ 2 MB),
           ``captions.insert`` (multipart/related), ``videos.list`` (status, processing, statistics),
           ``search.list?forMine``, the Analytics API's views and minutes watched.
Instagram  a ``REELS`` container with ``upload_type=resumable``, ``rupload`` POSTs with ``offset`` and
           ``file_size`` (GET: the confirmed offset), container status IN_PROGRESS / FINISHED /
           PUBLISHED / ERROR / EXPIRED, ``media_publish`` once and only once FINISHED, 50 a day.
TikTok     ``creator_info`` first, ``video/init`` with ``FILE_UPLOAD`` and the chunk plan (5–64 MB chunks,
           the last up to 128 MB, count = floor(size / chunk)), sequential ``PUT``s with
           ``Content-Range``, ``status/fetch`` with ``uploaded_bytes``, errors with HTTP 200 and a code,
           6 inits a minute.

Scopes (:mod:`sandbox.scopes`, developers.google.com/youtube/v3/docs, .../youtube/analytics/reference):
``videos.insert`` and ``thumbnails.set`` ``youtube.upload`` (or ``youtube``, ``youtube.force-ssl``),
``videos.list`` and ``search.list`` ``youtube.readonly``, ``captions.insert`` ``youtube.force-ssl``,
the Analytics API ``yt-analytics.readonly``; TikTok's ``creator_info`` and ``video/init`` ``video.publish``.
A custom thumbnail on an unverified channel is refused: 403 ``forbidden`` "The authenticated user
doesn't have permissions to upload and set custom video thumbnails." (thumbnails.set, "Errors").

Operator: ``POST /_sandbox/uploads`` {"scale": n, "youtube_verified": bool, "tiktok_audited": bool}
divides every byte threshold by ``scale`` (small files through multi-chunk paths); upload faults are
``POST /_sandbox/faults`` {"platform", "target": "upload", "mode": drop|error|expire|hang|quota, "times"}:
a connection dropped mid-chunk (part of the bytes kept), a 5xx on a chunk, an expired session, a
timeout on the finishing call (the work done, the answer late), a quota exhausted."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from email.parser import BytesParser
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from sandbox.oauth import identity
from sandbox.platforms import Plumbing
from sandbox.scopes import YT, Need, lacking, refusal
from sandbox.state import Post, SandboxState, _token

KIB, MIB = 1024, 1024 * 1024
YT_UNIT = 256 * KIB


def scope_refused(st: SandboxState, request: Request, platform: str, *needs: Need) -> Response | None:
    """The platform's scope refusal when the request's live token lacks one of ``needs``."""
    scope = lacking(st.granted(platform, request) or [], *needs)
    return refusal(platform, scope) if scope else None


UPLOAD: Need = (YT + "youtube.upload", YT + "youtube", YT + "youtube.force-ssl")
READ: Need = (YT + "youtube.readonly", YT + "youtube", YT + "youtube.force-ssl")


def config(st: SandboxState) -> dict[str, Any]:
    return st.upload_config


def unit(st: SandboxState, size: int) -> int:
    return max(1, size // int(config(st)["scale"]))


def dropped(kept: int) -> Response:
    """The connection drops while the answer is on its way: the client cannot know what was kept."""

    async def body() -> Any:
        yield b""
        raise ConnectionResetError(f"sandbox: connection dropped mid-chunk ({kept} bytes kept)")

    return StreamingResponse(body(), status_code=200, headers={"content-length": "64"})


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    _youtube(app, st)
    _instagram(app, st)
    _tiktok(app, st)

    @app.post("/_sandbox/uploads")
    async def upload_config(body: dict) -> dict:
        for k in ("scale", "youtube_verified", "tiktok_audited", "youtube_daily_uploads"):
            if k in body:
                st.upload_config[k] = body[k]
        return dict(st.upload_config)


def _video(st: SandboxState, platform: str, owner: str, text: str, data: bytes, extra: dict[str, Any], vid: str | None = None) -> Post:
    post = Post(vid or st.next_id(), platform, owner, text, time.time(), {"video": True, "size": len(data), **extra})
    post.extra["sha256"] = hashlib.sha256(data).hexdigest()
    st.posts[platform][post.id] = post
    return post


# ---------------------------------------------------------------- YouTube
def _yt_error(status: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": status, "message": message, "errors": [{"domain": "youtube.video", "reason": reason, "message": message}]}},
        status_code=status,
    )


def _yt_resource(p: Post, polls: int = 0) -> dict[str, Any]:
    x = p.extra
    return {
        "kind": "youtube#video",
        "id": p.id,
        "snippet": {
            "channelId": p.account,
            "title": p.text,
            "description": x.get("description", ""),
            "tags": x.get("tags", []),
            "publishedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(p.created_at)),
        },
        "status": {
            "uploadStatus": "processed" if polls >= 1 else "uploaded",
            "privacyStatus": x.get("privacy", "private"),
            "selfDeclaredMadeForKids": x.get("made_for_kids", False),
        },
    }


def _youtube(app: FastAPI, st: SandboxState) -> None:
    path = "/youtube/upload/youtube/v3/videos"

    def channel(request: Request) -> str | None:
        g = st.oauth.valid(_token(request), ("youtube",))
        return identity("youtube", g.user)["channel"] if g else None

    def unauthorized() -> JSONResponse:
        return _yt_error(401, "authError", "Request had invalid authentication credentials.")

    @app.post(path)
    async def yt_init(request: Request, uploadType: str = "", part: str = "") -> Response:  # noqa: N803 - the API's names
        ch = channel(request)
        if ch is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", UPLOAD)) is not None:
            return no
        if uploadType != "resumable":
            return _yt_error(400, "badRequest", "this sandbox takes resumable uploads (uploadType=resumable)")
        try:
            total = int(request.headers["x-upload-content-length"])
        except (KeyError, ValueError):
            return _yt_error(400, "badRequest", "X-Upload-Content-Length is required")
        kind = request.headers.get("x-upload-content-type", "")
        if not (kind.startswith("video/") or kind == "application/octet-stream"):
            return _yt_error(400, "badRequest", f"X-Upload-Content-Type {kind!r}: video/* or application/octet-stream")
        body = await request.json()
        snippet, status = body.get("snippet") or {}, body.get("status") or {}
        title = str(snippet.get("title", ""))
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return _yt_error(400, "invalidTitle", "The request metadata specifies an invalid or empty video title.")
        if len(str(snippet.get("description", "")).encode()) > 5000:
            return _yt_error(400, "invalidDescription", "The request metadata specifies an invalid video description.")
        if "selfDeclaredMadeForKids" not in status:
            return _yt_error(400, "invalidVideoMetadata", "status.selfDeclaredMadeForKids is required (the audience must be declared)")
        fault = st.take_fault("youtube:upload", ("quota",))
        today = [p for p in st.posts["youtube"].values() if p.account == ch and p.created_at > time.time() - 86400]
        if fault or len(today) >= int(config(st)["youtube_daily_uploads"]):
            reason = "quotaExceeded" if fault else "uploadLimitExceeded"
            return _yt_error(403, reason, "The request cannot be completed because you have exceeded your quota.")
        sid = secrets.token_urlsafe(12)
        privacy = status.get("privacyStatus", "private") if config(st)["youtube_verified"] else "private"
        st.uploads[sid] = {
            "platform": "youtube",
            "owner": ch,
            "total": total,
            "data": bytearray(),
            "done": None,
            "expired": False,
            "meta": {
                "title": title,
                "description": str(snippet.get("description", "")),
                "tags": list(snippet.get("tags") or []),
                "privacy": privacy,
                "made_for_kids": bool(status.get("selfDeclaredMadeForKids")),
            },
        }
        location = f"{str(request.base_url).rstrip('/')}{path}?uploadType=resumable&upload_id={sid}"
        return Response(status_code=200, headers={"Location": location})

    @app.put(path)
    async def yt_put(request: Request, upload_id: str = "") -> Response:
        s = st.uploads.get(upload_id)
        if s is None or s["expired"]:
            return _yt_error(404, "notFound", "The upload session does not exist or has expired.")
        total, got = s["total"], len(s["data"])
        rng = request.headers.get("content-range", "")
        body = await request.body()
        if rng == f"bytes */{total}":  # where are we?
            if s["done"]:
                return JSONResponse(_yt_resource(st.posts["youtube"][s["done"]]), status_code=200)
            return Response(status_code=308, headers={"Range": f"bytes=0-{got - 1}"} if got else {})
        try:
            span, size = rng.removeprefix("bytes ").split("/")
            first, last = (int(v) for v in span.split("-"))
        except ValueError:
            return _yt_error(400, "badRequest", f"Content-Range {rng!r}: bytes a-b/total")
        if int(size) != total or first != got or last - first + 1 != len(body) or last >= total:
            return _yt_error(400, "badContent", f"Content-Range {rng!r} does not continue the {got} bytes received of {total}")
        final = last + 1 == total
        if not final and len(body) % unit(st, YT_UNIT):
            return _yt_error(400, "badContent", f"a chunk but the last must be a multiple of {unit(st, YT_UNIT)} bytes; got {len(body)}")
        fault = st.take_fault("youtube:upload", ("drop", "error", "expire", "hang"))
        if fault and fault.mode == "error":
            return _yt_error(503, "backendError", "Backend Error")
        if fault and fault.mode == "expire":
            s["expired"] = True
            return _yt_error(404, "notFound", "The upload session does not exist or has expired.")
        if fault and fault.mode == "drop":
            keep = len(body) // 2 // unit(st, YT_UNIT) * unit(st, YT_UNIT)
            s["data"] += body[:keep]
            return dropped(keep)
        s["data"] += body
        if not final:
            return Response(status_code=308, headers={"Range": f"bytes=0-{len(s['data']) - 1}"})
        vid = secrets.token_urlsafe(8)[:11].replace("-", "x").replace("_", "y")
        post = _video(
            st, "youtube", s["owner"], s["meta"]["title"], bytes(s["data"]), {k: v for k, v in s["meta"].items() if k != "title"}, vid
        )
        s["done"], s["data"] = post.id, bytearray()  # the bytes are the platform's now
        s["size"] = total
        if fault and fault.mode == "hang":
            await asyncio.sleep(fault.hang_seconds)
        return JSONResponse(_yt_resource(post), status_code=200)

    @app.get("/youtube/youtube/v3/videos")
    async def yt_list(request: Request, id: str = "", part: str = "") -> Response:  # noqa: A002 - the API's name
        if channel(request) is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", READ)) is not None:
            return no
        items = []
        for vid in [v for v in id.split(",") if v]:
            p = st.posts["youtube"].get(vid)
            if p is None:
                continue
            p.extra["polls"] = p.extra.get("polls", 0) + 1
            item = _yt_resource(p, p.extra["polls"])
            m = st.metrics(p)
            item["statistics"] = {"viewCount": str(m["impressions"]), "likeCount": str(m["likes"]), "commentCount": str(m["comments"])}
            item["processingDetails"] = {"processingStatus": "succeeded" if p.extra["polls"] >= 1 else "processing"}
            items.append(item)
        return JSONResponse({"kind": "youtube#videoListResponse", "items": items, "pageInfo": {"totalResults": len(items)}})

    @app.get("/youtube/youtube/v3/search")
    async def yt_search(request: Request, forMine: bool = False, q: str = "", maxResults: int = 25) -> Response:  # noqa: N803
        ch = channel(request)
        if ch is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", READ)) is not None:
            return no
        if not forMine:
            return _yt_error(400, "badRequest", "this sandbox searches the caller's own videos (forMine=true)")
        mine = sorted((p for p in st.posts["youtube"].values() if p.account == ch), key=lambda p: -p.created_at)
        hits = [p for p in mine if not q or q in p.text or q in p.extra.get("description", "") or q in p.extra.get("tags", [])]
        items = [
            {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": p.id}, "snippet": _yt_resource(p)["snippet"]}
            for p in hits
        ]
        return JSONResponse({"kind": "youtube#searchListResponse", "items": items[: max(1, min(maxResults, 50))]})

    @app.post("/youtube/upload/youtube/v3/thumbnails/set")
    async def yt_thumbnail(request: Request, videoId: str = "") -> Response:  # noqa: N803
        ch = channel(request)
        if ch is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", UPLOAD)) is not None:
            return no
        p = st.posts["youtube"].get(videoId)
        if p is None or p.account != ch:
            return _yt_error(404, "videoNotFound", "The video that you are trying to update cannot be found.")
        if not config(st)["youtube_verified"]:  # custom thumbnails need a verified channel
            return _yt_error(403, "forbidden", "The authenticated user doesn't have permissions to upload and set custom video thumbnails.")
        body = await request.body()
        if request.headers.get("content-type", "").split(";")[0] not in ("image/jpeg", "image/png"):
            return _yt_error(400, "invalidImage", "The thumbnail must be a JPEG or PNG image.")
        if len(body) > 2 * MIB:
            return _yt_error(400, "mediaBodyTooBig", "The thumbnail is larger than 2 MB.")
        p.extra["thumbnail"] = hashlib.sha256(body).hexdigest()
        return JSONResponse(
            {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": f"https://i.ytimg.com/vi/{videoId}/default.jpg"}}]}
        )

    @app.post("/youtube/upload/youtube/v3/captions")
    async def yt_captions(request: Request, part: str = "", uploadType: str = "") -> Response:  # noqa: N803
        ch = channel(request)
        if ch is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", (YT + "youtube.force-ssl", YT + "youtubepartner"))) is not None:
            return no
        kind = request.headers.get("content-type", "")
        if uploadType != "multipart" or not kind.startswith("multipart/related"):
            return _yt_error(400, "badRequest", "captions.insert takes uploadType=multipart with a multipart/related body")
        msg = BytesParser().parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + await request.body())
        parts = msg.get_payload() if msg.is_multipart() else []
        if len(parts) != 2:
            return _yt_error(400, "badRequest", "two parts: the caption's JSON, then the track")
        import json

        meta = json.loads(parts[0].get_payload(decode=True) or b"{}")
        snippet = meta.get("snippet", {})
        p = st.posts["youtube"].get(str(snippet.get("videoId", "")))
        if p is None or p.account != ch:
            return _yt_error(404, "videoNotFound", "The video that you are trying to caption cannot be found.")
        track = parts[1].get_payload(decode=True) or b""
        if not track.strip():
            return _yt_error(400, "contentRequired", "The caption track is empty.")
        cid = secrets.token_urlsafe(8)
        p.extra.setdefault("captions", []).append({"id": cid, "language": snippet.get("language", ""), "bytes": len(track)})
        return JSONResponse(
            {
                "kind": "youtube#caption",
                "id": cid,
                "snippet": {"videoId": p.id, "language": snippet.get("language"), "name": snippet.get("name", "")},
            }
        )

    @app.get("/youtube/youtubeanalytics/v2/reports")
    async def yt_reports(request: Request, metrics: str = "", filters: str = "", ids: str = "") -> Response:
        ch = channel(request)
        if ch is None:
            return unauthorized()
        if (no := scope_refused(st, request, "youtube", (YT + "yt-analytics.readonly", YT + "yt-analytics-monetary.readonly"))) is not None:
            return no
        wanted = [v for v in filters.removeprefix("video==").split(",") if v]
        names = [m for m in metrics.split(",") if m]
        rows = []
        for vid in wanted:
            p = st.posts["youtube"].get(vid)
            if p is None or p.account != ch:
                continue
            m = st.metrics(p)
            known = {"views": m["impressions"], "estimatedMinutesWatched": m["impressions"] * 37 // 60, "averageViewDuration": 37,
                     "likes": m["likes"], "comments": m["comments"], "shares": m["shares"]}  # fmt: skip
            rows.append([vid, *(known.get(n, 0) for n in names)])
        headers = [{"name": "video", "columnType": "DIMENSION"}] + [{"name": n, "columnType": "METRIC"} for n in names]
        return JSONResponse({"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows})


# ---------------------------------------------------------------- Instagram Reels
def _ig_error(message: str, code: int, subcode: int | None = None, status: int = 400) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "sandbox"}
    if subcode:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status)


def reel_container(st: SandboxState, request: Request, node: str, version: str, form: Any) -> Response:
    """``media_type=REELS&upload_type=resumable``: a container waiting for its bytes."""
    if form.get("upload_type") != "resumable":
        return _ig_error("(#100) this sandbox takes Reels by upload_type=resumable", 100)
    if len(str(form.get("caption", ""))) > 2200:
        return _ig_error("(#100) The caption is too long", 100)
    cid = st.next_id()
    st.containers[cid] = {
        "kind": "reel",
        "owner": node,
        "caption": str(form.get("caption", "")),
        "share_to_feed": str(form.get("share_to_feed", "true")) == "true",
        "cover_url": form.get("cover_url"),
        "total": None,
        "data": bytearray(),
        "polls": 0,
        "published": None,
        "created": time.time(),
        "expired": False,
    }
    uri = f"{str(request.base_url).rstrip('/')}/instagram/rupload/ig-api-upload/{version}/{cid}"
    return JSONResponse({"id": cid, "uri": uri})


def reel_status(c: dict[str, Any]) -> str:
    if c["published"]:
        return "PUBLISHED"
    if c["expired"] or time.time() - c["created"] > 86400:
        return "EXPIRED"
    if c["total"] is None or len(c["data"]) < c["total"]:
        return "IN_PROGRESS"
    c["polls"] += 1
    return "FINISHED" if c["polls"] >= 2 else "IN_PROGRESS"


async def reel_publish(st: SandboxState, wire: Plumbing, node: str, c: dict[str, Any]) -> Response:
    if c["published"]:
        return _ig_error("(#9007) The media has already been published", 9007, 2207008)
    if c["expired"]:
        return _ig_error("The media container has expired; create a new one", 2207020, 2207020)
    if c["total"] is None or len(c["data"]) < c["total"] or c["polls"] < 2:
        return _ig_error("Media ID is not available", 9007, 2207027)
    fault = st.take_fault("instagram:upload", ("quota", "hang"))
    day = [p for p in st.posts["instagram"].values() if p.account == node and p.created_at > time.time() - 86400 and p.extra.get("video")]
    if (fault and fault.mode == "quota") or len(day) >= 50:
        return _ig_error("Application request limit reached: 50 API-published posts in 24 hours", 9, 2207042)
    extra = {"share_to_feed": c["share_to_feed"], "cover_url": c["cover_url"]}
    post = _video(st, "instagram", node, c["caption"], bytes(c["data"]), extra)
    c["published"], c["data"] = post.id, bytearray()
    if fault and fault.mode == "hang":
        await asyncio.sleep(fault.hang_seconds)
    return JSONResponse({"id": post.id})


def _instagram(app: FastAPI, st: SandboxState) -> None:
    def container(request: Request, cid: str) -> dict[str, Any] | JSONResponse:
        """The reel container the rupload URI names, for a caller with a live token (``OAuth <token>``)."""
        auth = request.headers.get("authorization", "")
        if st.oauth.valid(auth.removeprefix("OAuth ").strip(), ("facebook",)) is None:
            return _ig_error("Invalid OAuth access token.", 190, status=401)
        c = st.containers.get(cid)
        if c is None or c.get("kind") != "reel":
            return _ig_error("(#100) Invalid container", 100)
        return c

    @app.post("/instagram/rupload/ig-api-upload/{version}/{cid}")
    async def rupload(version: str, cid: str, request: Request) -> Response:
        c = container(request, cid)
        if isinstance(c, JSONResponse):
            return c
        if c["expired"]:
            return _ig_error("The media container has expired; create a new one", 2207020, 2207020)
        try:
            offset, size = int(request.headers["offset"]), int(request.headers["file_size"])
        except (KeyError, ValueError):
            return _ig_error("(#100) offset and file_size headers are required", 100)
        if c["total"] not in (None, size) or size > unit(st, 300 * MIB) or size <= 0:
            return _ig_error(f"(#100) file_size {size}: the container's is {c['total']}, at most {unit(st, 300 * MIB)}", 100)
        if offset != len(c["data"]):
            return JSONResponse({"debug_info": {"retriable": False, "type": "ProcessingFailedError",
                                                "message": f"offset {offset} does not match the {len(c['data'])} bytes received"}}, status_code=400)  # fmt: skip
        body = await request.body()
        if offset + len(body) > size:
            return _ig_error("(#100) more bytes than file_size", 100)
        c["total"] = size
        fault = st.take_fault("instagram:upload", ("drop", "error", "expire"))
        if fault and fault.mode == "error":
            return _ig_error("An unknown error occurred", 2207053, 2207053, status=500)
        if fault and fault.mode == "expire":
            c["expired"] = True
            return _ig_error("The media container has expired; create a new one", 2207020, 2207020)
        if fault and fault.mode == "drop":
            keep = len(body) // 2
            c["data"] += body[:keep]
            return dropped(keep)
        c["data"] += body
        return JSONResponse({"success": True, "message": "Upload successful."})

    @app.get("/instagram/rupload/ig-api-upload/{version}/{cid}")
    async def rupload_offset(version: str, cid: str, request: Request) -> Response:
        c = container(request, cid)
        if isinstance(c, JSONResponse):
            return c
        return JSONResponse({"offset": len(c["data"]) if not c["published"] else c["total"]})


# ---------------------------------------------------------------- TikTok
def _tt(data: dict[str, Any] | None = None, code: str = "ok", message: str = "", status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data or {}, "error": {"code": code, "message": message, "log_id": "sandbox"}}, status_code=status)


def chunk_problem(st: SandboxState, size: int, chunk: int, count: int) -> str | None:
    """What TikTok's media transfer guide refuses in a chunk plan (None: the plan is valid)."""
    lo, hi, last_max = unit(st, 5 * MIB), unit(st, 64 * MIB), unit(st, 128 * MIB)
    if size <= 0 or chunk <= 0 or count <= 0:
        return "video_size, chunk_size and total_chunk_count must be positive"
    if size < lo:
        return None if chunk == size and count == 1 else f"a video under {lo} bytes is sent whole: chunk_size = video_size, one chunk"
    if not lo <= chunk <= hi:
        return f"chunk_size {chunk}: between {lo} and {hi} bytes"
    if count != size // chunk or not 1 <= count <= 1000:
        return f"total_chunk_count {count}: floor(video_size / chunk_size) = {size // chunk}"
    if size - chunk * (count - 1) > last_max:
        return f"the last chunk would be {size - chunk * (count - 1)} bytes; at most {last_max}"
    return None


def _tiktok(app: FastAPI, st: SandboxState) -> None:
    def open_id(request: Request) -> str | None:
        g = st.oauth.valid(_token(request), ("tiktok",))
        return identity("tiktok", g.user)["open_id"] if g else None

    def unauthorized() -> JSONResponse:
        return _tt(code="access_token_invalid", message="The access token is invalid or not found in the request.", status=401)

    def options() -> list[str]:
        return (
            ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
            if config(st)["tiktok_audited"]
            else ["SELF_ONLY"]
        )

    @app.post("/tiktok/v2/post/publish/creator_info/query/")
    async def creator_info(request: Request) -> Response:
        me = open_id(request)
        if me is None:
            return unauthorized()
        if (no := scope_refused(st, request, "tiktok", "video.publish")) is not None:
            return no
        st.upload_config.setdefault("asked", set()).add(me)
        return _tt({
            "creator_username": f"user_{me[:6]}", "creator_nickname": "Sandbox creator", "creator_avatar_url": "",
            "privacy_level_options": options(), "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True,
            "max_video_post_duration_sec": 600,
        })  # fmt: skip

    @app.post("/tiktok/v2/post/publish/video/init/")
    async def video_init(request: Request) -> Response:
        me = open_id(request)
        if me is None:
            return unauthorized()
        if (no := scope_refused(st, request, "tiktok", "video.publish")) is not None:
            return no
        if me not in st.upload_config.get("asked", set()):
            return _tt(code="invalid_params", message="query creator_info before posting", status=400)
        now = time.time()
        recent = [t for t in st.calls.get(f"tiktok-init:{me}", []) if t > now - 60]
        if len(recent) >= 6:
            return _tt(code="rate_limit_exceeded", message="6 video inits per minute per user", status=429)
        st.calls[f"tiktok-init:{me}"] = [*recent, now]
        body = await request.json()
        post, source = body.get("post_info") or {}, body.get("source_info") or {}
        if source.get("source") != "FILE_UPLOAD":
            return _tt(code="invalid_params", message="this sandbox takes source FILE_UPLOAD", status=400)
        if post.get("privacy_level") not in options():
            return _tt(code="privacy_level_option_mismatch", message=f"privacy_level must be one of {options()}", status=400)
        if len(str(post.get("title", "")).encode("utf-16-le")) // 2 > 2200:
            return _tt(code="invalid_params", message="title: at most 2200 UTF-16 units", status=400)
        size, chunk, count = (int(source.get(k) or 0) for k in ("video_size", "chunk_size", "total_chunk_count"))
        if problem := chunk_problem(st, size, chunk, count):
            return _tt(code="invalid_params", message=problem, status=400)
        if st.take_fault("tiktok:upload", ("quota",)):
            return _tt(code="spam_risk_too_many_posts", message="The user has posted too many times")  # HTTP 200
        pid = f"v_pub_{st.next_id()}"
        st.publishes[pid] = {
            "kind": "video", "owner": me, "total": size, "chunk": chunk, "count": count, "data": bytearray(),
            "title": str(post.get("title", "")), "privacy": post["privacy_level"], "post": None, "polls": 0, "expired": False,
            "drops": 0,
        }  # fmt: skip
        upload_url = f"{str(request.base_url).rstrip('/')}/tiktok/upload/video/?upload_id={pid}"
        return _tt({"publish_id": pid, "upload_url": upload_url})

    @app.put("/tiktok/upload/video/")
    async def video_put(request: Request, upload_id: str = "") -> Response:
        pub = st.publishes.get(upload_id)
        if pub is not None and pub.get("post"):
            return _tt(code="invalid_params", message="the upload is complete", status=400)
        if pub is None or pub.get("kind") != "video" or pub["expired"]:
            return _tt(code="invalid_params", message="upload_url has expired or does not exist", status=404)
        rng = request.headers.get("content-range", "")
        body = await request.body()
        got, total, chunk = len(pub["data"]), pub["total"], pub["chunk"]
        try:
            span, size = rng.removeprefix("bytes ").split("/")
            first, last = (int(v) for v in span.split("-"))
        except ValueError:
            return _tt(code="invalid_params", message=f"Content-Range {rng!r}: bytes a-b/total", status=400)
        index = got // chunk
        expect = total - got if index == pub["count"] - 1 else chunk
        if int(size) != total or first != got or len(body) != expect or last - first + 1 != len(body):
            return _tt(code="invalid_params", message=f"chunks go in order: expected bytes {got}-{got + expect - 1}/{total}", status=400)
        fault = st.take_fault("tiktok:upload", ("drop", "error", "expire", "hang"))
        if fault and fault.mode == "error":
            return _tt(code="internal_error", message="internal error", status=500)
        if fault and fault.mode == "expire":
            pub["expired"] = True
            return _tt(code="invalid_params", message="upload_url has expired", status=404)
        landed = not (fault and fault.mode == "drop") or (pub["drops"] + 1) % 2 == 1
        if fault and fault.mode == "drop":
            pub["drops"] += 1  # a chunk is whole or absent: every other time it landed before the connection dropped
        if landed:
            pub["data"] += body
        if len(pub["data"]) == total and not pub["post"]:
            post = _video(st, "tiktok", pub["owner"], pub["title"], bytes(pub["data"]), {"privacy": pub["privacy"]})
            pub["post"], pub["data"] = post.id, bytearray()  # the bytes are the platform's now
        if fault and fault.mode == "drop":
            return dropped(len(body) if landed else 0)
        if not pub["post"]:
            return Response(status_code=206)
        if fault and fault.mode == "hang":
            await asyncio.sleep(fault.hang_seconds)
        return Response(status_code=201)


def video_status(pub: dict[str, Any]) -> dict[str, Any]:
    """status/fetch for a FILE_UPLOAD video publish."""
    if pub["expired"] and not pub["post"]:
        return {"status": "FAILED", "fail_reason": "upload_expired", "uploaded_bytes": len(pub["data"])}
    if not pub["post"]:
        return {"status": "PROCESSING_UPLOAD", "uploaded_bytes": len(pub["data"])}
    pub["polls"] += 1
    if pub["polls"] < 2:
        return {"status": "PROCESSING_DOWNLOAD", "uploaded_bytes": pub["total"]}
    return {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [pub["post"]], "uploaded_bytes": pub["total"]}
