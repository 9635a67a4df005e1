"""The listings a sweep reads to find what a webhook lost: each platform's comments and conversations
of :mod:`sandbox.talk`'s model, in its own shape, paging and scopes.

- Meta Graph (``/facebook/{v}`` and ``/instagram/{v}``): ``GET /{ig-media-id}/comments`` (Instagram:
  ``instagram_basic`` + ``instagram_manage_comments``; default fields id, text, timestamp —
  developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments),
  ``GET /{ig-comment-id}/replies``, ``GET /{fb-post-or-comment-id}/comments`` (``pages_read_engagement``
  + ``pages_read_user_content``; default fields created_time, from, message, id —
  developers.facebook.com/docs/graph-api/reference/object/comments), ``GET /{page-or-ig-id}/conversations``
  (``platform=instagram|messenger``, ``user_id``; Messenger ``pages_messaging``, Instagram
  ``instagram_basic`` + ``instagram_manage_messages``; newest first, default fields id, updated_time)
  and ``GET /{conversation-id}/messages`` (only the 20 most recent messages of a conversation can be
  read — developers.facebook.com/docs/messenger-platform/conversations). Cursor paging: ``limit``
  (25), ``after``/``before``, ``paging.cursors`` and ``paging.next`` only while there is more.
  An unknown field is ``(#100) Tried accessing nonexisting field``.
- X: ``GET /2/users/{id}/mentions``, ``GET /2/tweets/search/recent?query=conversation_id:…`` (the
  last 7 days only), ``GET /2/dm_events`` and ``GET /2/dm_conversations/with/{id}/dm_events`` (the
  last 30 days; ``dm.read``), checked against X's OpenAPI document like every X call, with
  ``meta.next_token`` paging (docs.x.com/x-api/posts/search/introduction, .../direct-messages/lookup).
- LinkedIn: ``GET /rest/socialActions/{post-or-comment-urn}/comments`` (``start``/``count``,
  ``paging.links``; an organization's posts need ``r_organization_social`` —
  learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api).
- TikTok: ``GET /open_api/v1.3/business/comment/list/`` (TikTok API for Business, ``Access-Token``
  header, scope ``comment.list``, ``cursor``/``max_count`` ≤ 30, ``has_more``; answers are HTTP 200
  with ``code`` 0, errors a non-zero ``code`` — business-api.tiktok.com/portal/docs, "Get comments").
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import x_user_id
from sandbox.platforms import Plumbing
from sandbox.platforms.meta import graph_error
from sandbox.platforms.openapi import check_query, invalid_request, operation, x_spec
from sandbox.state import Comment, Conversation, Message, SandboxState, _token

META_LAST_MESSAGES = 20
X_SEARCH_DAYS = 7
X_DM_DAYS = 30
IG_COMMENT_FIELDS = ("id", "text", "timestamp", "username", "from", "like_count", "hidden", "parent_id", "media")
FB_COMMENT_FIELDS = ("id", "message", "created_time", "from", "parent", "is_hidden", "comment_count", "like_count")
CONVERSATION_FIELDS = ("id", "updated_time", "participants", "messages", "message_count", "link")
MESSAGE_FIELDS = ("id", "created_time", "from", "to", "message", "story")


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def _x_iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def _cursor(i: int) -> str:
    return base64.b64encode(f"sbx:{i}".encode()).decode().rstrip("=")


def _uncursor(raw: str) -> int | None:
    try:
        text = base64.b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except ValueError:
        return None
    return int(text[4:]) if text.startswith("sbx:") and text[4:].isdigit() else None


def meta_page(request: Request, items: list[Any], render, default_limit: int = 25) -> Response:  # type: ignore[no-untyped-def]
    """Meta's cursor paging over ``items``: ``limit``, ``after``/``before`` cursors, ``next`` and
    ``previous`` URLs only when there is more that way."""
    q = request.query_params
    try:
        limit = max(1, min(int(q.get("limit") or default_limit), 100))
    except ValueError:
        return graph_error("(#100) Param limit must be a number", 100)
    start = 0
    if q.get("after"):
        at = _uncursor(q["after"])
        if at is None:
            return graph_error("(#100) The after cursor is not valid", 100)
        start = at + 1
    elif q.get("before"):
        at = _uncursor(q["before"])
        if at is None:
            return graph_error("(#100) The before cursor is not valid", 100)
        start = max(0, at - limit)
    page = items[start : start + limit]
    body: dict[str, Any] = {"data": [render(x) for x in page]}
    if page:
        paging: dict[str, Any] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}}
        base = str(request.url).split("?")[0]
        keep = [(k, v) for k, v in q.multi_items() if k not in ("after", "before")]
        if start + len(page) < len(items):
            paging["next"] = f"{base}?{urlencode([*keep, ('after', paging['cursors']['after'])])}"
        if start > 0:
            paging["previous"] = f"{base}?{urlencode([*keep, ('before', paging['cursors']['before'])])}"
        body["paging"] = paging
    return JSONResponse(body)


def _fields(request: Request, default: tuple[str, ...], known: tuple[str, ...], node_type: str) -> list[str] | Response:
    raw = request.query_params.get("fields")
    wanted = [f.split("{")[0].split(".")[0] for f in raw.split(",") if f] if raw else list(default)
    for f in wanted:
        if f not in known:
            return graph_error(f"(#100) Tried accessing nonexisting field ({f}) on node type ({node_type})", 100)
    return wanted


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    for prefix in ("facebook", "instagram"):
        _meta(app, prefix, st, wire)
    _x(app, st, wire)
    _linkedin(app, st, wire)
    _tiktok(app, st)


# ---------------------------------------------------------------------------- Meta
def _meta(app: FastAPI, prefix: str, st: SandboxState, wire: Plumbing) -> None:
    base = f"/{prefix}/{{version}}"
    ig_need = ("instagram_basic", "instagram_manage_comments")
    fb_need = ("pages_read_engagement", "pages_read_user_content")

    def ig_comment(c: Comment, wanted: list[str]) -> dict[str, Any]:
        every = {
            "id": c.id,
            "text": c.text,
            "timestamp": _iso(c.created_at),
            "username": c.author_name,
            "from": {"id": c.author_id, "username": c.author_name},
            "like_count": 0,
            "hidden": c.hidden,
            "parent_id": c.parent_id or None,
            "media": {"id": c.post_id},
        }
        return {k: every[k] for k in wanted if every[k] is not None}

    def fb_comment(c: Comment, wanted: list[str]) -> dict[str, Any]:
        every = {
            "id": c.id,
            "message": c.text,
            "created_time": _iso(c.created_at),
            "from": {"id": c.author_id, "name": c.author_name},
            "parent": {"id": c.parent_id} if c.parent_id else None,
            "is_hidden": c.hidden,
            "comment_count": len(c.replies),
            "like_count": 0,
        }
        return {k: every[k] for k in wanted if every[k] is not None}

    def visible(found: list[Comment]) -> list[Comment]:
        return [c for c in found if c.kind == "comment"]  # a mention lives on someone else's media

    @app.get(base + "/{node}/comments", name=f"{prefix}_comments_list")
    async def comments(node: str, request: Request) -> Response:
        if node in st.posts["instagram"]:
            if (no := wire.refused(prefix, request, *ig_need)) is not None:
                return no
            wanted = _fields(request, ("timestamp", "text", "id"), IG_COMMENT_FIELDS, "IGComment")
            if isinstance(wanted, Response):
                return wanted
            found = visible(st.comments_on("instagram", node))
            return meta_page(request, found, lambda c: ig_comment(c, wanted))
        parent = st.comments.get(node)
        if node in st.posts["facebook"] or (parent is not None and parent.platform == "facebook"):
            if (no := wire.refused(prefix, request, *fb_need)) is not None:
                return no
            wanted = _fields(request, ("created_time", "from", "message", "id"), FB_COMMENT_FIELDS, "Comment")
            if isinstance(wanted, Response):
                return wanted
            post_id = parent.post_id if parent else node
            if parent is None and request.query_params.get("filter") == "stream":  # every level, in time order
                found = sorted(
                    (c for c in st.comments.values() if c.platform == "facebook" and c.post_id == post_id), key=lambda c: c.created_at
                )
            else:
                found = st.comments_on("facebook", post_id, parent.id if parent else "")
            if request.query_params.get("order") == "reverse_chronological":
                found = found[::-1]
            return meta_page(request, visible(found), lambda c: fb_comment(c, wanted))
        return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)

    @app.get(base + "/{node}/replies", name=f"{prefix}_replies_list")
    async def replies(node: str, request: Request) -> Response:
        c = st.comments.get(node)
        if c is None or c.platform != "instagram":
            return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
        if (no := wire.refused(prefix, request, *ig_need)) is not None:
            return no
        wanted = _fields(request, ("timestamp", "text", "id"), IG_COMMENT_FIELDS, "IGComment")
        if isinstance(wanted, Response):
            return wanted
        return meta_page(request, st.comments_on("instagram", c.post_id, c.id), lambda r: ig_comment(r, wanted))

    def needs(platform: str) -> tuple[str, ...]:
        return ("instagram_basic", "instagram_manage_messages") if platform == "instagram" else ("pages_messaging",)

    def message_json(conv: Conversation, m: Message, wanted: list[str]) -> dict[str, Any]:
        def who(uid: str) -> dict[str, Any]:
            name = conv.participant_name if uid == conv.participant_id else ""
            return {"id": uid, ("username" if conv.platform == "instagram" else "name"): name}

        other = conv.account if m.sender_id == conv.participant_id else conv.participant_id
        every = {
            "id": m.id,
            "created_time": _iso(m.created_at),
            "from": who(m.sender_id),
            "to": {"data": [who(other)]},
            "message": m.text,
            "story": {"reply_to": {"id": m.story_id}} if m.story_id else None,
        }
        return {k: every[k] for k in wanted if every[k] is not None}

    @app.get(base + "/{node}/conversations", name=f"{prefix}_conversations")
    async def conversations(node: str, request: Request, platform: str = "", user_id: str = "") -> Response:
        ig_of_page = st.oauth.pages.get(node, {}).get("id")
        if platform == "instagram" or (prefix == "instagram" and ig_of_page is None):
            kind, account = "instagram", ig_of_page or node
        elif platform in ("", "messenger"):
            kind, account = "facebook", node
        else:
            return graph_error("(#100) Param platform must be one of {MESSENGER, INSTAGRAM}", 100)
        if (no := wire.refused(prefix, request, *needs(kind))) is not None:
            return no
        wanted = _fields(request, ("id", "updated_time"), CONVERSATION_FIELDS, "UnifiedThread")
        if isinstance(wanted, Response):
            return wanted
        found = [c for c in st.conversations.values() if c.platform == kind and c.account == account]
        if user_id:
            found = [c for c in found if c.participant_id == user_id]
        found.sort(key=lambda c: c.updated_at, reverse=True)

        def render(c: Conversation) -> dict[str, Any]:
            name_key = "username" if kind == "instagram" else "name"
            every: dict[str, Any] = {
                "id": c.id,
                "updated_time": _iso(c.updated_at),
                "participants": {"data": [{"id": c.participant_id, name_key: c.participant_name}, {"id": c.account, name_key: ""}]},
                "messages": {"data": [{"id": m.id, "created_time": _iso(m.created_at)} for m in c.messages[::-1][:META_LAST_MESSAGES]]},
                "message_count": len(c.messages),
                "link": f"/{c.account}/inbox/{c.id}",
            }
            return {k: every[k] for k in wanted}

        return meta_page(request, found, render)

    @app.get(base + "/{node}/messages", name=f"{prefix}_conversation_messages")
    async def messages(node: str, request: Request) -> Response:
        conv = st.conversations.get(node)
        if conv is None or conv.platform not in ("instagram", "facebook"):
            return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
        if (no := wire.refused(prefix, request, *needs(conv.platform))) is not None:
            return no
        wanted = _fields(request, ("id", "created_time"), MESSAGE_FIELDS, "Message")
        if isinstance(wanted, Response):
            return wanted
        recent = conv.messages[::-1][:META_LAST_MESSAGES]  # newest first; older ones cannot be read
        return meta_page(request, recent, lambda m: message_json(conv, m, wanted))


# ---------------------------------------------------------------------------- X
def _x(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    spec = x_spec()

    def problems(request: Request, path: str) -> list[dict[str, Any]]:
        found = operation(spec, "GET", path)
        assert found is not None
        query = [("post.fields" if k == "tweet.fields" else k, v) for k, v in request.query_params.multi_items()]
        return check_query(spec, found[1], query, found[2])

    def token_page(request: Request, items: list[Any], default: int, param: str = "pagination_token") -> tuple[list[Any], dict[str, Any]]:
        q = request.query_params
        size = int(q.get("max_results") or default)
        raw = q.get(param) or q.get("pagination_token") or ""
        offset = int(raw[3:]) if raw.startswith("sbx") and raw[3:].isdigit() else 0
        page = items[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + size < len(items):
            meta["next_token"] = f"sbx{offset + size:013d}"  # X's tokens are opaque, 16+ characters
        if offset > 0:
            meta["previous_token"] = f"sbx{max(0, offset - size):013d}"
        return page, meta

    def conversation_of(c: Comment) -> str:
        post = st.posts["x"].get(c.post_id)
        return str((post.extra.get("conversation_id") or post.id) if post else c.post_id or c.id)

    def tweet(c: Comment, request: Request) -> dict[str, Any]:
        """The post as X renders it: id, text, edit history, and what ``tweet.fields`` asked for; the
        document (2.167) names the author, the replied-to user and the replied-to post as
        ``expansions`` (``author_id``, ``in_reply_to_user_id``, ``referenced_posts``), not as fields."""
        q = request.query_params
        wanted = {f for f in (q.get("tweet.fields") or q.get("post.fields") or "").split(",") if f}
        expand = {f for f in (q.get("expansions") or "").split(",") if f}
        t: dict[str, Any] = {"id": c.id, "text": c.text, "edit_history_tweet_ids": [c.id]}
        reply_to = c.parent_id or (c.post_id if c.kind == "comment" else "")
        if "author_id" in expand:
            t["author_id"] = c.author_id
        if "created_at" in wanted:
            t["created_at"] = _x_iso(c.created_at)
        if "conversation_id" in wanted:
            t["conversation_id"] = conversation_of(c)
        if "in_reply_to_user_id" in expand and reply_to:
            parent = st.comments.get(c.parent_id)
            t["in_reply_to_user_id"] = parent.author_id if parent else c.account
        if "referenced_posts" in expand and reply_to:
            t["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        if "entities" in wanted:  # the @name of the account it is addressed to, as the webhook's user_mentions
            t["entities"] = {"mentions": [{"start": 0, "end": 0, "username": c.account, "id": c.account}]}
        return t

    def includes(request: Request, page: list[Comment]) -> dict[str, Any]:
        if "author_id" not in (request.query_params.get("expansions") or "").split(","):
            return {}
        users = {c.author_id: {"id": c.author_id, "name": c.author_name.title(), "username": c.author_name} for c in page}
        return {"includes": {"users": list(users.values())}}

    def bounded(request: Request, found: list[Comment]) -> list[Comment]:
        q = request.query_params

        def at(name: str) -> float | None:
            return datetime.fromisoformat(q[name].replace("Z", "+00:00")).timestamp() if q.get(name) else None

        start, end = at("start_time"), at("end_time")
        return [
            c
            for c in found
            if (start is None or c.created_at >= start)
            and (end is None or c.created_at < end)
            and (not q.get("since_id") or int(c.id) > int(q["since_id"]))
            and (not q.get("until_id") or int(c.id) < int(q["until_id"]))
        ]

    def answer(request: Request, found: list[Comment], default: int, param: str = "pagination_token") -> JSONResponse:
        found = sorted(found, key=lambda c: (c.created_at, int(c.id)), reverse=True)
        page, meta = token_page(request, found, default, param)
        if page:
            meta = {"newest_id": page[0].id, "oldest_id": page[-1].id, **meta}
            return JSONResponse({"data": [tweet(c, request) for c in page], **includes(request, page), "meta": meta})
        return JSONResponse({"meta": meta})  # X leaves ``data`` out of an empty page

    @app.get("/x/2/users/{user_id}/mentions")
    async def mentions(user_id: str, request: Request) -> Response:
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:  # the OpenAPI document's security
            return no
        if errors := problems(request, f"/2/users/{user_id}/mentions"):
            return JSONResponse(invalid_request(errors), status_code=400)
        found = [c for c in st.comments.values() if c.platform == "x" and c.account == user_id]
        return answer(request, bounded(request, found), 10)

    @app.get("/x/2/tweets/search/recent")
    async def search(request: Request) -> Response:
        if (no := wire.refused("x", request, "tweet.read", "users.read")) is not None:
            return no
        if errors := problems(request, "/2/tweets/search/recent"):
            return JSONResponse(invalid_request(errors), status_code=400)
        q = request.query_params
        floor = time.time() - X_SEARCH_DAYS * 86400
        if q.get("start_time") and datetime.fromisoformat(q["start_time"].replace("Z", "+00:00")).timestamp() < floor:
            earliest = _x_iso(floor)
            return JSONResponse(
                invalid_request(
                    [
                        {
                            "parameters": {"start_time": [q["start_time"]]},
                            "message": f"Invalid 'start_time':'{q['start_time']}'. 'start_time' must be on or after {earliest}",
                        }
                    ]
                ),
                status_code=400,
            )
        m = re.fullmatch(r"\s*conversation_id:(\d{1,19})\s*", q["query"])
        found = [
            c
            for c in st.comments.values()
            if m is not None and c.platform == "x" and conversation_of(c) == m.group(1) and c.created_at >= floor
        ]
        return answer(request, bounded(request, found), 10, "next_token")

    def dm_json(conv: Conversation, m: Message, request: Request) -> dict[str, Any]:
        wanted = {f for f in (request.query_params.get("dm_event.fields") or "").split(",") if f}
        e: dict[str, Any] = {"id": m.id, "text": m.text, "event_type": "MessageCreate", "sender_id": m.sender_id}
        if "dm_conversation_id" in wanted:
            e["dm_conversation_id"] = conv.id
        if "created_at" in wanted:
            e["created_at"] = _x_iso(m.created_at)
        return e

    def dm_answer(request: Request, events: list[tuple[Conversation, Message]]) -> Response:
        floor = time.time() - X_DM_DAYS * 86400
        types = set((request.query_params.get("event_types") or "MessageCreate").split(","))
        events = sorted(
            (e for e in events if e[1].created_at >= floor and "MessageCreate" in types), key=lambda e: e[1].created_at, reverse=True
        )
        page, meta = token_page(request, events, 100)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body = {"data": [dm_json(c, m, request) for c, m in page], "meta": meta}
        return JSONResponse(body)

    @app.get("/x/2/dm_events")
    async def dm_events(request: Request) -> Response:
        if (no := wire.refused("x", request, "dm.read", "tweet.read", "users.read")) is not None:
            return no
        if errors := problems(request, "/2/dm_events"):
            return JSONResponse(invalid_request(errors), status_code=400)
        me = x_user_id(st.oauth, _token(request)) or ""
        return dm_answer(request, [(c, m) for c in st.conversations.values() if c.platform == "x" and c.account == me for m in c.messages])

    @app.get("/x/2/dm_conversations/with/{participant_id}/dm_events")
    async def dm_with(participant_id: str, request: Request) -> Response:
        if (no := wire.refused("x", request, "dm.read", "tweet.read", "users.read")) is not None:
            return no
        if errors := problems(request, f"/2/dm_conversations/with/{participant_id}/dm_events"):
            return JSONResponse(invalid_request(errors), status_code=400)
        me = x_user_id(st.oauth, _token(request)) or ""
        convs = [c for c in st.conversations.values() if c.platform == "x" and c.account == me and c.participant_id == participant_id]
        return dm_answer(request, [(c, m) for c in convs for m in c.messages])


# ---------------------------------------------------------------------------- LinkedIn
def _linkedin(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    @app.get("/linkedin/rest/socialActions/{urn}/comments")
    async def li_comments(urn: str, request: Request, start: int = 0, count: int = 10) -> Response:
        if not request.headers.get("linkedin-version"):
            return JSONResponse(
                {
                    "status": 400,
                    "code": "VERSION_MISSING",
                    "message": "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                },
                status_code=400,
            )
        urn = unquote(urn)
        parent_id = ""
        if urn.startswith("urn:li:comment:("):  # a comment's replies: urn:li:comment:(urn:li:share:1,2)
            target, _, parent_id = urn[len("urn:li:comment:(") : -1].rpartition(",")
        else:
            target = urn
        post = st.posts["linkedin"].get(target.rsplit(":", 1)[-1]) if target.startswith(("urn:li:share:", "urn:li:ugcPost:")) else None
        need = ("r_organization_social",) if post is not None and ":organization:" in post.account else ()
        if (no := wire.refused("linkedin", request, *need, what="socialActions.comments.GET_ALL")) is not None:
            return no
        if post is None or (parent_id and parent_id not in st.comments):
            return JSONResponse({"status": 404, "code": "NOT_FOUND", "message": f"Not Found: {urn}"}, status_code=404)
        if not 0 <= count <= 100 or start < 0:
            return JSONResponse({"status": 400, "code": "INVALID_PARAM", "message": "count must be within [0, 100]"}, status_code=400)
        found = [c for c in st.comments_on("linkedin", post.id, parent_id) if c.kind == "comment"]
        post_urn = f"urn:li:share:{post.id}"

        def render(c: Comment) -> dict[str, Any]:
            comment_urn = f"urn:li:comment:({post_urn},{c.id})"
            at = {"actor": c.author_id, "time": int(c.created_at * 1000)}
            el: dict[str, Any] = {
                "actor": c.author_id,
                "commentUrn": comment_urn,
                "$URN": comment_urn,
                "id": c.id,
                "created": at,
                "lastModified": at,
                "message": {"text": c.text, "attributes": []},
                "object": post_urn,
            }
            if c.parent_id:
                el["parentComment"] = f"urn:li:comment:({post_urn},{c.parent_id})"
            return el

        page = found[start : start + count]
        links = []
        if start + count < len(found):
            links.append(
                {
                    "type": "application/json",
                    "rel": "next",
                    "href": f"/rest/socialActions/{urn}/comments?count={count}&start={start + count}",
                }
            )
        return JSONResponse(
            {"elements": [render(c) for c in page], "paging": {"start": start, "count": count, "total": len(found), "links": links}}
        )


# ---------------------------------------------------------------------------- TikTok
def _tiktok(app: FastAPI, st: SandboxState) -> None:
    def biz(code: int, message: str, data: dict[str, Any] | None = None) -> JSONResponse:
        return JSONResponse({"code": code, "message": message, "request_id": secrets.token_hex(10), "data": data or {}})

    @app.get("/tiktok/open_api/v1.3/business/comment/list/")
    async def tt_comments(request: Request, business_id: str = "", video_id: str = "", cursor: int = 0, max_count: int = 20) -> Response:
        token = request.headers.get("access-token")
        if not token:
            return biz(40104, "Access token is null. Please check your request.")
        grant = st.oauth.valid(token, ("tiktok",))
        if grant is None:
            return biz(40105, "Access token is incorrect or has been revoked.")
        if "comment.list" not in grant.scopes:
            return biz(40001, "The access token has no permission for this API: scope comment.list is required.")
        post = st.posts["tiktok"].get(video_id)
        if not business_id or post is None or post.account != business_id:
            return biz(40002, f"Invalid video_id {video_id!r} for business_id {business_id!r}.")
        if not 1 <= max_count <= 30:
            return biz(40002, "max_count must be within [1, 30].")
        found = [c for c in st.comments.values() if c.platform == "tiktok" and c.post_id == video_id]
        found.sort(key=lambda c: c.created_at)
        page = found[cursor : cursor + max_count]
        comments = [
            {
                "comment_id": c.id,
                "video_id": c.post_id,
                "user_id": c.author_id,
                "username": c.author_name,
                "display_name": c.author_name.title(),
                "profile_image": "",
                "create_time": str(int(c.created_at)),
                "text": c.text,
                "likes": 0,
                "replies": len(c.replies),
                "owner": c.author_id == c.account,
                "liked": False,
                "pinned": False,
                "status": "HIDDEN" if c.hidden else "PUBLIC",
                "parent_comment_id": c.parent_id or c.post_id,
            }
            for c in page
        ]
        return biz(0, "OK", {"comments": comments, "cursor": cursor + len(page), "has_more": cursor + len(page) < len(found)})
