"""X API v2: tweets (threads by reply), media upload, the user's timeline, tweet lookup with metrics.

As strict as X: every request is checked against X's OpenAPI document (:mod:`.openapi`); every link
in a tweet's text comes back as a ``t.co`` link with ``entities.urls``; a tweet repeating one of the
user's recent tweets is refused; only the fields asked for are returned; every answer carries the
endpoint's rate-limit headers and a spent window answers 429."""

from __future__ import annotations

import hashlib
import re
import string
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import x_user_id
from sandbox.platforms import Plumbing
from sandbox.platforms.openapi import check_body, check_query, invalid_request, operation, x_spec
from sandbox.state import Comment, Post, SandboxState, _token

# Per user and endpoint, (requests, window seconds): https://docs.x.com/x-api/fundamentals/rate-limits
# and ../shared/docs/platform-apis.md (POST /2/tweets: 100 per 15 min per user, 10,000 per 24 h per app).
USER_LIMITS: dict[str, tuple[int, int]] = {
    "POST /2/tweets": (100, 15 * 60),
    "GET /2/tweets": (5000, 15 * 60),
    "GET /2/users/{id}/tweets": (900, 15 * 60),
    "POST /2/media/upload": (1875, 15 * 60),
    "GET /2/users/me": (75, 15 * 60),
}
APP_LIMITS: dict[str, tuple[int, int]] = {"POST /2/tweets": (10_000, 86400)}
OTHER_LIMIT = (300, 15 * 60)  # an endpoint the table above does not name: X's common 15-minute default
# X does not document how far back it looks for a duplicate; a day is the stricter reading.
DUPLICATE_WINDOW = 86400.0
# The fields X returns without being asked: https://docs.x.com/x-api/fundamentals/fields
DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
_ALPHABET = string.ascii_letters + string.digits
_SCHEMED = re.compile(r"(?i)https?://[^\s]+")


def weighted_length(text: str) -> int:
    import warnings

    with warnings.catch_warnings():  # twitter-text imports pkg_resources, which warns on import
        warnings.simplefilter("ignore")
        from twitter_text import parse_tweet
    return int(parse_tweet(text).weightedLength)


def _links(text: str) -> list[tuple[int, int, str]]:
    """Where the links are, as X finds them (twitter-text), and every ``http(s)://`` one besides:
    twitter-text passes over unknown TLDs (the tests' ``.example``), the sandbox wraps them too so
    every test's link goes through ``t.co``, the stricter reading."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from twitter_text import extract_urls_with_indices
    found = [(u["indices"][0], u["indices"][1], u["url"]) for u in extract_urls_with_indices(text)]
    for m in _SCHEMED.finditer(text):
        url = m.group(0).rstrip(".,;:!?)]}'\"")
        start, end = m.start(), m.start() + len(url)
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, url))
    return sorted(found)


def tco(url: str) -> str:
    """A ``t.co`` link of X's shape (23 characters), the same for the same URL."""
    n = int.from_bytes(hashlib.sha256(url.encode()).digest()[:12], "big")
    code = ""
    for _ in range(10):
        n, r = divmod(n, len(_ALPHABET))
        code += _ALPHABET[r]
    return f"https://t.co/{code}"


def wrap_links(text: str) -> tuple[str, list[dict[str, Any]]]:
    """X's rewrite of a tweet's text: each link replaced by its t.co link, and the ``entities.urls``
    that say where (code point offsets into the new text) and what it stands for.
    https://docs.x.com/x-api/fundamentals/data-dictionary (Tweet ``entities.urls``)."""
    out, urls, pos = "", [], 0
    for start, end, url in _links(text):
        out += text[pos:start]
        link = tco(url)
        expanded = url if re.match(r"(?i)https?://", url) else f"http://{url}"
        display = re.sub(r"(?i)^https?://(www\.)?", "", expanded)
        urls.append(
            {
                "start": len(out),
                "end": len(out) + len(link),
                "url": link,
                "expanded_url": expanded,
                "display_url": display if len(display) <= 26 else display[:26] + "…",
            }
        )
        out += link
        pos = end
    return out + text[pos:], urls


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    spec = x_spec()

    def x_user(request: Request) -> str:
        # X derives the user from the bearer token.
        return x_user_id(st.oauth, _token(request)) or ""

    def endpoint(method: str, path: str) -> str:
        found = operation(spec, method, path)
        return f"{method} {found[0] if found else path}"

    def problem(errors: list[dict[str, Any]]) -> JSONResponse:
        return JSONResponse(invalid_request(errors), status_code=400)

    def query_errors(request: Request, method: str, path: str) -> list[dict[str, Any]]:
        found = operation(spec, method, path)
        assert found is not None
        _, op, path_params = found
        # docs.x.com names the fields parameter ``tweet.fields``, the OpenAPI document ``post.fields``:
        # both are accepted (../shared/docs/platform-apis.md: where sources disagree, accept both).
        query = [("post.fields" if k == "tweet.fields" else k, v) for k, v in request.query_params.multi_items()]
        return check_query(spec, op, query, path_params)

    def fields(request: Request) -> set[str]:
        raw = request.query_params.get("post.fields") or request.query_params.get("tweet.fields") or ""
        return {*DEFAULT_FIELDS, *[f for f in raw.split(",") if f]}

    def render(p: Post, wanted: set[str]) -> dict[str, Any]:
        tweet: dict[str, Any] = {"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]}
        if "created_at" in wanted:
            tweet["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(p.created_at))
        if "author_id" in wanted:
            tweet["author_id"] = p.account
        if "conversation_id" in wanted:
            tweet["conversation_id"] = p.extra.get("conversation_id") or p.id
        if "entities" in wanted and p.extra.get("urls"):  # X leaves out what a tweet does not have
            tweet["entities"] = {"urls": p.extra["urls"]}
        if "attachments" in wanted and p.extra.get("media"):
            tweet["attachments"] = {"media_keys": [f"3_{m}" for m in p.extra["media"]]}
        if "referenced_tweets" in wanted and p.extra.get("in_reply_to"):
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": p.extra["in_reply_to"]}]
        if {"public_metrics", "non_public_metrics"} & wanted:
            m = st.metrics(p)
            if "public_metrics" in wanted:
                tweet["public_metrics"] = {
                    "retweet_count": m["shares"],
                    "reply_count": m["comments"],
                    "like_count": m["likes"],
                    "quote_count": 0,
                    "bookmark_count": m["saves"],
                    "impression_count": m["impressions"],
                }
            if "non_public_metrics" in wanted:
                tweet["non_public_metrics"] = {
                    "impression_count": m["impressions"],
                    "url_link_clicks": m["clicks"],
                    "user_profile_clicks": 0,
                }
        return tweet

    @app.middleware("http")
    async def x_rate_windows(request: Request, call_next):  # type: ignore[no-untyped-def]
        """Every X answer says where its window stands; a request in a spent one is refused before
        it does anything. Per endpoint and user (and per app where X counts that too)."""
        path = request.url.path
        if not path.startswith("/x/2/") or path.startswith("/x/2/oauth2/"):  # the authorization server counts nothing
            return await call_next(request)
        name = endpoint(request.method, path[2:])
        user = x_user(request) or "unauthenticated"
        windows = [(f"x:{user}:{name}", *USER_LIMITS.get(name, OTHER_LIMIT))]
        if name in APP_LIMITS:
            windows.append((f"x:app:{name}", *APP_LIMITS[name]))
        states = [st.window(key, limit, seconds) for key, limit, seconds in windows]
        limit, remaining, reset = states[0]
        headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, remaining - 1)), "x-rate-limit-reset": str(reset)}
        if len(states) > 1:
            a_limit, a_remaining, a_reset = states[1]
            headers |= {
                "x-app-limit-24hour-limit": str(a_limit),
                "x-app-limit-24hour-remaining": str(max(0, a_remaining - 1)),
                "x-app-limit-24hour-reset": str(a_reset),
            }
        if any(r <= 0 for _, r, _ in states):
            headers["x-rate-limit-remaining"] = str(max(0, remaining))
            headers.update({"x-app-limit-24hour-remaining": str(max(0, states[1][1]))} if len(states) > 1 else {})
            # X API v2's 429 body (problem form): https://docs.x.com/x-api/fundamentals/rate-limits
            body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
            return JSONResponse(body, status_code=429, headers=headers)
        for key, _, _ in windows:
            st.calls.setdefault(key, []).append(time.time())
        response = await call_next(request)
        if response.status_code == 429:  # an armed fault's own answer says when to come back
            response.headers.setdefault("x-rate-limit-limit", str(limit))
        else:
            for k, v in headers.items():
                response.headers[k] = v
        return response

    @app.post("/x/2/tweets")
    async def x_create(request: Request) -> Response:
        if (no := wire.refused("x", request, "tweet.read", "tweet.write", "users.read")) is not None:  # the OpenAPI document's security
            return no
        errors = query_errors(request, "POST", "/2/tweets")
        try:
            body = await request.json()
        except ValueError:
            return problem([{"message": "The request body is not valid JSON"}])
        found = operation(spec, "POST", "/2/tweets")
        assert found is not None
        errors += check_body(spec, found[1], request.headers.get("content-type", ""), body)
        if errors:
            return problem(errors)
        text = body.get("text", "")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return problem([{"message": "$.text: text is required unless media is provided"}])
        if weighted_length(text) > 280:  # as X counts: twitter-text, URLs 23, CJK and emoji 2
            return JSONResponse(
                {"detail": "Your Tweet text is too long.", "type": "about:blank", "title": "Forbidden", "status": 403}, status_code=403
            )
        account = x_user(request)
        if any(m not in st.media for m in media_ids):
            return problem([{"parameters": {"media.media_ids": media_ids}, "message": "Your media IDs are invalid."}])
        now = time.time()
        if any(
            p.account == account and now - p.created_at < DUPLICATE_WINDOW and p.extra.get("submitted_text", p.text) == text
            for p in st.posts["x"].values()
        ):
            return JSONResponse(  # X's answer to a repeated tweet (seen in e.g. github.com/tweepy/tweepy issues)
                {
                    "detail": "You are not allowed to create a Tweet with duplicate content.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
                status_code=403,
            )
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        parent = st.posts["x"].get(reply_to or "")
        answered = st.comments.get(reply_to or "")  # a simulated user's tweet (sandbox.talk)
        answered = answered if answered is not None and answered.platform == "x" else None
        if reply_to and parent is None and answered is None:
            return problem(
                [{"parameters": {"reply.in_reply_to_tweet_id": [reply_to]}, "message": "The Tweet you are replying to is not available."}]
            )
        shown, urls = wrap_links(text)
        extra = {
            "in_reply_to": reply_to,
            "media": media_ids,
            "urls": urls,
            "submitted_text": text,
            "conversation_id": (parent.extra.get("conversation_id") or parent.id) if parent else None,
        }
        if answered is not None:
            root = st.posts["x"].get(answered.post_id)
            extra["conversation_id"] = (root.extra.get("conversation_id") or root.id) if root else answered.post_id or answered.id

        def created(p: Post) -> Response:
            if answered is not None:  # the account's reply joins the thread and comes back by webhook, as its own tweets do
                mine = Comment(p.id, "x", answered.account, answered.post_id, account, account, p.text, p.created_at, parent_id=answered.id)
                request.app.state.talk.enqueue("x", st.add_comment(mine), [p.id])
            return JSONResponse({"data": {"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]}}, status_code=201)

        return await wire.create("x", account, shown, created, extra)

    @app.post("/x/2/media/upload")
    async def x_media(request: Request) -> Response:
        if (no := wire.refused("x", request, "media.write")) is not None:  # the OpenAPI document's security
            return no
        errors = query_errors(request, "POST", "/2/media/upload")
        form = await request.form()
        media = form.get("media")
        data = await media.read() if hasattr(media, "read") else str(media or "").encode()
        found = operation(spec, "POST", "/2/media/upload")
        assert found is not None
        values = {k: ("<binary>" if hasattr(v, "read") else v) for k, v in form.multi_items()}
        errors += check_body(spec, found[1], request.headers.get("content-type", ""), values)
        if errors:
            return problem(errors)
        if not data or len(data) > 5 << 20:
            return problem([{"message": "media: an image of at most 5 MB is required"}])
        mid = st.next_id()
        st.media[mid] = len(data)
        return JSONResponse({"data": {"id": mid, "media_key": f"3_{mid}", "expires_after_secs": 86400, "size": len(data)}})

    @app.get("/x/2/users/{user_id}/tweets")
    async def x_timeline(user_id: str, request: Request) -> Response:
        """Newest first, ``max_results`` (default 10) a page, ``meta.next_token`` to the next:
        https://docs.x.com/x-api/posts/timelines/introduction"""
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:  # the OpenAPI document's security
            return no
        errors = query_errors(request, "GET", f"/2/users/{user_id}/tweets")
        if errors:
            return problem(errors)
        q = request.query_params

        def at(name: str) -> float | None:
            from datetime import datetime

            raw = q.get(name)
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() if raw else None

        start, end = at("start_time"), at("end_time")
        excluded = set((q.get("exclude") or "").split(","))
        posts = [
            p
            for p in st.posts["x"].values()
            if p.account == user_id
            and (start is None or p.created_at >= start)
            and (end is None or p.created_at < end)
            and (not q.get("since_id") or int(p.id) > int(q["since_id"]))
            and (not q.get("until_id") or int(p.id) < int(q["until_id"]))
            and not ("replies" in excluded and p.extra.get("in_reply_to"))
        ]
        posts.sort(key=lambda p: (p.created_at, int(p.id)), reverse=True)
        size = int(q.get("max_results") or 10)
        offset = int(q["pagination_token"][1:]) if (q.get("pagination_token") or "").startswith("p") else 0
        page = posts[offset : offset + size]
        wanted = fields(request)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0].id, "oldest_id": page[-1].id}
        if offset + size < len(posts):
            meta["next_token"] = f"p{offset + size}"
        body: dict[str, Any] = {"meta": meta}
        if page:  # X leaves ``data`` out of an empty page
            body = {"data": [render(p, wanted) for p in page], "meta": meta}
        return JSONResponse(body)

    @app.get("/x/2/tweets")
    async def x_lookup(request: Request) -> Response:
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:  # the OpenAPI document's security
            return no
        errors = query_errors(request, "GET", "/2/tweets")
        if errors:
            return problem(errors)
        wanted = fields(request)
        data, missing = [], []
        for tid in request.query_params["ids"].split(","):
            p = st.posts["x"].get(tid)
            if not p:
                missing.append(
                    {
                        "value": tid,
                        "detail": f"Could not find tweet with ids: [{tid}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": tid,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            data.append(render(p, wanted))
        body: dict[str, Any] = {"data": data} if data else {}
        if missing:
            body["errors"] = missing
        return JSONResponse(body)
