"""The dashboard a social media manager works in: server-rendered pages over the same read models,
whose actions go through the API's own routes and commands (If-Match, Idempotency-Key).

Every asset is served from here (no CDN), under ``Content-Security-Policy: default-src 'self'``;
``/docs`` and ``/redoc`` are self-hosted too, so all of it works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from socializer.web import accounts, auth, docs, home, video
from socializer.web import automations as automation_pages
from socializer.web import calendar as planner
from socializer.web import inbox as inbox_pages
from socializer.web import notifications as notification_pages
from socializer.web import posts as post_pages
from socializer.web import queues as queue_pages
from socializer.web import webhooks as webhook_pages
from socializer.web.analytics import router as analytics_router
from socializer.web.auth import SignInRequired

STATIC = Path(__file__).parent / "static"

# Each page's router; the pages of one area live in one module.
ROUTERS = [auth.router, docs.router, home.router, planner.router, post_pages.router, queue_pages.router, analytics_router]
ROUTERS += [inbox_pages.router, automation_pages.router, notification_pages.router, webhook_pages.router]
ROUTERS += [accounts.router, video.router]

# The dashboard's own pages allow nothing but this origin. The API documentation's two bundles set
# styles and start a search worker at run time, so they alone may use inline styles and blob: workers.
CSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
CSP_DOCS = CSP + "; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def sign_in(_: Request, err: SignInRequired) -> Response:
        return RedirectResponse(f"/socializer/login?next={err.next}", status_code=303)

    @app.middleware("http")
    async def policy(request: Request, call_next: object) -> Response:
        response: Response = await call_next(request)  # type: ignore[operator]
        path = request.url.path
        if path.startswith(("/docs", "/redoc")):
            response.headers["Content-Security-Policy"] = CSP_DOCS
        elif path == "/" or path.startswith(("/socializer", "/video", "/static")):
            response.headers["Content-Security-Policy"] = CSP
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        return response
