"""Outbound webhooks, pure: which event becomes which webhook type (and what it may say), the retry
schedule, when an endpoint is disabled, and the Standard Webhooks signature.

Standard Webhooks (https://www.standardwebhooks.com, spec/standard-webhooks.md): a message carries
``webhook-id`` (stable across retries: receivers dedupe on it), ``webhook-timestamp`` (integer Unix
seconds of this attempt) and ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` under each valid secret; a secret is ``whsec_`` + base64 of its key
bytes. The body is ``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from schemas import events as e
from schemas.envelope import derived_id

REVIEW_WAITING = "post.review_waiting"
SCHEDULED = "post.scheduled"
PUBLISHED = "post.published"
FAILED = "post.failed"
OVERDUE = "post.overdue"
NEEDS_REAUTH = "account.needs_reauth"
DISCONNECTED = "account.disconnected"
VIDEO_READY = "video.ready"
VIDEO_FAILED = "video.failed"
ENGAGEMENT = "engagement.snapshot"
TEST = "webhook.test"

EVENT_TYPES: tuple[str, ...] = (
    REVIEW_WAITING,
    SCHEDULED,
    PUBLISHED,
    FAILED,
    OVERDUE,
    NEEDS_REAUTH,
    DISCONNECTED,
    VIDEO_READY,
    VIDEO_FAILED,
    ENGAGEMENT,
    TEST,
)
WILDCARD = "*"
# Delivered only to an endpoint that names it: one reading per post and age is a lot of traffic.
OPT_IN = frozenset({ENGAGEMENT})

# The Standard Webhooks / Svix retry schedule: the delay before each attempt (seconds), the first
# immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours.
SCHEDULE: tuple[float, ...] = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
# An endpoint whose deliveries failed without a success in between for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
PREVIOUS_SECRET_VALID = timedelta(hours=24)  # after a rotation, the old secret still signs this long
EXCERPT_BYTES = 1024


def message_id(event_id: str, endpoint_id: str) -> str:
    """The ``webhook-id``: the same for every attempt and redelivery of one event to one endpoint."""
    return "msg_" + derived_id(event_id, endpoint_id, "webhook").replace("-", "")


def subscribed(types: Sequence[str], event_type: str) -> bool:
    """Whether an endpoint listening to ``types`` gets ``event_type``: ``*`` means every type but the opt-in ones."""
    return event_type in types or (WILDCARD in types and event_type not in OPT_IN and event_type != TEST)


def unknown_types(types: Sequence[str]) -> list[str]:
    return [t for t in types if t != WILDCARD and t not in EVENT_TYPES]


@dataclass(frozen=True)
class Outbound:
    """What an event becomes for a site's endpoints. ``site_id`` empty: the deliverer looks it up
    (the site remembered for ``subject``, a post or a project, else the account's)."""

    type: str
    data: dict[str, Any]
    site_id: str = ""
    subject: str = ""
    account_id: str = ""


def remember(event: e.Event) -> tuple[str, str] | None:
    """(subject, site) to keep for later events of a post or a video project that do not name their site."""
    match event:
        case e.PostDrafted():
            return event.post_id, event.site_id
        case e.VideoProjectCreated():
            return event.project_id, event.site_id
    return None


def _at(v: datetime | None) -> str | None:
    return v.isoformat().replace("+00:00", "Z") if v else None


def outbound(event: e.Event) -> Outbound | None:
    """The webhook an event becomes, if any; its ``data`` names ids and outcomes, never a token."""
    d: dict[str, Any]
    match event:
        case e.PostDrafted(auto_schedule=False):  # waits for a person's approval (README: review)
            d = {"post_id": event.post_id, "site_id": event.site_id, "account_id": event.account_id, "platform": event.platform}
            d |= {"post_type": event.post_type, "content_id": event.content_id, "text": event.text, "link_url": event.link_url}
            return Outbound(REVIEW_WAITING, d, site_id=event.site_id)
        case e.PostScheduled():
            d = {"post_id": event.post_id, "account_id": event.account_id, "platform": event.platform}
            d |= {"scheduled_at": _at(event.scheduled_at), "slot": event.slot, "previous_at": None}
            return Outbound(SCHEDULED, d, subject=event.post_id, account_id=event.account_id)
        case e.PostRescheduled():
            d = {
                "post_id": event.post_id,
                "scheduled_at": _at(event.scheduled_at),
                "slot": event.slot,
                "previous_at": _at(event.previous_at),
            }
            return Outbound(SCHEDULED, d, subject=event.post_id)
        case e.PostPublished():
            d = {"post_id": event.post_id, "account_id": event.account_id, "platform": event.platform}
            d |= {"platform_post_id": event.platform_post_id, "platform_post_url": event.platform_post_url}
            d |= {"published_at": _at(event.published_at), "warnings": list(event.warnings)}
            return Outbound(PUBLISHED, d, subject=event.post_id, account_id=event.account_id)
        case e.PostPublishFailed():
            d = {"post_id": event.post_id, "account_id": event.account_id, "reason": event.reason, "code": event.code}
            return Outbound(FAILED, d, subject=event.post_id, account_id=event.account_id)
        case e.PostOverdue():
            d = {"post_id": event.post_id, "site_id": event.site_id, "account_id": event.account_id, "platform": event.platform}
            d |= {"due_at": _at(event.due_at), "detected_at": _at(event.detected_at), "state": event.state}
            return Outbound(OVERDUE, d, site_id=event.site_id)
        case e.AccountNeedsReauth():
            d = {"account_id": event.account_id, "site_id": event.site_id, "platform": event.platform, "reason": event.reason}
            return Outbound(NEEDS_REAUTH, d, site_id=event.site_id)
        case e.AccountDisconnected():
            d = {"account_id": event.account_id, "site_id": event.site_id, "platform": event.platform, "revoked": event.revoked}
            return Outbound(DISCONNECTED, d, site_id=event.site_id)
        case e.VideoRendered():
            d = {"project_id": event.project_id, "site_id": event.site_id, "content_id": event.content_id, "preset": event.preset}
            d |= {"title": event.title, "revision": event.revision, "seconds": event.seconds, "video_url": event.video_url}
            d |= {
                "thumbnail_url": event.thumbnail_url,
                "srt_url": event.srt_url,
                "vtt_url": event.vtt_url,
                "problems": list(event.problems),
            }
            return Outbound(VIDEO_READY, d, site_id=event.site_id, subject=event.project_id)
        case e.VideoProjectFailed():
            d = {"project_id": event.project_id, "stage": event.stage, "reason": event.reason, "revision": event.revision}
            return Outbound(VIDEO_FAILED, d, subject=event.project_id)
        case e.EngagementRecorded():
            d = {"post_id": event.post_id, "site_id": event.site_id, "account_id": event.account_id, "platform": event.platform}
            d |= {"platform_post_id": event.platform_post_id, "label": event.label, "fetched_at": _at(event.fetched_at), "late": event.late}
            d |= {k: getattr(event, k) for k in ("likes", "comments", "shares", "impressions", "clicks", "reach", "saves", "views")}
            d["engagement_rate"] = event.engagement_rate
            return Outbound(ENGAGEMENT, d, site_id=event.site_id)
    return None


def body(type_: str, timestamp: datetime, data: dict[str, Any]) -> bytes:
    """The message as sent (and signed): compact JSON, fixed once so every retry sends the same bytes."""
    return json.dumps({"type": type_, "timestamp": _at(timestamp), "data": data}, separators=(",", ":"), ensure_ascii=False).encode()


# ------------------------------------------------------------------ retries and disabling
def next_delay(attempts_made: int, scale: float = 1.0) -> timedelta | None:
    """How long after a failed attempt the next one goes (``attempts_made`` counts the failed one);
    None: the schedule is spent, the delivery has failed."""
    if attempts_made >= len(SCHEDULE):
        return None
    return timedelta(seconds=SCHEDULE[attempts_made] * scale)


Verdict = Literal["delivered", "retry", "gone"]


def verdict(status: int | None) -> Verdict:
    """A 2xx is delivered; a 410 Gone means the receiver asked for no more; anything else (and no answer) is retried."""
    if status is not None and 200 <= status < 300:
        return "delivered"
    return "gone" if status == 410 else "retry"


def failing_too_long(failing_since: datetime | None, now: datetime, scale: float = 1.0) -> bool:
    """Disabled once its deliveries failed, with no success between, for :data:`DISABLE_AFTER` (scaled)."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER * scale


@dataclass(frozen=True)
class Attempted:
    """What the deliverer records after one attempt."""

    status: Literal["delivered", "pending", "failed"]
    next_at: datetime | None
    disable: str | None = None  # the reason the endpoint is disabled now, if it is
    failing_since: datetime | None = None
    gone: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def after_attempt(
    http_status: int | None, attempts_made: int, failing_since: datetime | None, now: datetime, scale: float = 1.0
) -> Attempted:
    """The delivery's and its endpoint's state after attempt number ``attempts_made`` answered ``http_status``."""
    v = verdict(http_status)
    if v == "delivered":
        return Attempted("delivered", None, failing_since=None)
    since = failing_since or now
    if v == "gone":
        return Attempted("failed", None, disable="the endpoint answered 410 Gone", failing_since=since, gone=True)
    delay = next_delay(attempts_made, scale)
    disable = "deliveries failed for 5 days" if failing_too_long(since, now, scale) else None
    if delay is None:
        return Attempted("failed", None, disable=disable, failing_since=since)
    return Attempted("pending", now + delay, disable=disable, failing_since=since)


# ------------------------------------------------------------------ secrets and signatures
def new_secret(key: bytes) -> str:
    """A secret from ``key`` (32 random bytes the caller drew): ``whsec_`` + base64."""
    return SECRET_PREFIX + base64.b64encode(key).decode()


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, payload: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, payload: bytes) -> dict[str, str]:
    """The message's headers, signed with every valid secret (after a rotation: the new and the old)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, payload) for s in secrets),
        "content-type": "application/json",
    }
