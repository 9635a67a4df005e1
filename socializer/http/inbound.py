"""The platforms' webhooks: ``/webhooks/{platform}/`` for facebook, instagram, x, tiktok and linkedin.

No API key: the platforms call it, and each delivery is verified on its raw bytes with the platform's
signature (:mod:`domain.inbound`) before anything else happens. A verified delivery is appended to
``social.inbound`` as :class:`~schemas.events.InboundReceived` (the body as sent, a few headers, never a
secret) and answered 200 once the broker has acknowledged it; everything else (parsing, accounts,
duplicates) happens downstream in the receive agent. Nothing here touches the database: the answer
must come fast (the platforms time out and retry; X and LinkedIn want a handshake within 3 s).

Refused, nothing recorded: a missing signature (401), a wrong or stale one (403), a body over
``SOCIALIZER_INBOUND_MAX_BYTES`` (413, read no further than the cap). The handshakes: Meta's
``hub.challenge`` (plain text, 403 unless the verify token is ours), X's CRC and LinkedIn's challenge
(JSON). Kept out of the OpenAPI document: it is the platforms' contract, not our clients'.

Served by :class:`InboundWebhooks`, a plain ASGI middleware in front of the app, not by a route: the
app's routing, dependency injection and its NUL-checking middleware (which buffers every body) cost
more than everything else here; at 1,000 deliveries a second that was the difference (bench/inbound.py).
"""

from __future__ import annotations

import hashlib
import logging
import time

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from domain import inbound as d
from schemas import topics as t
from schemas.envelope import derived_id, utcnow
from schemas.events import InboundReceived
from socializer.http.deps import Services
from socializer.http.problems import ORJSON, problem

PREFIX = "/webhooks/"
log = logging.getLogger("socializer.api")
KEPT_HEADERS = ("content-type", "user-agent")


class TooLarge(Exception):
    pass


class InboundWebhooks:
    """``/webhooks/{platform}/`` answered here; every other request goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        platform, _, rest = path[len(PREFIX) :].partition("/")
        request = Request(scope, receive)
        svc: Services = scope["app"].state.services
        if rest or platform not in d.PLATFORMS:
            response = _unknown(platform)
        elif scope["method"] == "GET":
            response = handshake(platform, request, svc)
        elif scope["method"] == "POST":
            response = await deliver(platform, request, svc)
        else:
            response = problem(405, "Method not allowed", "GET (a handshake) or POST (a delivery)", code="method_not_allowed")
            response.headers["Allow"] = "GET, POST"
        await response(scope, receive, send)


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, refused (:class:`TooLarge`) as soon as it is known to pass ``cap``: never buffered whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _unknown(platform: str) -> Response:
    return problem(404, "Not found", f"no webhooks from {platform!r}: one of {', '.join(d.PLATFORMS)}", code="not_found", field="platform")


def handshake(platform: str, request: Request, svc: Services) -> Response:
    s, q = svc.settings, request.query_params
    if platform in ("facebook", "instagram"):
        challenge = d.meta_challenge(q, s.meta_token)
        if challenge is None:
            return problem(
                403, "Forbidden", "hub.mode must be subscribe and hub.verify_token ours", code="forbidden", field="hub.verify_token"
            )
        return PlainTextResponse(challenge)
    secret = s.inbound_secret(platform)
    if platform == "x":
        if not q.get("crc_token") or not secret:
            return problem(400, "Invalid request", "crc_token: required", code="invalid_request", field="crc_token")
        return ORJSON(d.x_crc(secret, q["crc_token"]))
    if platform == "linkedin":
        if not q.get("challengeCode") or not secret:
            return problem(400, "Invalid request", "challengeCode: required", code="invalid_request", field="challengeCode")
        return ORJSON(d.linkedin_challenge(secret, q["challengeCode"]))
    return problem(
        405, "Method not allowed", "TikTok has no handshake: its callback URL is set in the developer portal", code="method_not_allowed"
    )


async def deliver(platform: str, request: Request, svc: Services) -> Response:
    s = svc.settings
    try:
        body = await read_capped(request, s.inbound_max_bytes)
    except TooLarge:
        return problem(413, "Payload too large", f"body: more than {s.inbound_max_bytes:,} bytes", code="payload_too_large", field="body")
    header = request.headers.get(d.SIGNATURE_HEADER[platform])
    why = d.refusal(platform, s.inbound_secret(platform), body, header, now=time.time(), tolerance=s.inbound_tolerance_seconds)
    if why is not None:
        status = 401 if not header else 403
        title = "Unauthorized" if status == 401 else "Forbidden"
        return problem(status, title, why, code="signature_refused", field=d.SIGNATURE_HEADER[platform])
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return problem(400, "Invalid request", "body: not UTF-8", code="invalid_request", field="body")
    delivery = derived_id("inbound", platform, hashlib.sha256(body).hexdigest())
    kept = {k: v for k in KEPT_HEADERS if (v := request.headers.get(k))}
    received = InboundReceived(delivery_id=delivery, platform=platform, body=text, headers=kept, received_at=utcnow())  # type: ignore[arg-type]
    try:
        await svc.bus.append(t.INBOUND, platform, received, id=delivery)
    except Exception as err:  # noqa: BLE001 - not acknowledged: the platform sends it again
        log.warning("inbound %s delivery not recorded: %s", platform, type(err).__name__)
        return problem(503, "Service unavailable", "the delivery could not be recorded; send it again", code="unavailable")
    return ORJSON({"delivery_id": delivery})
