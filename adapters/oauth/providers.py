"""What differs between the six authorization servers, as data: endpoints, client authentication,
PKCE, scope separators and the least scopes each feature needs.

Production hosts are the providers' own; when a platform's API URL is not configured every host of
that provider is the local sandbox (``{sandbox}/{platform}``), which serves the same paths.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Feature = Literal["publish", "analytics"]
FEATURES: tuple[Feature, ...] = ("publish", "analytics")
CONNECTABLE = ("linkedin", "x", "facebook", "instagram", "tiktok", "youtube")


@dataclass(frozen=True)
class Provider:
    name: str  # the platform an account of it publishes to
    client: str  # whose app credentials it uses (Instagram signs in through Facebook's app)
    authorize: tuple[str, str]  # (host, path)
    token: tuple[str, str]
    revoke: tuple[str, str] | None
    hosts: dict[str, str]  # production host per role: auth, token, api
    client_auth: Literal["client_secret_post", "client_secret_basic", "client_key_post", "query"]
    pkce: bool
    scope_sep: str
    # Scopes per account type: always, then per feature. Least privilege: nothing a feature does not use.
    scopes: dict[str, dict[str, tuple[str, ...]]]
    refreshable: bool
    extra_authorize: dict[str, str] = field(default_factory=dict)
    account_types: tuple[str, ...] = ("personal",)

    def scope_list(self, account_type: str, features: tuple[str, ...]) -> list[str]:
        table = self.scopes[account_type]
        out: list[str] = []
        for part in ("base", *features):
            for s in table.get(part, ()):
                if s not in out:
                    out.append(s)
        return out


GRAPH = "v21.0"
_META_HOSTS = {"auth": "https://www.facebook.com", "token": "https://graph.facebook.com", "api": "https://graph.facebook.com"}
_YT = "https://www.googleapis.com/auth/"

PROVIDERS: dict[str, Provider] = {
    "linkedin": Provider(
        "linkedin", "linkedin", ("auth", "/oauth/v2/authorization"), ("auth", "/oauth/v2/accessToken"), ("auth", "/oauth/v2/revoke"),
        {"auth": "https://www.linkedin.com", "api": "https://api.linkedin.com"}, "client_secret_post", pkce=False, scope_sep=" ",
        scopes={"personal": {"base": ("openid", "profile"), "publish": ("w_member_social",)},
                # organizationAcls (which pages the member administers) needs an organization admin scope.
                "organization": {"base": ("r_organization_admin",), "publish": ("w_organization_social",),
                                 "analytics": ("r_organization_social",)}},
        refreshable=True, account_types=("personal", "organization")),
    "x": Provider(
        "x", "x", ("auth", "/i/oauth2/authorize"), ("api", "/2/oauth2/token"), ("api", "/2/oauth2/revoke"),
        {"auth": "https://x.com", "api": "https://api.x.com"}, "client_secret_basic", pkce=True, scope_sep=" ",
        scopes={"personal": {"base": ("users.read", "tweet.read", "offline.access"), "publish": ("tweet.write", "media.write")}},
        refreshable=True),
    "facebook": Provider(
        "facebook", "facebook", ("auth", f"/{GRAPH}/dialog/oauth"), ("api", f"/{GRAPH}/oauth/access_token"), None,
        _META_HOSTS, "query", pkce=False, scope_sep=",",
        scopes={"page": {"base": ("pages_show_list",), "publish": ("pages_manage_posts", "pages_read_engagement"),
                         "analytics": ("read_insights", "pages_read_engagement")}},
        refreshable=False, account_types=("page",)),
    "instagram": Provider(
        "instagram", "facebook", ("auth", f"/{GRAPH}/dialog/oauth"), ("api", f"/{GRAPH}/oauth/access_token"), None,
        _META_HOSTS, "query", pkce=False, scope_sep=",",
        scopes={"business": {"base": ("pages_show_list", "instagram_basic"),
                             "publish": ("instagram_content_publish", "pages_read_engagement"),
                             "analytics": ("instagram_manage_insights",)}},
        refreshable=False, account_types=("business",)),
    "tiktok": Provider(
        "tiktok", "tiktok", ("auth", "/v2/auth/authorize/"), ("api", "/v2/oauth/token/"), ("api", "/v2/oauth/revoke/"),
        {"auth": "https://www.tiktok.com", "api": "https://open.tiktokapis.com"}, "client_key_post", pkce=False, scope_sep=",",
        scopes={"personal": {"base": ("user.info.basic",), "publish": ("video.publish", "video.upload"), "analytics": ("video.list",)}},
        refreshable=True),
    "youtube": Provider(
        "youtube", "youtube", ("auth", "/o/oauth2/v2/auth"), ("token", "/token"), ("token", "/revoke"),
        {"auth": "https://accounts.google.com", "token": "https://oauth2.googleapis.com", "api": "https://www.googleapis.com"},
        "client_secret_post", pkce=True, scope_sep=" ",
        # channels.list?mine=true (which channel is this) needs youtube.readonly.
        scopes={"channel": {"base": (_YT + "youtube.readonly",), "publish": (_YT + "youtube.upload",),
                            "analytics": ("https://www.googleapis.com/auth/yt-analytics.readonly",)}},
        refreshable=True, extra_authorize={"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
        account_types=("channel",)),
}
