"""Platform clients: one thin httpx client per platform against the real request/response shapes.

The same clients talk to the local sandbox (tests, default run) and to the real hosts (production):
only the base URL differs.
"""

from __future__ import annotations

import httpx

from adapters.platforms.base import Metrics, OutgoingPost, PlatformClient, PublishedRef
from adapters.platforms.facebook import FacebookClient, InstagramClient
from adapters.platforms.linkedin import LinkedInClient
from adapters.platforms.tiktok import TikTokClient
from adapters.platforms.x import XClient
from adapters.ports import BaseUrl

__all__ = ["Metrics", "OutgoingPost", "PlatformClient", "PublishedRef", "clients_for"]


def clients_for(base_url: BaseUrl, http: httpx.AsyncClient) -> dict[str, PlatformClient]:
    """Build every platform's client; ``base_url(platform)`` gives each one's host."""
    return {
        "linkedin": LinkedInClient(http, base_url("linkedin")),
        "x": XClient(http, base_url("x")),
        "facebook": FacebookClient(http, base_url("facebook")),
        "instagram": InstagramClient(http, base_url("instagram")),
        "tiktok": TikTokClient(http, base_url("tiktok")),
    }
