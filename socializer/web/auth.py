"""Signing in: a site's API key is exchanged once for a session cookie (HttpOnly, SameSite=Strict,
Secure over HTTPS) and never kept by the browser. Every form carries the session's CSRF token and
every script sends it as ``X-CSRF-Token``; the API checks it for a cookie's unsafe requests."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from socializer.http.deps import SESSION_COOKIE, Services, services, session_of
from socializer.web.render import page

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next = quote(next_path, safe="/")


@dataclass(frozen=True)
class Viewer:
    site_id: str
    timezone: str
    csrf: str
    can_write: bool


async def viewer(request: Request, svc: Services = Depends(services)) -> Viewer:
    """The signed-in manager of a page; a browser without a session is sent to sign in first."""
    session = await session_of(request, svc)
    if session is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    who = session.caller
    return Viewer(who.site_id, await svc.site_tz(who.site_id), session.csrf, "write" in who.scopes)


def check_csrf(viewer: Viewer, token: str) -> None:
    """A form's POST is the session's own only if it carries the session's token."""
    if not hmac.compare_digest(token, viewer.csrf):
        raise HTTPException(403, "csrf: the form is not this session's; reload the page")


def _safe_next(target: str) -> str:
    """Only a path on this site: never an absolute or scheme-relative address (an open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/socializer/dashboard"


@router.get("/socializer/login")
async def login_form(request: Request, next: str = "/socializer/dashboard") -> Response:  # noqa: A002 - the query's name
    return page(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/socializer/login")
async def login(
    request: Request, api_key: str = Form(""), next: str = Form("/socializer/dashboard"), svc: Services = Depends(services)
) -> Response:  # noqa: A002
    who = await svc.keys.verify(api_key) if api_key else None
    if who is None or svc.web_sessions is None:
        return page(request, "login.html", None, status=401, next=_safe_next(next), error="That API key is not valid (it reads sk_…).")
    session_id, _ = await svc.web_sessions.open(who)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(svc.web_sessions.ttl.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/socializer/logout")
async def logout(request: Request, csrf: str = Form(""), who: Viewer = Depends(viewer), svc: Services = Depends(services)) -> Response:
    check_csrf(who, csrf)
    if svc.web_sessions is not None:
        await svc.web_sessions.close(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/socializer/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
