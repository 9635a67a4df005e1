"""Meta's rate limits on the Graph API, as https://developers.facebook.com/docs/graph-api/overview/rate-limiting
describes them: every answer says how much of the app's hour is used (``X-App-Usage``), answers
about a Page or an Instagram account also how much of that business object's day
(``X-Business-Use-Case-Usage``, with ``estimated_time_to_regain_access`` in minutes); once a window
is spent the next call is refused with Meta's throttling error.

Which limit applies (the same page): Instagram calls and Page calls made with a Page token count
against the business object (BUC); every other call (user tokens, ``/me``) against the app."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sandbox.state import SandboxState, _token

APP_CALLS_PER_USER_HOUR = 200  # "Calls within one hour = 200 * Number of Users"
BUC_CALLS_PER_DAY = 4800  # Pages: 4800 * engaged users, Instagram: 4800 * impressions, per 24 h; one of either here
# The throttling errors of the same page's table: the app's (#4), a Page's (#32 / 80001), an
# Instagram account's (80002). Meta answers throttling with 4xx, not 429: 403 for the app, 400 for a BUC.
APP_ERROR = ("(#4) Application request limit reached", 4, 403)
BUC_ERRORS = {
    "pages": ("(#80001) There have been too many calls to this Page account. Wait a bit and try again.", 80001, 400),
    "instagram": ("(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.", 80002, 400),
}


def _business_object(st: SandboxState, prefix: str, node: str, page_token: str | None) -> tuple[str, str] | None:
    """(BUC type, object id) a call about ``node`` counts against, None for the app's own limit."""
    if prefix == "instagram":
        if node in st.containers:
            return "instagram", str(st.containers[node]["owner"])
        post = st.posts["instagram"].get(node)
        return "instagram", post.account if post else node
    if page_token is None:
        return None
    post = st.posts["facebook"].get(node)
    return "pages", post.account if post else page_token


def install(app: FastAPI, st: SandboxState) -> None:
    @app.middleware("http")
    async def meta_usage(request: Request, call_next):  # type: ignore[no-untyped-def]
        parts = request.url.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] not in ("facebook", "instagram") or parts[2] == "dialog":  # the login dialog is no API call
            return await call_next(request)
        grant = st.oauth.valid(_token(request), ("facebook",))
        page_token = grant.subject if grant is not None and grant.kind == "page" else None
        node = parts[2]
        buc = None if node in ("me", "oauth", "debug_token") else _business_object(st, parts[0], node, page_token)
        now = time.time()
        users = len({g.user for g in st.oauth.grants.values() if g.provider == "facebook"}) or 1
        app_limit = APP_CALLS_PER_USER_HOUR * users
        _, app_left, app_reset = st.window("meta:app", app_limit, 3600)
        headers = {"x-app-usage": json.dumps(_usage(app_limit, app_left - (0 if buc else 1)))}
        refusal: tuple[str, int, int] | None = APP_ERROR if app_left <= 0 and buc is None else None
        if buc is not None:
            kind, oid = buc
            _, left, reset = st.window(f"meta:buc:{oid}", BUC_CALLS_PER_DAY, 86400)
            spent = left <= 0
            usage = _usage(BUC_CALLS_PER_DAY, left - (0 if spent else 1))
            usage |= {"type": kind, "estimated_time_to_regain_access": math.ceil((reset - now) / 60) if spent else 0}
            headers["x-business-use-case-usage"] = json.dumps({oid: [usage]})
            if spent:
                refusal = BUC_ERRORS[kind]
        if refusal is not None:
            message, code, status = refusal
            body = {"error": {"message": message, "type": "OAuthException", "code": code, "is_transient": True, "fbtrace_id": "sandbox"}}
            return JSONResponse(body, status_code=status, headers=headers)
        st.calls.setdefault(f"meta:buc:{buc[1]}" if buc else "meta:app", []).append(now)
        response = await call_next(request)
        for k, v in headers.items():
            response.headers[k] = v
        return response


def _usage(limit: int, left: int) -> dict[str, Any]:
    pct = min(100, max(0, math.ceil(100 * (limit - max(0, left)) / limit)))
    return {"call_count": pct, "total_cputime": min(pct, 100), "total_time": min(pct, 100)}
