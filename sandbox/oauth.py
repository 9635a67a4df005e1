"""The sandbox's authorization servers: each provider's authorize, token and revoke endpoints, with
their real parameter names, lifetimes, rotation rules and error bodies, plus the identity calls a
connection makes (who am I, which pages and organizations).

A browser would show a login and consent screen; here the authorize URL decides at once from two
sandbox-only parameters: ``sandbox_user`` (who logs in; any name makes a user) and
``sandbox_consent=allow|deny``. Operator endpoints:

    POST /_sandbox/oauth/clients   {"provider", "client_id", "client_secret", "redirect_uris": [...]}
    POST /_sandbox/oauth/grants    {"provider", "user", "scopes"}  -> a token, without the flow (tests, bench);
                                                                      no "scopes": every scope the sandbox checks
    POST /_sandbox/oauth/expire    {"provider", "user"}             -> every access token of that user expires now
    POST /_sandbox/oauth/revoke    {"provider", "user"}             -> the user withdraws the app's access
    GET  /_sandbox/oauth/stats                                      -> token calls by provider, grant type and outcome
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from sandbox.scopes import ALL

PROVIDERS = ("linkedin", "x", "facebook", "tiktok", "youtube")
# Access-token lifetime, refresh-token lifetime (None: no refresh token), code lifetime, whether refresh rotates.
LIFETIMES: dict[str, tuple[int, int | None, int, bool]] = {
    "linkedin": (60 * 86400, 365 * 86400, 1800, False),
    "x": (7200, 180 * 86400, 30, True),
    "facebook": (5183944, None, 600, False),
    "tiktok": (86400, 365 * 86400, 600, True),
    "youtube": (3599, 10**9, 600, False),
}
TOKEN_PREFIX = "tok-canary-"  # every token the sandbox issues starts with it: the leak scan looks for it


@dataclass
class Client:
    provider: str
    client_id: str
    secret: str
    redirect_uris: set[str]


@dataclass
class Code:
    provider: str
    client_id: str
    redirect_uri: str
    user: str
    scopes: list[str]
    challenge: str | None
    method: str
    expires_at: float
    family: str
    used: bool = False


@dataclass
class Grant:
    token: str
    kind: str  # access | refresh | page
    provider: str
    user: str
    scopes: list[str]
    expires_at: float | None
    family: str
    revoked: bool = False
    subject: str = ""  # a page token's page id


@dataclass
class OAuthServer:
    clients: dict[tuple[str, str], Client] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # Facebook page id -> its Instagram account

    def issue(self, kind: str, provider: str, user: str, scopes: list[str], lifetime: int | None, family: str, subject: str = "") -> Grant:
        g = Grant(
            f"{TOKEN_PREFIX}{kind[0]}_{secrets.token_urlsafe(24)}",
            kind,
            provider,
            user,
            scopes,
            None if lifetime is None else time.time() + lifetime,
            family,
            subject=subject,
        )
        self.grants[g.token] = g
        return g

    def revoke_family(self, family: str) -> None:
        for g in self.grants.values():
            if g.family == family:
                g.revoked = True

    def valid(self, token: str | None, providers: tuple[str, ...], kind: str = "access") -> Grant | None:
        g = self.grants.get(token or "")
        if g is None or g.revoked or g.provider not in providers or (g.kind != kind and not (kind == "access" and g.kind == "page")):
            return None
        if g.expires_at is not None and g.expires_at <= time.time():
            return None
        return g


# ---------- who the sandbox's users are on each platform (deterministic from the user name)
def _h(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def identity(provider: str, user: str) -> dict[str, Any]:
    h = _h(provider, user)
    return {
        "linkedin": {
            "sub": "li" + h[:10],
            "name": user.title(),
            "organizations": [{"id": str(10_000 + int(h[:6], 16) % 90_000), "name": f"{user.title()} Co"}],
        },
        "x": {"id": str(int(h[:12], 16)), "username": user.replace("-", "_"), "name": user.title()},
        "facebook": {
            "id": str(int(h[:12], 16)),
            "name": user.title(),
            "pages": [
                {
                    "id": str(100_000_000 + int(h[12:20], 16) % 900_000_000),
                    "name": f"{user.title()} Page",
                    "ig": {"id": "1784" + str(int(h[20:32], 16))[:11], "username": f"{user}.ig"},
                }
            ],
        },
        "tiktok": {"open_id": "-000" + h[:28], "display_name": user.title()},
        "youtube": {"channel": "UC" + base64.urlsafe_b64encode(bytes.fromhex(h[:32])).decode()[:22], "title": f"{user.title()} Channel"},
    }[provider]


def x_user_id(server: OAuthServer, token: str | None) -> str | None:
    g = server.valid(token, ("x",))
    return identity("x", g.user)["id"] if g else None


def tiktok_open_id(server: OAuthServer, token: str | None) -> str | None:
    g = server.valid(token, ("tiktok",))
    return identity("tiktok", g.user)["open_id"] if g else None


# ---------- each provider's error bodies
def token_error(provider: str, error: str, description: str, status: int = 400, subcode: int | None = None) -> JSONResponse:
    if provider == "facebook":
        body: dict[str, Any] = {
            "error": {
                "message": description,
                "type": "OAuthException",
                "code": 100 if error != "invalid_client" else 101,
                "fbtrace_id": secrets.token_hex(6),
            }
        }
        if subcode:
            body["error"]["error_subcode"] = subcode
        return JSONResponse(body, status_code=status)
    if provider == "x" and error == "invalid_grant":
        # X answers a bad code or refresh token with invalid_request and this description.
        return JSONResponse({"error": "invalid_request", "error_description": "Value passed for the token was invalid."}, status_code=400)
    body = {"error": error, "error_description": description}
    if provider == "tiktok":
        body["log_id"] = secrets.token_hex(10)
    return JSONResponse(body, status_code=status)


def _scopes(provider: str, raw: str) -> list[str]:
    sep = "," if provider in ("facebook", "tiktok") else " "
    return [s for s in raw.replace("+", " ").split(sep if sep in raw else " ") if s]


def _scope_text(provider: str, scopes: list[str]) -> str:
    return ",".join(scopes) if provider in ("linkedin", "tiktok", "facebook") else " ".join(scopes)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:]
    return request.query_params.get("access_token")


def install(app: FastAPI, server: OAuthServer, followers: Callable[[str, str], int] | None = None) -> None:
    """``followers(platform, account)``: the count the profile endpoints report (X's public_metrics,
    TikTok's follower_count, YouTube's subscriberCount)."""
    """Add every provider's authorization-server routes and the operator endpoints to ``app``."""

    def client_of(provider: str, client_id: str | None) -> Client | None:
        return server.clients.get((provider, client_id or ""))

    # ---------- authorize (the browser's leg)
    async def authorize(provider: str, request: Request) -> Response:
        q = request.query_params
        client_id = q.get("client_key") if provider == "tiktok" else q.get("client_id")
        client = client_of(provider, client_id)
        redirect_uri = q.get("redirect_uri", "")
        # RFC 6749 §4.1.2.1: with an unknown client or a redirect URI that is not registered exactly,
        # the server must not redirect: it shows the error itself.
        if client is None:
            return JSONResponse(
                {"error": "invalid_client", "error_description": f"unknown {'client_key' if provider == 'tiktok' else 'client_id'}"},
                status_code=400,
            )
        if redirect_uri not in client.redirect_uris:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "redirect_uri does not match a registered redirect URI"}, status_code=400
            )
        state = q.get("state")

        def back(**params: str) -> RedirectResponse:
            if state is not None:
                params["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)

        if provider != "facebook" and q.get("response_type") != "code":
            return back(error="unsupported_response_type", error_description="response_type must be code")
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method", "plain")
        if provider == "x" and not challenge:
            return back(error="invalid_request", error_description="Missing required parameter [code_challenge].")
        if challenge and method not in ("S256", "plain"):
            return back(error="invalid_request", error_description="code_challenge_method must be S256 or plain")
        if q.get("sandbox_consent", "allow") != "allow":
            if provider == "facebook":
                return back(error="access_denied", error_code="200", error_description="Permissions error", error_reason="user_denied")
            return back(error="access_denied", error_description="The user denied the request")
        user = q.get("sandbox_user", "demo")
        code = "sbxc_" + secrets.token_urlsafe(18)
        server.codes[code] = Code(
            provider,
            client.client_id,
            redirect_uri,
            user,
            _scopes(provider, q.get("scope", "")),
            challenge,
            method,
            time.time() + LIFETIMES[provider][2],
            family=secrets.token_hex(8),
        )
        if provider == "youtube" and q.get("access_type") != "offline":
            server.codes[code].family += ":online"
        return back(code=code, **({"scope": q.get("scope", "")} if provider == "youtube" else {}))

    for provider, path in (
        ("linkedin", "/linkedin/oauth/v2/authorization"),
        ("x", "/x/i/oauth2/authorize"),
        ("facebook", "/facebook/{version}/dialog/oauth"),
        ("tiktok", "/tiktok/v2/auth/authorize/"),
        ("youtube", "/youtube/o/oauth2/v2/auth"),
    ):
        app.add_api_route(path, _bind(authorize, provider), methods=["GET"], name=f"{provider}_authorize", include_in_schema=False)

    # ---------- token (the server's leg)
    def authenticate(provider: str, request: Request, form: dict[str, str]) -> Client | Response:
        basic = request.headers.get("authorization", "")
        cid, secret = form.get("client_key" if provider == "tiktok" else "client_id"), form.get("client_secret")
        if basic.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                pass
        client = client_of(provider, cid)
        if client is None or not secrets.compare_digest(client.secret, secret or ""):
            if provider == "x":
                return JSONResponse(
                    {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}, status_code=401
                )
            return token_error(provider, "invalid_client", "Client authentication failed.", status=401)
        return client

    def answer(provider: str, access: Grant, refresh: Grant | None, **extra: Any) -> JSONResponse:
        body: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "bearer" if provider in ("x", "facebook") else "Bearer",
            "expires_in": int(access.expires_at - time.time()) if access.expires_at else 0,
        }
        if provider != "facebook":
            body["scope"] = _scope_text(provider, access.scopes)
        if refresh is not None:
            body["refresh_token"] = refresh.token
            if provider in ("linkedin", "tiktok"):
                key = "refresh_token_expires_in" if provider == "linkedin" else "refresh_expires_in"
                body[key] = int(refresh.expires_at - time.time()) if refresh.expires_at else 0
        if provider == "tiktok":
            body["open_id"] = identity("tiktok", access.user)["open_id"]
        body.update(extra)
        return JSONResponse(body)

    async def token(provider: str, request: Request) -> Response:
        form = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        grant_type = form.get("grant_type", "authorization_code" if "code" in form else "")
        client = authenticate(provider, request, form)
        if isinstance(client, Response):
            server.stats[f"{provider}:{grant_type}:invalid_client"] += 1
            return client
        outcome, resp = exchange(provider, client, grant_type, form)
        server.stats[f"{provider}:{grant_type}:{outcome}"] += 1
        return resp

    def exchange(provider: str, client: Client, grant_type: str, form: dict[str, str]) -> tuple[str, Response]:
        access_life, refresh_life, _, rotates = LIFETIMES[provider]
        if grant_type == "authorization_code":
            code = server.codes.get(form.get("code", ""))
            if code is None or code.provider != provider or code.client_id != client.client_id:
                return "invalid_grant", token_error(provider, "invalid_grant", "Invalid authorization code.", subcode=36009)
            if code.used:
                server.revoke_family(code.family)  # RFC 6749 §4.1.2: a reused code revokes what it issued
                return "code_reused", token_error(provider, "invalid_grant", "This authorization code has been used.", subcode=36009)
            code.used = True
            if code.expires_at < time.time():
                return "code_expired", token_error(provider, "invalid_grant", "This authorization code has expired.", subcode=36007)
            if form.get("redirect_uri") != code.redirect_uri:
                return "redirect_mismatch", token_error(
                    provider,
                    "invalid_grant",
                    "Error validating verification code. Please make sure your redirect_uri is identical"
                    " to the one you used in the OAuth dialog request",
                    subcode=36008,
                )
            if code.challenge:
                verifier = form.get("code_verifier", "")
                computed = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    if code.method == "S256"
                    else verifier
                )
                if not verifier or not secrets.compare_digest(computed, code.challenge):
                    return "pkce_failed", token_error(provider, "invalid_grant", "code_verifier does not match the code_challenge")
            access = server.issue("access", provider, code.user, code.scopes, access_life if provider != "facebook" else 7200, code.family)
            wants_refresh = (
                refresh_life is not None and (provider != "x" or "offline.access" in code.scopes) and not code.family.endswith(":online")
            )
            refresh = server.issue("refresh", provider, code.user, code.scopes, refresh_life, code.family) if wants_refresh else None
            return "ok", answer(provider, access, refresh)
        if grant_type == "fb_exchange_token" and provider == "facebook":
            short = server.valid(form.get("fb_exchange_token"), ("facebook",))
            if short is None:
                return "invalid_grant", token_error(
                    provider, "invalid_grant", "Error validating access token: Session has expired", subcode=463
                )
            return "ok", answer(provider, server.issue("access", provider, short.user, short.scopes, access_life, short.family), None)
        if grant_type == "refresh_token" and refresh_life is not None:
            old = server.valid(form.get("refresh_token"), (provider,), kind="refresh")
            if old is None:
                return "invalid_grant", token_error(provider, "invalid_grant", "Token has been expired or revoked.")
            access = server.issue("access", provider, old.user, old.scopes, access_life, old.family)
            refresh: Grant | None = None
            if rotates:
                old.revoked = True
                refresh = server.issue("refresh", provider, old.user, old.scopes, refresh_life, old.family)
            elif provider == "linkedin":
                refresh = old  # LinkedIn returns the same refresh token; its lifetime does not restart
            return "ok", answer(provider, access, refresh)
        return "unsupported_grant_type", token_error(provider, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    for provider, path, methods in (
        ("linkedin", "/linkedin/oauth/v2/accessToken", ["POST"]),
        ("x", "/x/2/oauth2/token", ["POST"]),
        ("facebook", "/facebook/{version}/oauth/access_token", ["GET", "POST"]),
        ("tiktok", "/tiktok/v2/oauth/token/", ["POST"]),
        ("youtube", "/youtube/token", ["POST"]),
    ):
        app.add_api_route(path, _bind(token, provider), methods=methods, name=f"{provider}_token", include_in_schema=False)

    # ---------- revoke
    async def revoke(provider: str, request: Request) -> Response:
        form = dict(await request.form()) | dict(request.query_params)
        if provider != "youtube":
            client = authenticate(provider, request, form)
            if isinstance(client, Response):
                return client
        g = server.grants.get(form.get("token", ""))
        if g is not None and g.provider == provider:
            server.revoke_family(g.family)
        server.stats[f"{provider}:revoke:ok"] += 1
        return JSONResponse({"revoked": True} if provider == "x" else {})

    for provider, path in (
        ("linkedin", "/linkedin/oauth/v2/revoke"),
        ("x", "/x/2/oauth2/revoke"),
        ("tiktok", "/tiktok/v2/oauth/revoke/"),
        ("youtube", "/youtube/revoke"),
    ):
        app.add_api_route(path, _bind(revoke, provider), methods=["POST"], name=f"{provider}_revoke", include_in_schema=False)

    # ---------- identity calls
    def unauthorized(provider: str) -> JSONResponse:
        return {
            "linkedin": lambda: JSONResponse(
                {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"},
                status_code=401,
            ),
            "x": lambda: JSONResponse(
                {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, status_code=401
            ),
            "facebook": lambda: JSONResponse(
                {
                    "error": {
                        "message": "Error validating access token: Session has expired",
                        "type": "OAuthException",
                        "code": 190,
                        "error_subcode": 463,
                    }
                },
                status_code=401,
            ),
            "tiktok": lambda: JSONResponse(
                {
                    "data": {},
                    "error": {
                        "code": "access_token_invalid",
                        "message": "The access token is invalid or not found in the request.",
                        "log_id": "sandbox",
                    },
                },
                status_code=401,
            ),
            "youtube": lambda: JSONResponse(
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError"}],
                        "status": "UNAUTHENTICATED",
                    }
                },
                status_code=401,
            ),
        }[provider]()

    @app.exception_handler(_Unauthorized)
    async def refused(_: Request, err: _Unauthorized) -> Response:
        return unauthorized(err.provider)

    def bearer(provider: str, *, user_token: bool = False) -> Any:
        """A route dependency: the live grant behind the request's token, or the provider's 401."""

        def grant(request: Request) -> Grant:
            g = server.valid(_bearer(request), (provider,))
            if g is None or (user_token and g.kind == "page"):
                raise _Unauthorized(provider)
            return g

        return Depends(grant)

    @app.get("/linkedin/v2/userinfo", include_in_schema=False)
    async def li_userinfo(g: Grant = bearer("linkedin")) -> Response:
        me = identity("linkedin", g.user)
        return JSONResponse(
            {
                "sub": me["sub"],
                "name": me["name"],
                "given_name": me["name"],
                "family_name": "",
                "locale": {"country": "US", "language": "en"},
            }
        )

    @app.get("/linkedin/rest/organizationAcls", include_in_schema=False)
    async def li_acls(g: Grant = bearer("linkedin"), q: str = "", role: str = "", state: str = "") -> Response:
        if not {"rw_organization_admin", "r_organization_admin"} & set(g.scopes):
            return JSONResponse(
                {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: organizationAcls.FINDER-roleAssignee.20241101",
                },
                status_code=403,
            )
        if q != "roleAssignee":
            return JSONResponse({"status": 400, "message": "q must be roleAssignee"}, status_code=400)
        me = identity("linkedin", g.user)
        els = [
            {
                "organization": f"urn:li:organization:{o['id']}",
                "role": "ADMINISTRATOR",
                "state": "APPROVED",
                "roleAssignee": f"urn:li:person:{me['sub']}",
            }
            for o in me["organizations"]
            if role in ("", "ADMINISTRATOR") and state in ("", "APPROVED")
        ]
        return JSONResponse({"elements": els, "paging": {"count": 10, "start": 0, "total": len(els)}})

    @app.get("/linkedin/rest/organizations/{org_id}", include_in_schema=False)
    async def li_org(org_id: str, g: Grant = bearer("linkedin")) -> Response:
        for o in identity("linkedin", g.user)["organizations"]:
            if o["id"] == org_id:
                return JSONResponse({"id": int(org_id), "localizedName": o["name"], "vanityName": o["name"].lower().replace(" ", "-")})
        return JSONResponse({"status": 404, "message": f"Organization {org_id} not found"}, status_code=404)

    @app.get("/x/2/users/me", include_in_schema=False)
    async def x_me(request: Request, g: Grant = bearer("x")) -> Response:
        me = identity("x", g.user)
        data: dict[str, Any] = {"id": me["id"], "name": me["name"], "username": me["username"]}
        # user.fields=public_metrics (docs.x.com, the User object): followers, following, posts and lists.
        if "public_metrics" in request.query_params.get("user.fields", "").split(","):
            count = followers("x", me["id"]) if followers else 0
            data["public_metrics"] = {"followers_count": count, "following_count": 0, "tweet_count": 0, "listed_count": 0, "like_count": 0}
        return JSONResponse({"data": data})

    @app.get("/facebook/{version}/me", include_in_schema=False)
    async def fb_me(g: Grant = bearer("facebook")) -> Response:
        me = identity("facebook", g.user)
        return JSONResponse({"id": me["id"], "name": me["name"]})

    @app.get("/facebook/{version}/me/accounts", include_in_schema=False)
    async def fb_accounts(g: Grant = bearer("facebook", user_token=True)) -> Response:
        data = []
        for page in identity("facebook", g.user)["pages"]:
            server.pages[page["id"]] = page["ig"]
            # A page token from a long-lived user token does not expire; it dies with the user's grant.
            lifetime = None if (g.expires_at or 0) - time.time() > 86400 else 3600
            pt = server.issue("page", "facebook", g.user, g.scopes, lifetime, g.family, subject=page["id"])
            data.append(
                {
                    "id": page["id"],
                    "name": page["name"],
                    "access_token": pt.token,
                    "category": "Media",
                    "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
                }
            )
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}}})

    @app.delete("/facebook/{version}/me/permissions", include_in_schema=False)
    async def fb_deauthorize(g: Grant = bearer("facebook")) -> Response:
        server.revoke_family(g.family)
        server.stats["facebook:revoke:ok"] += 1
        return JSONResponse({"success": True})

    @app.get("/tiktok/v2/user/info/", include_in_schema=False)
    async def tt_me(g: Grant = bearer("tiktok"), fields: str = "") -> Response:
        me = identity("tiktok", g.user)
        user = {k: v for k, v in me.items() if k in fields.split(",")}
        if "follower_count" in fields.split(","):  # a stats field: user.info.stats (developers.tiktok.com, Get User Info)
            if "user.info.stats" not in g.scopes:
                return JSONResponse(
                    {
                        "data": {},
                        "error": {
                            "code": "scope_not_authorized",
                            "message": "The user did not authorize the scope required for completing this request.",
                            "log_id": secrets.token_hex(10),
                        },
                    },
                    status_code=401,
                )
            user["follower_count"] = followers("tiktok", me["open_id"]) if followers else 0
        return JSONResponse({"data": {"user": user}, "error": {"code": "ok", "message": "", "log_id": secrets.token_hex(10)}})

    @app.get("/youtube/youtube/v3/channels", include_in_schema=False)
    async def yt_channels(g: Grant = bearer("youtube"), part: str = "", mine: bool = False) -> Response:
        me = identity("youtube", g.user)
        parts = {p.strip() for p in part.split(",") if p.strip()}
        if not parts or parts - {"id", "snippet", "statistics"}:
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "'part' is required and takes id, snippet, statistics here",
                        "errors": [{"message": "Required parameter: part", "domain": "global", "reason": "required"}],
                    }
                },
                status_code=400,
            )
        channel: dict[str, Any] = {"kind": "youtube#channel", "etag": "sandbox", "id": me["channel"]}
        if "snippet" in parts:
            channel["snippet"] = {"title": me["title"], "customUrl": "@" + g.user}
        if "statistics" in parts:
            # Counts are strings; a subscriber count is rounded down to three significant figures
            # (YouTube Data API revision history, September 2019), for the channel's owner too.
            subs = followers("youtube", me["channel"]) if followers else 0
            shown = subs - subs % (10 ** max(0, len(str(subs)) - 3))
            channel["statistics"] = {"viewCount": "0", "subscriberCount": str(shown), "hiddenSubscriberCount": False, "videoCount": "0"}
        items = [channel] if mine else []
        return JSONResponse(
            {"kind": "youtube#channelListResponse", "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}, "items": items}
        )

    # ---------- operator endpoints
    @app.post("/_sandbox/oauth/clients", include_in_schema=False)
    async def register(body: dict) -> Response:
        provider = body.get("provider")
        if provider not in PROVIDERS or not body.get("client_id") or not body.get("client_secret"):
            return JSONResponse({"detail": f"provider (one of {PROVIDERS}), client_id and client_secret are required"}, status_code=422)
        key = (provider, body["client_id"])
        old = server.clients.get(key)
        uris = set(body.get("redirect_uris", [])) | (old.redirect_uris if old else set())
        server.clients[key] = Client(provider, body["client_id"], body["client_secret"], uris)
        return JSONResponse({"ok": True, "redirect_uris": sorted(uris)})

    @app.post("/_sandbox/oauth/grants", include_in_schema=False)
    async def mint(body: dict) -> Response:
        provider = body.get("provider")
        if provider not in PROVIDERS:
            return JSONResponse({"detail": f"provider must be one of {PROVIDERS}"}, status_code=422)
        # Without ``scopes``: every scope the sandbox checks (sandbox.scopes.ALL), a fully granted token.
        scopes = body["scopes"] if isinstance(body.get("scopes"), list) else list(ALL[provider])
        g = server.issue("access", provider, body.get("user", "demo"), scopes, LIFETIMES[provider][0], secrets.token_hex(8))
        return JSONResponse({"access_token": g.token})

    @app.post("/_sandbox/oauth/expire", include_in_schema=False)
    async def expire(body: dict) -> Response:
        n = 0
        for g in server.grants.values():
            if g.provider == body.get("provider") and g.user == body.get("user") and g.kind == "access":
                g.expires_at, n = time.time() - 1, n + 1
        return JSONResponse({"expired": n})

    @app.post("/_sandbox/oauth/revoke", include_in_schema=False)
    async def withdraw(body: dict) -> Response:
        families = {g.family for g in server.grants.values() if g.provider == body.get("provider") and g.user == body.get("user")}
        for f in families:
            server.revoke_family(f)
        return JSONResponse({"revoked": len(families)})

    @app.get("/_sandbox/oauth/stats", include_in_schema=False)
    async def stats() -> Response:
        return JSONResponse({"token_calls": dict(server.stats)})


class _Unauthorized(Exception):
    def __init__(self, provider: str) -> None:
        self.provider = provider


def _bind(handler: Any, provider: str) -> Any:
    async def route(request: Request) -> Response:
        return await handler(provider, request)

    return route
