"""The inbox's write side on the simulated platforms: replies to comments, private replies, DMs and
hides, enforcing the platforms' messaging rules with their own error codes.

Meta (Graph): ``POST /{comment-id}/replies`` (Instagram) and ``/{comment-id}/comments`` (Pages; the
route lives in :mod:`.meta` and hands a comment here), ``POST /{id}/messages`` with
``recipient: {comment_id}`` (a private reply: one per comment, within 7 days,
developers.facebook.com/documentation/instagram-platform/private-replies) or ``recipient: {id}`` and
``messaging_type: RESPONSE`` (only within 24 h of the person's last message: code 10, subcode 2018278
"This message is sent outside of allowed window", developers.facebook.com/docs/messenger-platform/error-codes),
``POST /{comment-id}`` with ``hide`` / ``is_hidden``. A second private reply: code 10900 "Activity
already replied to"; a text too long (Instagram: 1,000 bytes; Messenger: 2,000 characters): code 100.
X: ``POST /2/dm_conversations/with/{participant_id}/messages`` (scopes dm.write tweet.read users.read,
../shared/specs/x-api-v2-openapi.json); 403 when the person does not accept DMs from the account; 200
per 15 minutes and 1,000 per 24 hours per user, then 429 with ``x-rate-limit-*`` headers.

The one coupling with the comment and conversation model (h11's, in :mod:`sandbox.state`) is
:class:`Threads`: it reads ``st.comments`` / ``st.conversations`` when the state has them and keeps
its own store otherwise; the operator routes that seed it are installed only where no other module
serves the same path.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.platforms import Plumbing
from sandbox.state import Post, SandboxState

WEEK, DAY = 7 * 86400, 86400
X_DM_LIMITS = ((200, 15 * 60), (1000, DAY))


@dataclass
class Comment:
    id: str
    platform: str
    account: str  # the account whose post it is on
    post_id: str
    author_id: str
    text: str
    created_at: float
    parent_id: str = ""
    hidden: bool = False
    replies: list[dict[str, Any]] = field(default_factory=list)  # the account's public replies
    private_replied: bool = False


@dataclass
class Message:
    id: str
    sender_id: str
    text: str
    created_at: float


@dataclass
class Conversation:
    id: str
    platform: str
    account: str
    user_id: str
    messages: list[Message] = field(default_factory=list)
    accepts_dms: bool = True  # X: whether the person takes DMs from the account


class Threads:
    """Comments and conversations, wherever the sandbox keeps them (see the module's docstring)."""

    def __init__(self, st: SandboxState) -> None:
        self.st = st
        own = st.__dict__.setdefault("_inbox_threads", {"comments": {}, "conversations": {}})
        # Its own store for now (not sandbox.talk's comments and conversations: their shapes differ).
        self.comments: dict[str, Any] = own["comments"]
        self.conversations: dict[str, Any] = own["conversations"]

    def comment(self, cid: str) -> Any | None:
        return self.comments.get(cid)

    def conversation(self, platform: str, account: str, user_id: str) -> Any | None:
        for c in self.conversations.values():
            if c.platform == platform and c.account == account and c.user_id == user_id:
                return c
        return None


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(12)[:16]}
    if subcode is not None:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status)


def _routed(app: FastAPI, method: str, path: str) -> bool:
    return any(getattr(r, "path", None) == path and method in getattr(r, "methods", ()) for r in app.routes)


async def _effect(st: SandboxState, wire: Plumbing, platform: str, make: Any) -> Response:
    """Faults as on posts: a 429 or 500 before the effect, a hang after it (the caller's answer lost)."""
    fault = st.take_fault(platform)
    if fault and fault.mode == "rate_limit":
        return wire.too_many(platform, fault.retry_after)
    if fault and fault.mode == "error":
        return wire.server_error(platform)
    resp: Response = make()
    if fault and fault.mode == "hang_after_accept":
        await asyncio.sleep(fault.hang_seconds)
    return resp


def meta_too_long(platform: str, text: str) -> bool:
    return len(text.encode()) > 1000 if platform == "instagram" else len(text) > 2000


async def comment_reply(prefix: str, node: str, request: Request, st: SandboxState, wire: Plumbing) -> Response:
    """A public reply to a comment (Pages: ``POST /{comment-id}/comments``; Instagram: ``/replies``)."""
    need = ("instagram_basic", "instagram_manage_comments") if prefix == "instagram" else ("pages_manage_engagement",)
    if (no := wire.refused(prefix, request, *need)) is not None:
        return no
    c = Threads(st).comment(node)
    if c is None:
        return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
    form = await request.form()
    text = str(form.get("message", ""))
    if not text or len(text) > (2200 if prefix == "instagram" else 8000):
        return graph_error("(#100) Invalid parameter: message", 100)

    def make() -> Response:
        rid = st.next_id()
        c.replies.append({"id": rid, "text": text, "from": c.account, "created_at": time.time()})
        return JSONResponse({"id": rid})

    return await _effect(st, wire, prefix, make)


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    threads = Threads(st)
    for prefix in ("facebook", "instagram"):
        _meta(app, prefix, st, wire, threads)
    _x(app, st, wire, threads)
    _operator(app, st, threads)


def _meta(app: FastAPI, prefix: str, st: SandboxState, wire: Plumbing, threads: Threads) -> None:
    base = f"/{prefix}/{{version}}"

    @app.post(base + "/{node}/replies", name=f"{prefix}_comment_replies")
    async def replies(node: str, request: Request) -> Response:
        return await comment_reply(prefix, node, request, st, wire)

    @app.post(base + "/{node}/messages", name=f"{prefix}_send_message")
    async def send(node: str, request: Request) -> Response:
        need = ("instagram_manage_messages",) if prefix == "instagram" else ("pages_messaging",)
        if (no := wire.refused(prefix, request, *need)) is not None:
            return no
        try:
            body = await request.json()
        except ValueError:
            return graph_error("(#100) The parameter recipient is required", 100)
        recipient = body.get("recipient") or {}
        text = str((body.get("message") or {}).get("text", ""))
        if not text:
            return graph_error("(#100) The parameter message is required", 100)
        if meta_too_long(prefix, text):
            return graph_error("(#100) Length of param message[text] must be less than or equal to the limit", 100)
        now = time.time()
        if "comment_id" in recipient:  # a private reply
            c = threads.comment(str(recipient["comment_id"]))
            if c is None or c.account != node:
                return graph_error("(#100) No matching user found", 100, subcode=2018001)
            if c.private_replied:
                return graph_error("(#10900) Activity already replied to", 10900)
            if now - c.created_at > WEEK:
                return graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
            user, conv_key = c.author_id, None
        elif "id" in recipient:
            user = str(recipient["id"])
            conv = threads.conversation(prefix, node, user)
            inbound = [m.created_at for m in (conv.messages if conv else []) if m.sender_id == user]
            if not inbound or now - max(inbound) > DAY:
                return graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
            conv_key = conv.id if conv else None
        else:
            return graph_error("(#100) The parameter recipient is required", 100)

        def make() -> Response:
            mid = "m_" + st.next_id()
            if "comment_id" in recipient:
                threads.comments[str(recipient["comment_id"])].private_replied = True
            conv = threads.conversations.get(conv_key or "") or threads.conversation(prefix, node, user)
            if conv is None:
                conv = Conversation("t_" + st.next_id(), prefix, node, user)
                threads.conversations[conv.id] = conv
            conv.messages.append(Message(mid, node, text, time.time()))
            return JSONResponse({"recipient_id": user, "message_id": mid})

        return await _effect(st, wire, prefix, make)

    @app.post(base + "/{node}", name=f"{prefix}_comment_update")
    async def hide(node: str, request: Request) -> Response:
        need = ("instagram_basic", "instagram_manage_comments") if prefix == "instagram" else ("pages_manage_engagement",)
        if (no := wire.refused(prefix, request, *need)) is not None:
            return no
        c = threads.comment(node)
        if c is None:
            return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
        form = await request.form()
        flag = str(form.get("hide" if prefix == "instagram" else "is_hidden", "")).lower()
        if flag not in ("true", "false"):
            return graph_error("(#100) Invalid parameter", 100)

        def make() -> Response:
            c.hidden = flag == "true"
            return JSONResponse({"success": True})

        return await _effect(st, wire, prefix, make)

    if not _routed(app, "GET", base + "/{node}/replies"):  # listings: h11's where present

        @app.get(base + "/{node}/replies", name=f"{prefix}_comment_replies_list")
        async def list_replies(node: str, request: Request) -> Response:
            c = threads.comment(node)
            if c is None:
                return graph_error(f"Unsupported get request. Object with ID '{node}' does not exist", 100, subcode=33)
            return JSONResponse({"data": [_reply_json(prefix, r) for r in c.replies]})

    if not _routed(app, "GET", base + "/{node}/conversations"):

        @app.get(base + "/{node}/conversations", name=f"{prefix}_conversations_list")
        async def conversations(node: str, request: Request) -> Response:
            out = []
            for conv in threads.conversations.values():
                if conv.platform == prefix and conv.account == node:
                    msgs = [
                        {"id": m.id, "message": m.text, "from": {"id": m.sender_id}, "created_time": _graph_time(m.created_at)}
                        for m in reversed(conv.messages)
                    ]
                    people = {"data": [{"id": node}, {"id": conv.user_id}]}
                    out.append({"id": conv.id, "participants": people, "messages": {"data": msgs}})
            return JSONResponse({"data": out})


def _graph_time(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def _reply_json(prefix: str, r: dict[str, Any]) -> dict[str, Any]:
    when = _graph_time(r["created_at"])
    if prefix == "instagram":
        return {"id": r["id"], "text": r["text"], "from": {"id": r["from"]}, "timestamp": when}
    return {"id": r["id"], "message": r["text"], "from": {"id": r["from"]}, "created_time": when}


def _x(app: FastAPI, st: SandboxState, wire: Plumbing, threads: Threads) -> None:
    from sandbox.oauth import x_user_id  # the user behind a bearer token
    from sandbox.state import _token

    @app.post("/x/2/dm_conversations/with/{participant_id}/messages")
    async def x_dm(participant_id: str, request: Request) -> Response:
        if (no := wire.refused("x", request, "dm.write", "tweet.read", "users.read")) is not None:
            return no
        me = x_user_id(st.oauth, _token(request)) or ""
        try:
            body = await request.json()
        except ValueError:
            body = None
        text = str((body or {}).get("text", ""))
        if not isinstance(body, dict) or not text or set(body) - {"text", "attachments"}:
            return JSONResponse(
                {"errors": [{"message": "$.text: text is required"}], "title": "Invalid Request", "status": 400}, status_code=400
            )
        if len(text) > 10000:
            return JSONResponse({"errors": [{"message": "$.text: too long"}], "title": "Invalid Request", "status": 400}, status_code=400)
        conv = threads.conversation("x", me, participant_id)
        if conv is None or not conv.accepts_dms:
            return JSONResponse(
                {
                    "detail": "You are not permitted to send Direct Messages to this user.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
                status_code=403,
            )
        headers: dict[str, str] = {}
        for limit, window in X_DM_LIMITS:
            lim, remaining, reset = st.window(f"x-dm:{me}:{window}", limit, window)
            headers = {
                "x-rate-limit-limit": str(lim),
                "x-rate-limit-remaining": str(max(0, remaining - 1)),
                "x-rate-limit-reset": str(reset),
            }
            if remaining <= 0:
                return JSONResponse(
                    {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
                    status_code=429,
                    headers={**headers, "x-rate-limit-remaining": "0"},
                )

        def make() -> Response:
            for _, window in X_DM_LIMITS:
                st.calls.setdefault(f"x-dm:{me}:{window}", []).append(time.time())
            mid = st.next_id()
            conv.messages.append(Message(mid, me, text, time.time()))
            return JSONResponse({"data": {"dm_conversation_id": conv.id, "dm_event_id": mid}}, status_code=201, headers=headers)

        return await _effect(st, wire, "x", make)

    if not _routed(app, "GET", "/x/2/dm_events"):

        @app.get("/x/2/dm_events")
        async def x_dm_events(request: Request) -> Response:
            if (no := wire.refused("x", request, "dm.read", "tweet.read", "users.read")) is not None:
                return no
            me = x_user_id(st.oauth, _token(request)) or ""
            events = [
                {
                    "id": m.id,
                    "event_type": "MessageCreate",
                    "text": m.text,
                    "sender_id": m.sender_id,
                    "dm_conversation_id": c.id,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(m.created_at)),
                }
                for c in threads.conversations.values()
                if c.platform == "x" and c.account == me
                for m in c.messages
            ]
            events.sort(key=lambda ev: ev["created_at"], reverse=True)
            return JSONResponse({"data": events[:100], "meta": {"result_count": min(100, len(events))}})


def _operator(app: FastAPI, st: SandboxState, threads: Threads) -> None:
    """Seeding the fallback store (h11's operator API scripts users where it is present)."""

    def when(raw: Any) -> float:
        if raw is None:
            return time.time()
        if isinstance(raw, int | float):
            return float(raw)
        from datetime import datetime

        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()

    if not _routed(app, "POST", "/_sandbox/inbox/comments"):

        @app.post("/_sandbox/inbox/comments", status_code=201)
        async def seed_comment(request: Request) -> Response:
            b = await request.json()
            c = Comment(
                id=str(b.get("id") or st.next_id()),
                platform=b["platform"],
                account=b["account"],
                post_id=str(b.get("post_id", "")),
                author_id=str(b["author_id"]),
                text=str(b.get("text", "")),
                created_at=when(b.get("created_at")),
                parent_id=str(b.get("parent_id", "")),
            )
            threads.comments[c.id] = c
            if c.platform == "x":  # on X a comment is a tweet answering the post: replies go through POST /2/tweets
                extra = {"in_reply_to": c.post_id or None, "conversation_id": c.post_id or None, "submitted_text": c.text}
                st.posts["x"][c.id] = Post(c.id, "x", c.author_id, c.text, c.created_at, extra)
            return JSONResponse({"id": c.id}, status_code=201)

    if not _routed(app, "POST", "/_sandbox/inbox/messages"):

        @app.post("/_sandbox/inbox/messages", status_code=201)
        async def seed_message(request: Request) -> Response:
            b = await request.json()
            platform, account, user = b["platform"], str(b["account"]), str(b["sender_id"])
            conv = threads.conversation(platform, account, user)
            if conv is None:
                cid = str(
                    b.get("conversation_id") or (f"{min(account, user)}-{max(account, user)}" if platform == "x" else "t_" + st.next_id())
                )
                conv = Conversation(cid, platform, account, user, accepts_dms=bool(b.get("accepts_dms", True)))
                threads.conversations[cid] = conv
            m = Message(str(b.get("id") or st.next_id()), user, str(b.get("text", "")), when(b.get("created_at")))
            conv.messages.append(m)
            return JSONResponse({"id": m.id, "conversation_id": conv.id}, status_code=201)
