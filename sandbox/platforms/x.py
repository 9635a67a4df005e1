"""X API v2: tweets (threads by reply), media upload, the user's timeline, tweet lookup with metrics."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import x_user_id
from sandbox.platforms import Plumbing
from sandbox.state import SandboxState, _token


def weighted_length(text: str) -> int:
    import warnings

    with warnings.catch_warnings():  # twitter-text imports pkg_resources, which warns on import
        warnings.simplefilter("ignore")
        from twitter_text import parse_tweet
    return int(parse_tweet(text).weightedLength)


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
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
        if (no := wire.refused("x", request, "tweet.read", "tweet.write", "users.read")) is not None:  # the OpenAPI document's security
            return no
        body = await request.json()
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return x_invalid("text: required")
        if weighted_length(text) > 280:  # as X counts: twitter-text, URLs 23, CJK and emoji 2
            return JSONResponse(
                {"detail": "Your Tweet text is too long.", "type": "about:blank", "title": "Forbidden", "status": 403}, status_code=403
            )
        account = _x_user(request)
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if any(m not in st.media for m in media_ids) or len(media_ids) > 4:
            return x_invalid("media.media_ids: unknown or more than 4")
        extra = {"in_reply_to": body.get("reply", {}).get("in_reply_to_tweet_id"), "media": media_ids}
        return await wire.create(
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
        if (no := wire.refused("x", request, "media.write")) is not None:  # the OpenAPI document's security
            return no
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
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:  # the OpenAPI document's security
            return no
        posts = [p for p in st.posts["x"].values() if p.account in (user_id, _x_user(request))]
        data = [
            {"id": p.id, "text": p.text, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(p.created_at))} for p in posts
        ]
        return JSONResponse({"data": data, "meta": {"result_count": len(data)}})

    @app.get("/x/2/tweets")
    async def x_lookup(request: Request, ids: str = "") -> Response:
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:  # the OpenAPI document's security
            return no
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
        return JSONResponse(body, headers=wire.rate_headers("x", _x_user(request)))
