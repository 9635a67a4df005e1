"""Meta Graph API: Facebook Page posts (``POST /{page-id}/feed``) and Instagram's container flow
(``POST /{ig-user-id}/media`` → poll ``status_code`` → ``POST /{ig-user-id}/media_publish``).

Insights ask only the current metric names (Graph v22+); since one retired metric fails the whole
call (#100), a metric Meta refuses is dropped and the rest asked again, and remembered for this
process so it is not asked again: one refused metric loses only itself."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any

from adapters.exceptions import PlatformError, Rejected, ScopeMissing, Unavailable
from adapters.platforms.base import HttpPlatform
from adapters.ports import Metrics, OutgoingPost, OutgoingReply, PublishedRef, SeenComment, SeenMessage
from domain.accounts import Account
from domain.inbox import meta_thread

GRAPH_VERSION = "v21.0"
MAX_COMMENT_PAGES = 50  # a sweep reads at most 5,000 comments of one post
log = logging.getLogger("socializer.platforms.meta")


def _auth(account: Account) -> dict[str, str]:
    # A header rather than ?access_token= so the token never lands in an access log.
    return {"Authorization": f"Bearer {account.access_token}"}


def _insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """Each metric's latest value: a count, or a breakdown (``post_reactions_by_type_total``)."""
    return {item["name"]: item["values"][-1]["value"] for item in body.get("data", []) if item.get("values")}


def _count(values: dict[str, Any], name: str) -> int:
    v = values.get(name, 0)
    return int(v) if isinstance(v, int | float) else 0


REFUSED_METRICS: set[tuple[str, str]] = set()  # (platform, metric) Meta refused in this process


def refused_metric(message: str, asked: list[str]) -> str | None:
    """The asked metric a #100 names ("the impressions metric is no longer supported", "must be a valid
    insights metric: plays"), if exactly one of them is named."""
    named = [m for m in asked if re.search(rf"(?<![\w.]){re.escape(m)}(?![\w.])", message)]
    return named[0] if len(named) == 1 else None


class FacebookClient(HttpPlatform):
    platform = "facebook"

    def __init__(self, http, base_url: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(http, f"{base_url.rstrip('/')}/{GRAPH_VERSION}")

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if post.media_urls:  # a photo post: the Page fetches the image from its URL
            data = {"url": post.media_urls[0], "caption": post.text, "published": "true"}
            resp = await self.request(
                "POST",
                f"/{account.platform_account_id}/photos",
                data=data,
                headers=_auth(account),
                creates=True,
                scope="pages_manage_posts",
            )
            pid = resp.json().get("post_id") or resp.json()["id"]
            return PublishedRef(pid, f"https://www.facebook.com/{pid}")
        data = {"message": post.text, "published": "true"}
        if post.link_url:
            data["link"] = post.link_url
        resp = await self.request(
            "POST", f"/{account.platform_account_id}/feed", data=data, headers=_auth(account), creates=True, scope="pages_manage_posts"
        )
        pid = resp.json()["id"]
        return PublishedRef(pid, f"https://www.facebook.com/{pid}")

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,message,created_time", "since": str(int(since.timestamp()) - 5), "limit": "100"}
        resp = await self.request(
            "GET", f"/{account.platform_account_id}/feed", params=params, headers=_auth(account), scope="pages_read_engagement"
        )
        for item in resp.json().get("data", []):
            if item.get("message") == post.text:
                return PublishedRef(item["id"], f"https://www.facebook.com/{item['id']}")
        return None

    # Post insights by their current names (post_impressions* retired for post_media_view and
    # post_total_media_view_unique: developers.facebook.com/docs/graph-api/reference/insights).
    insight_metrics: tuple[str, ...] = ("post_media_view", "post_total_media_view_unique", "post_clicks")
    insight_scope = "read_insights"
    followers_scope = "pages_read_engagement"

    async def insights(self, account: Account, node: str) -> dict[str, Any]:
        """The node's current insight metrics; a metric Meta refuses (#100) is dropped, the rest asked again."""
        asked = [m for m in self.insight_metrics if (self.platform, m) not in REFUSED_METRICS]
        while asked:
            try:
                resp = await self.request(
                    "GET", f"/{node}/insights", params={"metric": ",".join(asked)}, headers=_auth(account), scope=self.insight_scope
                )
            except Rejected as err:
                bad = None if isinstance(err, ScopeMissing) or err.code != "100" else refused_metric(err.message, asked)
                if bad is None:
                    raise
                log.warning("%s: Meta refused the insight metric %s (%s); the others are asked without it", self.platform, bad, err.message)
                REFUSED_METRICS.add((self.platform, bad))
                asked.remove(bad)
                continue
            return _insight_values(resp.json())
        return {}

    async def count_followers(self, account: Account) -> int | None:
        """The Page's (or the Instagram professional account's) ``followers_count`` field: GET /{id}?fields=followers_count."""
        resp = await self.request(
            "GET",
            f"/{account.platform_account_id}",
            params={"fields": "followers_count"},
            headers=_auth(account),
            scope=self.followers_scope,
        )
        count = resp.json().get("followers_count")
        return int(count) if count is not None else None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for pid in ids:
            fields = await self.request(
                "GET",
                f"/{pid}",
                params={"fields": "reactions.summary(total_count),comments.summary(true),shares"},
                headers=_auth(account),
                scope="pages_read_engagement",
            )
            f = fields.json()
            ins = await self.insights(account, pid)
            out[pid] = Metrics(
                likes=f.get("reactions", {}).get("summary", {}).get("total_count", 0),
                comments=f.get("comments", {}).get("summary", {}).get("total_count", 0),
                shares=f.get("shares", {}).get("count", 0),
                impressions=_count(ins, "post_media_view"),
                clicks=_count(ins, "post_clicks"),
                raw={"fields": f, "insights": ins},
            )
        return out

    # ---- the inbox (Graph API): a public reply is a comment on the comment; a private reply and a DM go
    # through the Send API, ``POST /{page-id}/messages`` with ``recipient: {comment_id}`` or ``{id}`` and
    # ``messaging_type: RESPONSE``; a hide is ``POST /{comment-id}`` (Pages: ``is_hidden``; Instagram:
    # ``hide``). developers.facebook.com/docs/messenger-platform/send-messages,
    # .../instagram-platform/private-replies, .../graph-api/reference/comment.
    reply_edge = "comments"  # Instagram: "replies"
    hide_field = "is_hidden"  # Instagram: "hide"
    hidden_field = "is_hidden"  # as read back (Instagram: "hidden")
    text_field = "message"  # what a comment's text is called when read (Instagram: "text")
    time_field = "created_time"  # Instagram: "timestamp"
    parent_field = "parent"  # a reply's parent comment, {"id"} (Instagram: "parent_id", a string)
    # Every level of a Page post's comments in time order (the default lists the top level only):
    # developers.facebook.com/docs/graph-api/reference/object/comments, "filter".
    comment_filter: dict[str, str] = {"filter": "stream"}
    comment_scope = "pages_manage_engagement"
    message_scope = "pages_messaging"
    messaging_platform = ""  # the conversations listing's ``platform`` (Instagram: "instagram")

    async def send_reply(self, account: Account, reply: OutgoingReply) -> PublishedRef:
        me = account.platform_account_id
        if reply.action == "reply":
            resp = await self.request(
                "POST",
                f"/{reply.target['comment_id']}/{self.reply_edge}",
                data={"message": reply.text},
                headers=_auth(account),
                creates=True,
                scope=self.comment_scope,
            )
            return PublishedRef(str(resp.json()["id"]))
        if reply.action in ("private_reply", "message"):
            recipient = {"comment_id": reply.target["comment_id"]} if reply.action == "private_reply" else {"id": reply.target["recipient"]}
            body: dict[str, Any] = {"recipient": recipient, "message": {"text": reply.text}}
            if reply.action == "message":
                body["messaging_type"] = "RESPONSE"
            resp = await self.request("POST", f"/{me}/messages", json=body, headers=_auth(account), creates=True, scope=self.message_scope)
            return PublishedRef(str(resp.json()["message_id"]))
        if reply.action == "hide":
            await self.request(
                "POST",
                f"/{reply.target['comment_id']}",
                data={self.hide_field: "true"},
                headers=_auth(account),
                creates=True,
                scope=self.comment_scope,
            )
            return PublishedRef(reply.target["comment_id"])
        raise Rejected(self.platform, f"no {reply.action} on {self.platform}", code="unsupported")

    async def find_reply(self, account: Account, reply: OutgoingReply, since: datetime) -> PublishedRef | None:
        me = account.platform_account_id
        if reply.action == "reply":
            for c in await self._comments(account, f"/{reply.target['comment_id']}/{self.reply_edge}", reply.target.get("post_id", "")):
                if c.author_id == me and c.text == reply.text:
                    return PublishedRef(c.comment_id)
            return None
        if reply.action in ("private_reply", "message"):
            for m in await self.list_messages(account, since):
                if m.sender_id == me and m.text == reply.text and m.conversation_id and reply.target.get("recipient", "") in m.participants:
                    return PublishedRef(m.message_id)
            return None
        if reply.action == "hide":
            resp = await self.request(
                "GET",
                f"/{reply.target['comment_id']}",
                params={"fields": f"id,{self.hidden_field}"},
                headers=_auth(account),
                scope=self.comment_scope,
            )
            body = resp.json()
            return PublishedRef(reply.target["comment_id"]) if body.get(self.hidden_field) else None
        return None

    async def _comments(self, account: Account, path: str, post_id: str) -> list[SeenComment]:
        """Every page of the edge (Graph cursor paging: ``after`` while ``paging.next`` is there), so a
        post with more comments than one page holds is swept whole. A Page's comments name their
        parent as ``parent`` (Comment node), Instagram's as ``parent_id`` (IGComment)."""
        fields = f"id,{self.text_field},from,{self.time_field},{self.parent_field}"
        params = {"fields": fields, "limit": "100", **self.comment_filter}
        out: list[SeenComment] = []
        for _ in range(MAX_COMMENT_PAGES):
            resp = await self.request("GET", path, params=params, headers=_auth(account), scope=self.comment_scope)
            body = resp.json()
            for c in body.get("data", []):
                who = c.get("from") or {}
                parent = c.get(self.parent_field)
                out.append(
                    SeenComment(
                        comment_id=str(c["id"]),
                        post_id=post_id,
                        author_id=str(who.get("id", "")),
                        author_name=str(who.get("name") or who.get("username") or ""),
                        text=str(c.get(self.text_field, "")),
                        created_at=_when(c.get(self.time_field)),
                        parent_id=str((parent.get("id", "") if isinstance(parent, dict) else parent) or ""),
                    )
                )
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return out

    async def list_comments(self, account: Account, post_id: str) -> list[SeenComment]:
        return await self._comments(account, f"/{post_id}/comments", post_id)

    async def list_messages(self, account: Account, since: datetime) -> list[SeenMessage]:
        """Messages since ``since``: the account's conversations, newest first (``GET /{page-id}/conversations``),
        then each recently updated one's messages (``GET /{conversation-id}/messages``; only its 20 most
        recent can be read). Two calls rather than a nested field expansion, which the listing refuses."""
        params = {"fields": "id,updated_time,participants", "limit": "50"}
        if self.messaging_platform:
            params["platform"] = self.messaging_platform
        out: list[SeenMessage] = []
        while True:
            resp = await self.request(
                "GET", f"/{account.platform_account_id}/conversations", params=params, headers=_auth(account), scope=self.message_scope
            )
            body = resp.json()
            convs = body.get("data", [])
            fresh = [c for c in convs if _when(c.get("updated_time")) >= since]
            for conv in fresh:
                out.extend(await self._conversation(account, conv, since))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if len(fresh) < len(convs) or not paging.get("next") or not after:  # newest first: the rest is older
                return out
            params = {**params, "after": str(after)}

    async def _conversation(self, account: Account, conv: dict[str, Any], since: datetime) -> list[SeenMessage]:
        people = tuple(str(p.get("id", "")) for p in (conv.get("participants") or {}).get("data", []))
        me = account.platform_account_id
        other = next((p for p in people if p and p != me), "")
        thread = meta_thread(me, other) if other else str(conv["id"])  # as the webhooks name it
        resp = await self.request(
            "GET",
            f"/{conv['id']}/messages",
            params={"fields": "id,message,from,created_time", "limit": "20"},
            headers=_auth(account),
            scope=self.message_scope,
        )
        out = []
        for m in resp.json().get("data", []):
            when = _when(m.get("created_time"))
            if when < since:
                continue
            who = m.get("from") or {}
            out.append(
                SeenMessage(
                    message_id=str(m["id"]),
                    conversation_id=thread,
                    sender_id=str(who.get("id", "")),
                    sender_name=str(who.get("name") or who.get("username") or ""),
                    text=str(m.get("message", "")),
                    created_at=when,
                    participants=people,
                )
            )
        return out


class InstagramClient(FacebookClient):
    platform = "instagram"
    poll_interval = 0.2
    poll_tries = 25
    # Media insights by their current names (v22+: impressions, plays, video_views gave way to views).
    insight_metrics = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
    insight_scope = "instagram_manage_insights"
    followers_scope = "instagram_basic"
    reply_edge = "replies"
    hide_field = "hide"
    hidden_field = "hidden"
    text_field = "text"
    time_field = "timestamp"
    parent_field = "parent_id"
    comment_filter: dict[str, str] = {}  # Instagram has no filter: replies are under /{comment}/replies
    comment_scope = "instagram_manage_comments"
    message_scope = "instagram_manage_messages"
    messaging_platform = "instagram"

    async def create_post(self, account: Account, post: OutgoingPost, *, resume_since: datetime | None = None) -> PublishedRef:
        if not post.media_urls:
            raise Rejected(self.platform, "an Instagram post needs an image", code="9004")
        ig = account.platform_account_id
        if len(post.media_urls) > 1:  # a carousel: one child container per image (at most 10), then the parent
            children = []
            for url in post.media_urls[:10]:
                child = await self.request(
                    "POST",
                    f"/{ig}/media",
                    data={"image_url": url, "is_carousel_item": "true"},
                    headers=_auth(account),
                    scope="instagram_content_publish",
                )
                children.append(child.json()["id"])
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text}
        else:
            data = {"image_url": post.media_urls[0], "caption": post.text}
        container = await self.request("POST", f"/{ig}/media", data=data, headers=_auth(account), scope="instagram_content_publish")
        cid = container.json()["id"]
        for _ in range(self.poll_tries):
            status = await self.request(
                "GET", f"/{cid}", params={"fields": "status_code,status"}, headers=_auth(account), scope="instagram_basic"
            )
            code = status.json().get("status_code")
            if code == "FINISHED":
                break
            if code in ("ERROR", "EXPIRED"):
                raise Rejected(self.platform, f"media container {code}: {status.json().get('status', '')}", code=code)
            await asyncio.sleep(self.poll_interval)
        else:
            raise Unavailable(self.platform, "media container not ready in time")
        resp = await self.request(
            "POST",
            f"/{ig}/media_publish",
            data={"creation_id": cid},
            headers=_auth(account),
            creates=True,
            scope="instagram_content_publish",
        )
        mid = resp.json()["id"]
        warnings: tuple[str, ...] = ()
        if post.first_comment:  # hashtags as the first comment; the post exists either way: a failure is a warning
            try:
                await self.request(
                    "POST",
                    f"/{mid}/comments",
                    data={"message": post.first_comment},
                    headers=_auth(account),
                    scope="instagram_manage_comments",
                )
            except PlatformError as err:
                log.warning("instagram %s: first comment not posted: %s", mid, err)
                warnings = (f"first comment not posted: {err}",)
        return PublishedRef(mid, f"https://www.instagram.com/p/{mid}/", warnings)

    async def find_post(self, account: Account, post: OutgoingPost, since: datetime) -> PublishedRef | None:
        params = {"fields": "id,caption,timestamp,permalink", "limit": "50"}
        resp = await self.request(
            "GET", f"/{account.platform_account_id}/media", params=params, headers=_auth(account), scope="instagram_basic"
        )
        for item in resp.json().get("data", []):
            if item.get("caption") == post.text:
                return PublishedRef(item["id"], item.get("permalink", ""))
        return None

    async def fetch_metrics(self, account: Account, ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for mid in ids:
            v = await self.insights(account, mid)
            out[mid] = Metrics(
                likes=_count(v, "likes"),
                comments=_count(v, "comments"),
                shares=_count(v, "shares"),
                impressions=_count(v, "views"),
                clicks=0,
                reach=v.get("reach", 0),
                saves=v.get("saved", 0),
                views=v.get("views", 0),
                raw=v,
            )
        return out


def _when(raw: Any) -> datetime:
    """A Graph time: ISO 8601 with a ``+0000`` offset."""
    text = str(raw or "")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
