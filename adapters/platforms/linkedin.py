"""LinkedIn Posts API: ``POST /rest/posts`` (201, URN in ``x-restli-id``), author lookup, statistics.

Statistics are read where LinkedIn keeps them: an organization's posts through
``organizationalEntityShareStatistics`` (``r_organization_social``), a member's through
``memberCreatorPostAnalytics`` (``r_member_postAnalytics``, one metric a call), which LinkedIn
refuses and answers respectively for the other kind of author."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from adapters.exceptions import Rejected
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


def _org(account: Account) -> bool:
    return account.platform_account_id.startswith("urn:li:organization")


def _writes(account: Account) -> str:
    return "w_organization_social" if _org(account) else "w_member_social"


# memberCreatorPostAnalytics's query types (li-lms-2025-11) and the fields they fill.
MEMBER_METRICS = {"IMPRESSION": "impressions", "MEMBERS_REACHED": "reach", "REACTION": "likes", "COMMENT": "comments", "RESHARE": "shares"}


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
                scope=_writes(account),
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
        resp = await self.request("POST", "/rest/posts", json=body, headers=_headers(account), creates=True, scope=_writes(account))
        urn = resp.headers["x-restli-id"]
        return PublishedRef(urn, self._url(urn))

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"q": "author", "author": account.platform_account_id, "count": "50", "sortBy": "CREATED"}
        scope = "r_organization_social" if _org(account) else ""
        resp = await self.request("GET", "/rest/posts", params=params, headers=_headers(account), scope=scope)
        wanted = escape_little(post.text)
        for el in resp.json().get("elements", []):
            if el.get("commentary") == wanted and el.get("createdAt", 0) >= since.timestamp() * 1000 - 5000:
                return PublishedRef(el["id"], self._url(el["id"]))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        if not _org(account):
            members: dict[str, Metrics] = {}
            for urn in ids:
                try:
                    members[urn] = await self._member_metrics(account, urn)
                except Rejected as err:
                    if err.status != 404:  # a post deleted since: the others are still read
                        raise
            return members
        out: dict[str, Metrics] = {}
        for i in range(0, len(ids), 50):
            shares = "List(" + ",".join(quote(u, safe="") for u in ids[i : i + 50]) + ")"
            url = (
                f"/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                f"&organizationalEntity={quote(account.platform_account_id, safe='')}&shares={shares}"
            )
            resp = await self.request("GET", url, headers=_headers(account), scope="r_organization_social")
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

    async def count_followers(self, account: Account) -> int | None:
        """An organization's followers: GET /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER
        answers ``firstDegreeSize``. LinkedIn reports no follower count of a member's own profile to an app."""
        if not _org(account):
            return None
        url = f"/rest/networkSizes/{quote(account.platform_account_id, safe='')}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        resp = await self.request("GET", url, headers=_headers(account), scope="r_organization_admin")
        size = resp.json().get("firstDegreeSize")
        return int(size) if size is not None else None

    async def _member_metrics(self, account: Account, urn: str) -> Metrics:
        """A member's post: one memberCreatorPostAnalytics call per metric, each its TOTAL."""
        kind = "ugcPost" if ":ugcPost:" in urn else "share"
        counts: dict[str, int] = {}
        for query, name in MEMBER_METRICS.items():
            url = f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{quote(urn, safe='')})&queryType={query}&aggregation=TOTAL"
            resp = await self.request("GET", url, headers=_headers(account), scope="r_member_postAnalytics")
            counts[name] = sum(int(el.get("count", 0)) for el in resp.json().get("elements", []))
        return Metrics(
            likes=counts["likes"],
            comments=counts["comments"],
            shares=counts["shares"],
            impressions=counts["impressions"],
            raw={"members_reached": counts["reach"], **counts},
        )
