"""What differs between the six authorization servers, as data: endpoints, client authentication,
PKCE and scope separators. Which scopes to ask for is policy: :mod:`domain.platforms`.

Production hosts are the providers' own; when a platform's API URL is not configured every host of
that provider is the local sandbox (``{sandbox}/{platform}``), which serves the same paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from domain.platforms import CONNECTABLE, FEATURES, profile

__all__ = ["CONNECTABLE", "FEATURES", "PROVIDERS", "Provider"]


@dataclass(frozen=True)
class Provider:
    name: str  # the platform an account of it publishes to
    client: str  # whose app credentials it uses (Instagram signs in through Facebook's app)
    authorize: tuple[str, str]  # (host, path)
    token: tuple[str, str]
    revoke: tuple[str, str] | None
    hosts: dict[str, str]  # production host per role: auth, token, api
    client_auth: Literal["client_secret_post", "client_secret_basic", "client_key_post", "query"]
    scope_sep: str
    refreshable: bool
    extra_authorize: dict[str, str] = field(default_factory=dict)

    @property
    def pkce(self) -> bool:
        return profile(self.name).pkce


GRAPH = "v21.0"
# Facebook Login serves both Meta platforms: Instagram signs in through the Facebook app (see PROVIDERS).
_META = Provider(
    "facebook",
    "facebook",
    ("auth", f"/{GRAPH}/dialog/oauth"),
    ("api", f"/{GRAPH}/oauth/access_token"),
    None,
    {"auth": "https://www.facebook.com", "token": "https://graph.facebook.com", "api": "https://graph.facebook.com"},
    "query",
    scope_sep=",",
    refreshable=False,
)

PROVIDERS: dict[str, Provider] = {
    "linkedin": Provider(
        "linkedin",
        "linkedin",
        ("auth", "/oauth/v2/authorization"),
        ("auth", "/oauth/v2/accessToken"),
        ("auth", "/oauth/v2/revoke"),
        {"auth": "https://www.linkedin.com", "api": "https://api.linkedin.com"},
        "client_secret_post",
        scope_sep=" ",
        refreshable=True,
    ),
    "x": Provider(
        "x",
        "x",
        ("auth", "/i/oauth2/authorize"),
        ("api", "/2/oauth2/token"),
        ("api", "/2/oauth2/revoke"),
        {"auth": "https://x.com", "api": "https://api.x.com"},
        "client_secret_basic",
        scope_sep=" ",
        refreshable=True,
    ),
    "facebook": _META,
    "instagram": replace(_META, name="instagram"),
    "tiktok": Provider(
        "tiktok",
        "tiktok",
        ("auth", "/v2/auth/authorize/"),
        ("api", "/v2/oauth/token/"),
        ("api", "/v2/oauth/revoke/"),
        {"auth": "https://www.tiktok.com", "api": "https://open.tiktokapis.com"},
        "client_key_post",
        scope_sep=",",
        refreshable=True,
    ),
    "youtube": Provider(
        "youtube",
        "youtube",
        ("auth", "/o/oauth2/v2/auth"),
        ("token", "/token"),
        ("token", "/revoke"),
        {"auth": "https://accounts.google.com", "token": "https://oauth2.googleapis.com", "api": "https://www.googleapis.com"},
        "client_secret_post",
        scope_sep=" ",
        refreshable=True,
        extra_authorize={"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
    ),
}
