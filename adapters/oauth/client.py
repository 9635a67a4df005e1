"""One provider's OAuth 2.0 client: the authorization URL, the code exchange, refresh, revocation, and
the identity calls that turn a grant into accounts (a member, the pages or organizations it runs).

authlib does the protocol (grant URIs, PKCE S256, token requests, client authentication); the
providers' deviations are hooks: TikTok's ``client_key``, Facebook's GET exchange and long-lived
token, X's ``invalid_request`` for a dead refresh token. Tokens are :class:`Secret` from the moment
they are parsed, so no repr, log line or exception message can show one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import authlib.deprecate  # noqa: F401  (before the filter below, which it would otherwise reset)
import httpx

with warnings.catch_warnings():  # authlib prefers httpx2; the httpx the project uses is still supported
    warnings.simplefilter("ignore")
    from authlib.common.urls import add_params_to_qs
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapters.exceptions import GrantRefused, InvalidGrant, Unavailable
from adapters.oauth.providers import GRAPH, Provider
from adapters.vault.crypto import Secret


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: Secret


@dataclass(frozen=True)
class TokenSet:
    access_token: Secret
    refresh_token: Secret | None
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    subject: str = ""  # TikTok's open_id comes with the token


@dataclass(frozen=True)
class Discovered:
    """An account a grant can act for, with the token to use for it."""

    platform_account_id: str
    handle: str
    account_type: str
    tokens: TokenSet
    user_token: Secret | None = field(default=None)  # Meta: the member's token, kept to revoke the login


def _at(seconds: Any) -> datetime | None:
    try:
        s = int(seconds)
    except (TypeError, ValueError):
        return None
    return datetime.now(UTC) + timedelta(seconds=s) if s > 0 else None


def _client_key_post(auth: Any, method: str, uri: str, headers: dict, body: str) -> tuple[str, dict, str]:
    """TikTok authenticates the client with ``client_key`` and ``client_secret`` in the form."""
    body = add_params_to_qs(body or "", [("client_key", auth.client_id), ("client_secret", auth.client_secret)])
    return uri, headers, body


class OAuthClient:
    def __init__(
        self,
        provider: Provider,
        app: AppCredentials,
        hosts: dict[str, str],
        redirect_uri: str,
        *,
        timeout: float = 10.0,
        api_host: str | None = None,
    ) -> None:
        self.provider = provider
        self.app = app
        self.hosts = hosts
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.api = (api_host or hosts["api"]).rstrip("/")

    def _url(self, endpoint: tuple[str, str]) -> str:
        host, path = endpoint
        return self.hosts.get(host, self.hosts["api"]).rstrip("/") + path

    def _session(self, **kw: Any) -> AsyncOAuth2Client:
        p = self.provider
        method = {"query": "none", "client_key_post": "client_secret_post"}.get(p.client_auth, p.client_auth)
        s = AsyncOAuth2Client(
            self.app.client_id,
            self.app.client_secret.reveal(),
            token_endpoint_auth_method=method,
            revocation_endpoint_auth_method="none" if p.name == "youtube" else method,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256" if p.pkce else None,
            timeout=self.timeout,
            **kw,
        )
        if p.client_auth == "client_key_post":
            s.register_client_auth_method(("client_key_post", _client_key_post))
            s.token_endpoint_auth_method = "client_key_post"
            s.token_auth.auth_method = "client_key_post"
            s.revocation_endpoint_auth_method = "client_key_post"
        return s

    # ---------- the browser's leg
    def authorization_url(self, state: str, scopes: list[str], code_verifier: str | None) -> str:
        p = self.provider
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            session = self._session()
        url, _ = session.create_authorization_url(
            self._url(p.authorize),
            state=state,
            code_verifier=code_verifier if p.pkce else None,
            scope=p.scope_sep.join(scopes),
            **p.extra_authorize,
        )
        if p.client_auth == "client_key_post":  # TikTok names the client ``client_key`` in the URL too
            parts = urlsplit(url)
            query = [("client_key" if k == "client_id" else k, v) for k, v in parse_qsl(parts.query)]
            url = urlunsplit(parts._replace(query=urlencode(query)))
        return url

    # ---------- the server's leg
    async def exchange(self, code: str, code_verifier: str | None) -> TokenSet:
        p = self.provider
        kw: dict[str, Any] = {"code": code, "redirect_uri": self.redirect_uri}
        if p.pkce and code_verifier:
            kw["code_verifier"] = code_verifier
        if p.client_auth == "query":  # Meta takes the client's credentials in the exchange's query string
            kw["client_secret"] = self.app.client_secret.reveal()
        async with self._session() as s:
            # Meta documents a GET with the secret in the query string; its endpoint takes the same form as a
            # POST body, which keeps the secret and the tokens out of every URL (and every proxy's log).
            raw = await self._call(s.fetch_token(self._url(p.token), method="POST", **kw))
            if p.client_auth == "query":  # Meta: swap the short-lived user token for a long-lived one (~60 days)
                raw = await self._call(
                    s.fetch_token(
                        self._url(p.token),
                        method="POST",
                        grant_type="fb_exchange_token",
                        fb_exchange_token=raw["access_token"],
                        client_secret=kw["client_secret"],
                    )
                )
        return self._tokens(raw)

    async def refresh(self, refresh_token: Secret) -> TokenSet:
        p = self.provider
        async with self._session() as s:
            raw = await self._call(s.refresh_token(self._url(p.token), refresh_token=refresh_token.reveal()))
        tokens = self._tokens(raw)
        if tokens.refresh_token is None:
            # Google and LinkedIn keep the refresh token they already gave: never overwrite it with nothing.
            tokens = TokenSet(
                tokens.access_token, refresh_token, tokens.expires_at, tokens.refresh_expires_at, tokens.scopes, tokens.subject
            )
        return tokens

    async def revoke(self, token: Secret, hint: str = "refresh_token") -> None:
        p = self.provider
        if p.revoke is None:
            # Meta has no revocation endpoint: deleting the app's permissions ends the login and its page tokens.
            await self._get("DELETE", f"/{GRAPH}/me/permissions", token)
            return
        async with self._session() as s:
            try:
                resp = await s.revoke_token(self._url(p.revoke), token=token.reveal(), token_type_hint=hint)
            except httpx.HTTPError as err:
                raise Unavailable(p.name, f"revocation failed: {type(err).__name__}") from err
        if resp.status_code >= 500:
            raise Unavailable(p.name, f"revocation failed: HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise GrantRefused(p.name, f"revocation refused: HTTP {resp.status_code}", code=str(resp.status_code))

    def _tokens(self, raw: dict[str, Any]) -> TokenSet:
        sep = "," if "," in str(raw.get("scope", "")) else " "
        refresh = raw.get("refresh_token")
        return TokenSet(
            access_token=Secret(str(raw["access_token"])),
            refresh_token=Secret(str(refresh)) if refresh else None,
            expires_at=_at(raw.get("expires_in")),
            refresh_expires_at=_at(raw.get("refresh_token_expires_in") or raw.get("refresh_expires_in")),
            scopes=tuple(s for s in str(raw.get("scope", "")).split(sep) if s),
            subject=str(raw.get("open_id", "")),
        )

    async def _call(self, pending: Any) -> dict[str, Any]:
        """Await an authlib token call and translate its failures (never echoing a token)."""
        p = self.provider.name
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return dict(await pending)
        except OAuthError as err:
            error, description = err.error, err.description or ""
            if isinstance(error, dict):  # Meta: {"error": {"message", "code", "error_subcode"}}
                description = str(error.get("message", ""))
                error = (
                    "invalid_grant"
                    if error.get("code") in (100, 190)
                    else "invalid_client"
                    if error.get("code") == 101
                    else str(error.get("code"))
                )
            if p == "x" and error == "invalid_request" and "token was invalid" in description:
                error = "invalid_grant"  # X's answer for a dead code or refresh token
            if error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                raise InvalidGrant(p, f"{error}: {description}", code=error) from None
            raise GrantRefused(p, f"{error}: {description}", code=str(error)) from None
        except httpx.HTTPError as err:
            raise Unavailable(p, f"token endpoint unreachable: {type(err).__name__}") from None
        except ValueError as err:  # a non-JSON body: a proxy's or an outage's error page
            raise Unavailable(p, f"token endpoint answered garbage: {type(err).__name__}") from None

    # ---------- who the grant is
    async def _get(self, method: str, path: str, token: Secret, **params: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token.reveal()}"}
        if self.provider.name == "linkedin" and path.startswith("/rest/"):
            headers |= {"LinkedIn-Version": "202411", "X-Restli-Protocol-Version": "2.0.0"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as http:
                resp = await http.request(method, self.api + path, params=params or None, headers=headers)
        except httpx.HTTPError as err:
            raise Unavailable(self.provider.name, f"{path}: {type(err).__name__}") from None
        if resp.status_code == 401:
            raise InvalidGrant(self.provider.name, f"{path}: the new token was refused", code="invalid_token")
        if resp.status_code >= 400:
            raise GrantRefused(self.provider.name, f"{path}: HTTP {resp.status_code}: {resp.text[:200]}", code=str(resp.status_code))
        return resp.json() if resp.content else {}

    async def discover(self, tokens: TokenSet, account_type: str) -> list[Discovered]:
        p, at = self.provider.name, tokens.access_token
        if p == "linkedin" and account_type == "organization":
            acls = await self._get("GET", "/rest/organizationAcls", at, q="roleAssignee", role="ADMINISTRATOR", state="APPROVED")
            out = []
            for el in acls.get("elements", []):
                org_id = el["organization"].rsplit(":", 1)[-1]
                org = await self._get("GET", f"/rest/organizations/{org_id}", at)
                out.append(Discovered(el["organization"], org.get("localizedName", org_id), "organization", tokens))
            return out
        if p == "linkedin":
            me = await self._get("GET", "/v2/userinfo", at)
            return [Discovered(f"urn:li:person:{me['sub']}", me.get("name", me["sub"]), "personal", tokens)]
        if p == "x":
            me = (await self._get("GET", "/2/users/me", at))["data"]
            return [Discovered(me["id"], me["username"], "personal", tokens)]
        if p in ("facebook", "instagram"):
            pages = (await self._get("GET", f"/{GRAPH}/me/accounts", at, fields="id,name,access_token,tasks")).get("data", [])
            out = []
            for page in pages:
                page_tokens = TokenSet(Secret(page["access_token"]), None, None, None, tokens.scopes)
                if p == "facebook":
                    out.append(Discovered(page["id"], page["name"], "page", page_tokens, user_token=at))
                    continue
                node = await self._get(
                    "GET", f"/{GRAPH}/{page['id']}", page_tokens.access_token, fields="instagram_business_account{id,username}"
                )
                ig = node.get("instagram_business_account")
                if ig:
                    out.append(Discovered(ig["id"], ig.get("username", ig["id"]), "business", page_tokens, user_token=at))
            return out
        if p == "tiktok":
            me = (await self._get("GET", "/v2/user/info/", at, fields="open_id,display_name"))["data"]["user"]
            return [Discovered(me.get("open_id") or tokens.subject, me.get("display_name", ""), "personal", tokens)]
        if p == "youtube":
            items = (await self._get("GET", "/youtube/v3/channels", at, part="snippet", mine="true")).get("items", [])
            return [Discovered(i["id"], i["snippet"]["title"], "channel", tokens) for i in items]
        raise GrantRefused(p, "no identity call for this provider", code="unsupported")
