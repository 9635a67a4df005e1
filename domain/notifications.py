"""Nothing fails silently: which due posts are overdue (the watchdog's finding), and how alerts and
lifecycle events fold into incidents — one notification per incident, not one per retry.

Pure: the watchdog (:mod:`streams.watch`) and the notifier (:mod:`streams.notify`) bring the rows,
the events and the clock; this module decides. An incident is keyed by (kind, subject); its
notification id derives from the kind, the subject and the incident's start, so a redelivered
event decides the same id and the notification is raised once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from schemas import events as e
from schemas.envelope import derived_id

__all__ = [
    "FAILURES_IN_A_ROW",
    "Due",
    "Incident",
    "Signal",
    "fold",
    "notification_id",
    "overdue",
    "overdue_alert",
    "signals",
]

# ------------------------------------------------------------------ the watchdog
WAITING: frozenset[str] = frozenset({"pending", "dispatched"})  # a slot whose post has not ended yet
ENDED: frozenset[str] = frozenset({"published", "failed"})  # an attempt that ended (its event may still be in the outbox)


@dataclass(frozen=True)
class Due:
    """A slot the watchdog looks at: the scheduler's state of the post and, when one was started,
    the state of its publish attempt for that due time."""

    post_id: str
    site_id: str
    account_id: str
    platform: str
    state: str
    due_at: datetime
    attempt: str = ""  # started | retry | unknown | published | failed; "" when none was started


def overdue(rows: Iterable[Due], now: datetime, grace: timedelta) -> list[Due]:
    """The posts neither published nor failed (with a reason) within ``grace`` after their time.
    An attempt that ended counts as ended even while its event waits in the outbox."""
    return [r for r in rows if r.state in WAITING and r.attempt not in ENDED and r.due_at + grace <= now]


def overdue_alert(d: Due, now: datetime) -> e.PostOverdue:
    return e.PostOverdue(
        post_id=d.post_id,
        site_id=d.site_id,
        account_id=d.account_id,
        platform=d.platform,
        due_at=d.due_at,
        detected_at=now,
        state=d.state if not d.attempt else f"{d.state}/{d.attempt}",
    )


# ------------------------------------------------------------------ incidents
FAILURES_IN_A_ROW = 3  # the integration doc's "notify after 3 failures"
KEEP_APPLIED = 64  # event ids remembered per incident: far more than can be in flight at once
# Failures that have an incident of their own (the account needs re-authorisation or was
# disconnected): they do not count towards "failing".
OWN_INCIDENT_CODES: frozenset[str] = frozenset({"needs_reauth", "disconnected"})

Action = Literal["raise", "resolve", "fail", "succeed", "note"]


@dataclass(frozen=True)
class Signal:
    """What one event says about one incident. ``start`` names the incident (a post's due time, or
    when the event happened); ``at`` is when it was found or happened."""

    kind: e.NotificationKind
    subject: str
    action: Action
    at: datetime
    start: datetime | None = None
    site_id: str = ""
    title: str = ""
    detail: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Incident:
    """The notifier's state of one (kind, subject): whether an incident is open and under which
    notification; for an account, how many publishes failed in a row; ``cleared_at``: when it last
    cleared (a finding older than that is stale: it arrived after what resolved it)."""

    kind: e.NotificationKind
    subject: str
    site_id: str = ""
    open: bool = False
    notification_id: str = ""
    started_at: datetime | None = None
    failures: int = 0
    cleared_at: datetime | None = None
    applied: tuple[str, ...] = ()


Notice = e.NotificationRaised | e.NotificationResolved


def notification_id(kind: str, subject: str, start: datetime) -> str:
    return derived_id("notification", kind, subject, start.isoformat())


def signals(event: e.Event, at: datetime) -> list[Signal]:
    """What ``event`` (recorded at ``at``) says about incidents; most events say nothing."""
    match event:
        case e.PostOverdue():
            when = event.due_at.isoformat(timespec="seconds")
            return [
                Signal(
                    "post_overdue",
                    event.post_id,
                    "raise",
                    at=event.detected_at,
                    start=event.due_at,
                    site_id=event.site_id,
                    title=f"A {event.platform} post is overdue",
                    detail=f"Post {event.post_id} was due at {when} and is neither published nor failed ({event.state or 'waiting'}).",
                )
            ]
        case e.PostPublished():
            return [
                Signal("post_overdue", event.post_id, "resolve", at=at, reason="published"),
                Signal("account_failing", event.account_id, "succeed", at=at, reason="published"),
            ]
        case e.PostPublishFailed():
            out = [Signal("post_overdue", event.post_id, "resolve", at=at, reason=f"failed: {event.code or event.reason}"[:500])]
            if event.code not in OWN_INCIDENT_CODES:
                detail = f"{event.code}: {event.reason}" if event.code else event.reason
                out.append(Signal("account_failing", event.account_id, "fail", at=at, detail=detail[:1000]))
            return out
        case e.PostCancelled() | e.PostRejected():
            return [Signal("post_overdue", event.post_id, "resolve", at=at, reason="cancelled")]
        case e.AccountNeedsReauth():
            title = f"The {event.platform} account needs re-authorisation"
            return [
                Signal("account_needs_reauth", event.account_id, "raise", at=at, site_id=event.site_id, title=title, detail=event.reason)
            ]
        case e.AccountTokensRefreshed() | e.AccountConnected():
            return [Signal("account_needs_reauth", event.account_id, "resolve", at=at, site_id=event.site_id, reason="reconnected")]
        case e.AccountDisconnected():
            return [Signal("account_needs_reauth", event.account_id, "resolve", at=at, site_id=event.site_id, reason="disconnected")]
        case e.WebhookEndpointDisabled():
            title = "A webhook endpoint was disabled"
            detail = f"{event.url}: {event.reason}"
            return [Signal("webhook_disabled", event.endpoint_id, "raise", at=at, site_id=event.site_id, title=title, detail=detail)]
        case e.VideoProjectCreated():
            return [Signal("video_failed", event.project_id, "note", at=at, site_id=event.site_id)]
        case e.VideoProjectFailed():
            title = "A video failed"
            detail = f"Project {event.project_id} failed at {event.stage}: {event.reason}"[:1000]
            return [Signal("video_failed", event.project_id, "raise", at=at, title=title, detail=detail)]
        case e.VideoRendered():
            return [Signal("video_failed", event.project_id, "resolve", at=at, site_id=event.site_id, reason="rendered")]
        case e.VideoProjectCancelled():
            return [Signal("video_failed", event.project_id, "resolve", at=at, reason="cancelled")]
    return []


def _raised(inc: Incident, s: Signal, start: datetime, title: str, detail: str) -> tuple[Incident, list[Notice]]:
    nid = notification_id(inc.kind, inc.subject, start)
    site = s.site_id or inc.site_id
    opened = replace(inc, site_id=site, open=True, notification_id=nid, started_at=start)
    return opened, [
        e.NotificationRaised(
            notification_id=nid, site_id=site, kind=inc.kind, subject=inc.subject, title=title, detail=detail, raised_at=s.at
        )
    ]


def _resolved(inc: Incident, s: Signal) -> tuple[Incident, list[Notice]]:
    closed = replace(inc, open=False, failures=0, cleared_at=_later(inc.cleared_at, s.at))
    if not inc.open:
        return closed, []
    return closed, [
        e.NotificationResolved(
            notification_id=inc.notification_id, site_id=inc.site_id, kind=inc.kind, subject=inc.subject, reason=s.reason, resolved_at=s.at
        )
    ]


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def fold(incident: Incident, s: Signal, event_id: str) -> tuple[Incident, list[Notice]]:
    """The incident after ``s`` (from the event ``event_id``), and what to announce. An event folded
    before changes nothing and announces nothing; an open incident is not raised again."""
    if event_id in incident.applied:
        return incident, []
    inc = replace(incident, applied=(*incident.applied, event_id)[-KEEP_APPLIED:])
    if s.site_id and not inc.site_id:
        inc = replace(inc, site_id=s.site_id)
    match s.action:
        case "note":
            return inc, []
        case "raise":
            start = s.start or s.at
            if inc.open:
                return inc, []  # the same incident, found again
            if inc.cleared_at is not None and start <= inc.cleared_at and inc.kind == "post_overdue":
                return inc, []  # the post ended after this due time: the finding came late
            return _raised(inc, s, start, s.title, s.detail)
        case "resolve":
            return _resolved(inc, s)
        case "succeed":
            return _resolved(inc, s)
        case "fail":
            if inc.cleared_at is not None and s.at < inc.cleared_at:
                return inc, []  # older than a success already seen: not "in a row"
            inc = replace(inc, failures=inc.failures + 1)
            if inc.open or inc.failures < FAILURES_IN_A_ROW:
                return inc, []
            title = f"{FAILURES_IN_A_ROW} publishes in a row failed on an account"
            detail = f"Account {inc.subject}: the last one said {s.detail}"[:1000]
            return _raised(inc, s, s.at, title, detail)
    return inc, []
