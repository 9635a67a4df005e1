"""LinkedIn's versioned REST API: posts, the Images API (initialize, upload), organization share
statistics (organizations only) and member post analytics (members only), each behind its scope:

- posts and images as a member ``w_member_social``, as an organization ``w_organization_social``;
  an organization's posts listed with ``r_organization_social`` (learn.microsoft.com/linkedin/marketing/
  community-management/shares/posts-api, "Permissions");
- ``organizationalEntityShareStatistics``: ``r_organization_social``, for organization URNs only
  (learn.microsoft.com/linkedin/marketing/community-management/organizations/share-statistics), and,
  as the follower count (``networkSizes``), only for a member who is the organization's ADMINISTRATOR
  ("Restricted to organizations in which the authenticated member has the following role");
- ``memberCreatorPostAnalytics?q=entity``: ``r_member_postAnalytics``, a member's own posts, one
  ``queryType`` a call (learn.microsoft.com/linkedin/marketing/community-management/members/post-statistics).
"""

from __future__ import annotations

import time
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.oauth import _bearer, identity
from sandbox.platforms import Plumbing
from sandbox.scopes import refusal
from sandbox.state import Post, SandboxState


def install(app: FastAPI, st: SandboxState, wire: Plumbing) -> None:
    # ---------- LinkedIn ----------
    def li_version_ok(request: Request) -> Response | None:
        if not request.headers.get("linkedin-version"):
            return JSONResponse(
                {
                    "status": 400,
                    "code": "VERSION_MISSING",
                    "message": "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                },
                status_code=400,
            )
        return None

    def writes_as(owner: str) -> str:
        return "w_organization_social" if ":organization:" in owner else "w_member_social"

    @app.post("/linkedin/rest/posts")
    async def li_create(request: Request) -> Response:
        if (bad := li_version_ok(request)) is not None:
            return bad
        body = await request.json() if st.authorized("linkedin", request) else {}
        if (
            no := wire.refused("linkedin", request, writes_as(str(body.get("author", ""))), what="partnerApiPostsExternal.CREATE")
        ) is not None:
            return no
        if not body.get("author"):
            return JSONResponse({"status": 422, "message": "/author :: field is required"}, status_code=422)
        if len(body.get("commentary", "")) > 3000:
            return JSONResponse({"status": 422, "message": "/commentary :: length must be at most 3000"}, status_code=422)
        content = body.get("content") or {}
        images = [content["media"]["id"]] if "media" in content else [i["id"] for i in content.get("multiImage", {}).get("images", [])]
        if any(not st.media.get("li:" + urn.rsplit(":", 1)[-1]) for urn in images):
            return JSONResponse({"status": 422, "message": "/content :: image not uploaded"}, status_code=422)

        def respond(p: Post) -> Response:
            r = Response(status_code=201)
            r.headers["x-restli-id"] = f"urn:li:share:{p.id}"
            return r

        return await wire.create("linkedin", body["author"], body.get("commentary", ""), respond, {"media": images})

    @app.post("/linkedin/rest/images")
    async def li_image_init(request: Request, action: str = "") -> Response:
        if not st.authorized("linkedin", request):
            return wire.unauthorized("linkedin")
        if action != "initializeUpload":
            return JSONResponse({"status": 400, "message": "action must be initializeUpload"}, status_code=400)
        body = await request.json()
        owner = str(body.get("initializeUploadRequest", {}).get("owner", ""))
        if (no := wire.refused("linkedin", request, writes_as(owner), what="images.ACTION-initializeUpload")) is not None:
            return no
        if not owner:
            return JSONResponse({"status": 422, "message": "/initializeUploadRequest/owner :: field is required"}, status_code=422)
        iid = st.next_id()
        st.media[f"li:{iid}"] = 0
        upload = str(request.base_url).rstrip("/") + f"/linkedin/_upload/{iid}"
        return JSONResponse(
            {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000, "uploadUrl": upload, "image": f"urn:li:image:{iid}"}}
        )

    @app.put("/linkedin/_upload/{iid}")
    async def li_image_put(iid: str, request: Request) -> Response:
        if f"li:{iid}" not in st.media:
            return JSONResponse({"status": 404, "message": "no such upload"}, status_code=404)
        st.media[f"li:{iid}"] = len(await request.body())
        return Response(status_code=201)

    @app.get("/linkedin/rest/posts")
    async def li_list(request: Request, author: str = "", q: str = "") -> Response:
        # An organization's posts need r_organization_social. A member's would need r_member_social,
        # which LinkedIn grants to few apps; the sandbox lets the member's own token list them.
        need = ("r_organization_social",) if ":organization:" in author else ()
        if (no := wire.refused("linkedin", request, *need, what="partnerApiPostsExternal.FINDER-author")) is not None:
            return no
        els = [
            {
                "id": f"urn:li:share:{p.id}",
                "author": p.account,
                "commentary": p.text,
                "createdAt": int(p.created_at * 1000),
                "lifecycleState": "PUBLISHED",
            }
            for p in st.posts["linkedin"].values()
            if p.account == author
        ]
        return JSONResponse({"elements": els, "paging": {"start": 0, "count": len(els)}})

    def li_admin(request: Request, org: str, what: str) -> Response | None:
        """The member behind the token must be an ADMINISTRATOR of ``org``: else LinkedIn's 403."""
        g = st.oauth.valid(_bearer(request), ("linkedin",))
        administered = {f"urn:li:organization:{o['id']}" for o in identity("linkedin", g.user)["organizations"]} if g else set()
        return None if org in administered else refusal("linkedin", "", what)

    @app.get("/linkedin/rest/networkSizes/{urn}")
    async def li_network_size(urn: str, request: Request, edgeType: str = "") -> Response:  # noqa: N803 - the API's name
        """An organization's follower count (Organization Lookup API, "Retrieve Organization Follower Count")."""
        if (no := wire.refused("linkedin", request, "r_organization_admin", what="networkSizes.GET")) is not None:
            return no
        org = unquote(urn)
        if edgeType != "COMPANY_FOLLOWED_BY_MEMBER" or not org.startswith("urn:li:organization:"):
            return JSONResponse(
                {
                    "status": 400,
                    "serviceErrorCode": 100,
                    "code": "ILLEGAL_ARGUMENT",
                    "message": "edgeType must be COMPANY_FOLLOWED_BY_MEMBER",
                },
                status_code=400,
            )
        if (no := li_admin(request, org, "networkSizes.GET")) is not None:
            return no
        return JSONResponse({"firstDegreeSize": st.followers("linkedin", org)})

    @app.get("/linkedin/rest/organizationalEntityShareStatistics")
    async def li_stats(request: Request, shares: str = "", organizationalEntity: str = "") -> Response:  # noqa: N803 - the API's name
        what = "organizationalEntityShareStatistics.FINDER-organizationalEntity"
        if (no := wire.refused("linkedin", request, "r_organization_social", what=what)) is not None:
            return no
        org = unquote(organizationalEntity)
        if not org.startswith(("urn:li:organization:", "urn:li:organizationBrand:")):
            # Share statistics are an organization's: a member's posts have memberCreatorPostAnalytics.
            return JSONResponse(
                {
                    "status": 400,
                    "serviceErrorCode": 100,
                    "code": "INVALID_PARAM",
                    "message": f"Invalid param. organizationalEntity {org!r} must be an organization or organizationBrand URN",
                },
                status_code=400,
            )
        if (no := li_admin(request, org, what)) is not None:
            return no
        urns = [unquote(u) for u in shares.removeprefix("List(").removesuffix(")").split(",") if u]
        els = []
        for urn in urns:
            p = st.posts["linkedin"].get(urn.rsplit(":", 1)[-1])
            if p and p.account == org:
                m = st.metrics(p)
                stats = {
                    "impressionCount": m["impressions"],
                    "uniqueImpressionsCount": int(m["impressions"] * 0.8),
                    "clickCount": m["clicks"],
                    "likeCount": m["likes"],
                    "commentCount": m["comments"],
                    "shareCount": m["shares"],
                }
                stats["engagement"] = round((m["clicks"] + m["likes"] + m["comments"] + m["shares"]) / m["impressions"], 6)
                els.append({"share": urn, "totalShareStatistics": stats})
        return JSONResponse({"elements": els, "paging": {"count": len(els), "start": 0}})

    metric_names = {"IMPRESSION", "MEMBERS_REACHED", "RESHARE", "REACTION", "COMMENT", "POST_SAVE", "POST_SEND"}

    @app.get("/linkedin/rest/memberCreatorPostAnalytics")
    async def li_member_stats(request: Request, q: str = "", entity: str = "", queryType: str = "", aggregation: str = "") -> Response:  # noqa: N803
        if (bad := li_version_ok(request)) is not None:
            return bad
        if (no := wire.refused("linkedin", request, "r_member_postAnalytics", what="memberCreatorPostAnalytics.FINDER-entity")) is not None:
            return no
        if q != "entity" or queryType not in metric_names or aggregation not in ("TOTAL", "DAILY"):
            return JSONResponse(
                {"status": 400, "code": "INVALID_PARAM", "message": "q=entity, queryType (IMPRESSION, ...) and aggregation are required"},
                status_code=400,
            )
        # Rest.li 2.0: entity=(share:urn%3Ali%3Ashare%3A123) or (ugcPost:...)
        urn = unquote(entity).strip("()").split(":", 1)[-1]
        p = st.posts["linkedin"].get(urn.rsplit(":", 1)[-1])
        member = st.oauth.valid(_bearer(request), ("linkedin",))
        if p is None or member is None or p.account != f"urn:li:person:{identity('linkedin', member.user)['sub']}":
            return JSONResponse(
                {"status": 404, "code": "NOT_FOUND", "message": f"no post {urn} of the authenticated member"}, status_code=404
            )
        m = st.metrics(p)
        count = {
            "IMPRESSION": m["impressions"],
            "MEMBERS_REACHED": -(-m["impressions"] * 4 // 5),  # 80 %, rounded up: one impression reached one member
            "RESHARE": m["shares"],
            "REACTION": m["likes"],
            "COMMENT": m["comments"],
            "POST_SAVE": m["saves"],
            "POST_SEND": 0,
        }[queryType]
        metric = {"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": queryType}
        return JSONResponse({"elements": [{"count": count, "metricType": metric}], "paging": {"start": 0, "count": 10, "links": []}})
