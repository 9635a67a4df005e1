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

Comments and conversations are :mod:`sandbox.state`'s (one store with :mod:`sandbox.talk`, whose
users write them, and :mod:`.listings`, which lists them): a public reply is a new ``Comment`` by the
account answering the comment, a private reply or DM a ``Message`` by the account; each comes back
to the app as the platform's echo webhook (``talk.enqueue``), as Meta and X send an app its own
comments and messages (Meta ``is_echo``, developers.facebook.com/docs/messenger-platform/reference/
webhook-events/message-echoes; X's Account Activity sends the user's own tweets and DMs).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.platforms import Plumbing
from sandbox.state import Comment, Conversation, Message, SandboxState

WEEK, DAY = 7 * 86400, 86400
X_DM_LIMITS = ((200, 15 * 60), (1000, DAY))


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None) -> JSONResponse:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(12)[:16]}
    if subcode is not None:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status)


async def _effect(st: SandboxState, wire: Plumbing, platform: str, make: Any, request: Request) -> Response:
    """Faults as on posts: a 429 or 500 before the effect, a hang after it (the caller's answer lost).
    A fault armed with ``"target": "replies"`` (``{platform}:replies``) strikes these calls only, not a
    publish of the same platform: a crash test arms it to catch a worker between a reply's send and
    its record, whatever else the platform is asked meanwhile; the fault keeps the address of each
    caller it struck, so that test can tell which of its processes is hanging."""
    fault = st.take_fault(f"{platform}:replies") or st.take_fault(platform)
    if fault is not None and request.client is not None:
        fault.struck.append(f"{request.client.host}:{request.client.port}")
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
    c = st.comments.get(node)
    if c is None or c.platform != prefix:
        return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
    form = await request.form()
    text = str(form.get("message", ""))
    if not text or len(text) > (2200 if prefix == "instagram" else 8000):
        return graph_error("(#100) Invalid parameter: message", 100)

    def make() -> Response:
        n = st.next_id()
        rid = f"{c.post_id}_{n}" if prefix == "facebook" and c.post_id else n
        reply = st.add_comment(Comment(rid, prefix, c.account, c.post_id, c.account, c.account, text, time.time(), parent_id=c.id))
        echo(request, prefix, reply, reply.id)
        return JSONResponse({"id": rid})

    return await _effect(st, wire, prefix, make, request)


def echo(request: Request, platform: str, item: Comment | tuple[Conversation, Message], event: str) -> None:
    """The platform tells the app of the account's own comment or message, as of any other."""
    request.app.state.talk.enqueue(platform, item, [event])


def open_conversation(st: SandboxState, platform: str, account: str, user: str) -> Conversation | None:
    """The thread between the account and the person, if there is one (never opened here)."""
    for conv in st.conversations.values():
        if conv.platform == platform and conv.account == account and conv.participant_id == user:
            return conv
    return None


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    for prefix in ("facebook", "instagram"):
        _meta(app, prefix, st, wire)
    _x(app, st, wire)


def _meta(app: FastAPI, prefix: str, st: SandboxState, wire: Plumbing) -> None:
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
        comment: Comment | None = None
        if "comment_id" in recipient:  # a private reply
            comment = st.comments.get(str(recipient["comment_id"]))
            if comment is None or comment.platform != prefix or comment.account != node:
                return graph_error("(#100) No matching user found", 100, subcode=2018001)
            if comment.extra.get("private_replied"):
                return graph_error("(#10900) Activity already replied to", 10900)
            if now - comment.created_at > WEEK:
                return graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
            user, name = comment.author_id, comment.author_name
        elif "id" in recipient:
            user = name = str(recipient["id"])
            conv = open_conversation(st, prefix, node, user)
            if conv is None or not conv.last_user_message_at or now - conv.last_user_message_at > DAY:
                return graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
        else:
            return graph_error("(#100) The parameter recipient is required", 100)

        def make() -> Response:
            mid = "m_" + secrets.token_urlsafe(24)
            extra = {"comment_id": comment.id} if comment is not None else {}
            if comment is not None:
                comment.extra["private_replied"] = True
            conv = st.conversation(prefix, node, user, name)
            m = st.add_message(conv, Message(mid, node, text, time.time(), extra=extra))
            echo(request, prefix, (conv, m), m.id)
            return JSONResponse({"recipient_id": user, "message_id": mid})

        return await _effect(st, wire, prefix, make, request)

    @app.post(base + "/{node}", name=f"{prefix}_comment_update")
    async def hide(node: str, request: Request) -> Response:
        need = ("instagram_basic", "instagram_manage_comments") if prefix == "instagram" else ("pages_manage_engagement",)
        if (no := wire.refused(prefix, request, *need)) is not None:
            return no
        c = st.comments.get(node)
        if c is None or c.platform != prefix:
            return graph_error(f"Unsupported post request. Object with ID '{node}' does not exist", 100, subcode=33)
        form = await request.form()
        flag = str(form.get("hide" if prefix == "instagram" else "is_hidden", "")).lower()
        if flag not in ("true", "false"):
            return graph_error("(#100) Invalid parameter", 100)

        def make() -> Response:
            c.hidden = flag == "true"
            return JSONResponse({"success": True})

        return await _effect(st, wire, prefix, make, request)


def _x(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
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
        conv = open_conversation(st, "x", me, participant_id)
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
            m = st.add_message(conv, Message(mid, me, text, time.time()))
            echo(request, "x", (conv, m), m.id)
            return JSONResponse({"data": {"dm_conversation_id": conv.id, "dm_event_id": mid}}, status_code=201, headers=headers)

        return await _effect(st, wire, "x", make, request)
