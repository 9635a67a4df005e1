"""LinkedIn Posts API: ``POST /rest/posts`` (201, URN in ``x-restli-id``), author lookup, share statistics."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, PublishedRef
from domain.accounts import Account

LINKEDIN_VERSION = "202511"
# The "little" text format reserves these characters in commentary.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def _headers(account: Account) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {account.access_token}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }


class LinkedInClient(HttpPlatform):
    platform = "linkedin"

    def _url(self, urn: str) -> str:
        return f"https://www.linkedin.com/feed/update/{urn}/"

    async def upload(self, account: Account, urls: tuple[str, ...]) -> list[str]:
        """Images API: initializeUpload gives an upload URL and an image URN; the bytes go to the URL."""
        urns = []
        for url in urls[:20]:
            data = await self.fetch_media(url)
            if data is None:
                continue
            init = await self.request(
                "POST",
                "/rest/images?action=initializeUpload",
                headers=_headers(account),
                json={"initializeUploadRequest": {"owner": account.platform_account_id}},
            )
            value = init.json()["value"]
            await self.request("PUT", value["uploadUrl"], content=data, headers={"Authorization": f"Bearer {account.access_token}"})
            urns.append(value["image"])
        return urns

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        images = await self.upload(account, post.media_urls) if post.media_urls else []
        body: dict[str, Any] = {
            "author": account.platform_account_id,
            "commentary": escape_little(post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            body["content"] = {"media": {"id": images[0]}}
        elif len(images) > 1:
            body["content"] = {"multiImage": {"images": [{"id": urn} for urn in images]}}
        resp = await self.request("POST", "/rest/posts", json=body, headers=_headers(account), creates=True)
        urn = resp.headers["x-restli-id"]
        return PublishedRef(urn, self._url(urn))

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"q": "author", "author": account.platform_account_id, "count": "50", "sortBy": "CREATED"}
        resp = await self.request("GET", "/rest/posts", params=params, headers=_headers(account))
        wanted = escape_little(post.text)
        for el in resp.json().get("elements", []):
            if el.get("commentary") == wanted and el.get("createdAt", 0) >= since.timestamp() * 1000 - 5000:
                return PublishedRef(el["id"], self._url(el["id"]))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 50):
            shares = "List(" + ",".join(quote(u, safe="") for u in ids[i : i + 50]) + ")"
            url = (
                f"/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                f"&organizationalEntity={quote(account.platform_account_id, safe='')}&shares={shares}"
            )
            resp = await self.request("GET", url, headers=_headers(account))
            for el in resp.json().get("elements", []):
                s = el.get("totalShareStatistics", {})
                out[el["share"]] = Metrics(
                    likes=s.get("likeCount", 0),
                    comments=s.get("commentCount", 0),
                    shares=s.get("shareCount", 0),
                    impressions=s.get("impressionCount", 0),
                    clicks=s.get("clickCount", 0),
                    reach=s.get("uniqueImpressionsCount", 0),
                    raw=s,
                )
        return out
