"""Nothing fails silently: the watchdog's overdue rule, incidents folded from alerts and lifecycle
events (one notification per incident, resolved when it clears, never raised twice by a
redelivery), and the at-most-once email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.accounts import MemoryAccounts
from adapters.kafka import MemoryProducer
from adapters.notifications import (
    MailRefused,
    MailUnknown,
    MemoryEmailLedger,
    MemoryIncidents,
    MemoryMailer,
    MemoryOverdueWatch,
)
from domain.accounts import Account
from domain.notifications import FAILURES_IN_A_ROW, Due, Incident, fold, notification_id, overdue, signals
from schemas import events as e
from schemas import topics as t
from schemas.envelope import Envelope
from schemas.registry import Decoded, registry
from streams import mail, notify, watch

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
ACCOUNT = Account(account_id="a-x", platform="x", platform_account_id="x-1", handle="me", site_id="s1")


def due(post_id: str, state: str = "dispatched", minutes_ago: float = 10, attempt: str = "") -> Due:
    return Due(post_id, "s1", "a-x", "x", state, NOW - timedelta(minutes=minutes_ago), attempt)


def decoded(event: e.Event, *, at: datetime = NOW, key: str = "k", id: str | None = None) -> Decoded:  # noqa: A002
    env = registry.envelope(event, source="test", subject=key, id=id, time=at)
    return registry.decode(env.encode())


def failed(post_id: str, code: str = "server_error") -> e.PostPublishFailed:
    return e.PostPublishFailed(post_id=post_id, account_id="a-x", reason="the platform answered 500", code=code)


def published(post_id: str) -> e.PostPublished:
    return e.PostPublished(post_id=post_id, account_id="a-x", platform="x", platform_post_id="1", published_at=NOW)


def alert(post_id: str, due_at: datetime, found: datetime) -> e.PostOverdue:
    return e.PostOverdue(
        post_id=post_id, site_id="s1", account_id="a-x", platform="x", due_at=due_at, detected_at=found, state="dispatched"
    )


class Notifier:
    """The notifier's handler over the fakes, with what it announced."""

    def __init__(self) -> None:
        self.incidents, self.out = MemoryIncidents(), MemoryProducer()
        self.accounts = MemoryAccounts([ACCOUNT])

    async def __call__(self, d: Decoded) -> list[e.NotificationRaised | e.NotificationResolved]:
        return await notify.handle(d, self.incidents, self.accounts, self.out)

    def raised(self) -> list[e.NotificationRaised]:
        return [m for m in self.out.messages(t.NOTIFICATIONS) if isinstance(m, e.NotificationRaised)]

    def resolved(self) -> list[e.NotificationResolved]:
        return [m for m in self.out.messages(t.NOTIFICATIONS) if isinstance(m, e.NotificationResolved)]


# ---------------------------------------------------------------- the watchdog
def test_a_due_post_that_did_not_end_within_the_grace_is_overdue_and_nothing_else_is() -> None:
    rows = [
        due("late-dispatched"),
        due("late-pending", state="pending"),
        due("late-retrying", attempt="retry"),
        due("in-grace", minutes_ago=4),
        due("ended-attempt", attempt="published"),  # its PostPublished still in the outbox: not overdue
        due("failed-attempt", attempt="failed"),
        due("published", state="published"),
        due("cancelled", state="cancelled"),
    ]
    assert [d.post_id for d in overdue(rows, NOW, GRACE)] == ["late-dispatched", "late-pending", "late-retrying"]


async def test_the_watchdog_reports_each_overdue_post_once_per_due_time_under_a_derived_id() -> None:
    rows = MemoryOverdueWatch([due("p1"), due("p2", minutes_ago=1)])
    out = MemoryProducer()
    first = await watch.check(rows, out, now=NOW, grace=GRACE)
    again = await watch.check(rows, out, now=NOW + timedelta(seconds=10), grace=GRACE)
    assert [a.post_id for a in first] == ["p1"] and again == []
    [env] = out.envelopes(t.ALERTS)
    assert env.id == watch.alert_id("p1", NOW - timedelta(minutes=10)) and env.subject == "p1"
    # Later, p2 is overdue too; a post scheduled again gets a new due time, reported again.
    rows.rows.append(due("p1", minutes_ago=6))
    later = await watch.check(rows, out, now=NOW + timedelta(minutes=5), grace=GRACE)
    assert sorted((a.post_id, a.due_at) for a in later) == [
        ("p1", NOW - timedelta(minutes=6)),
        ("p2", NOW - timedelta(minutes=1)),
    ]


# ---------------------------------------------------------------- incidents
async def test_three_failures_in_a_row_raise_one_account_incident_that_a_success_resolves() -> None:
    n = Notifier()
    for i in range(FAILURES_IN_A_ROW - 1):
        await n(decoded(failed(f"p{i}"), at=NOW + timedelta(seconds=i)))
    assert n.raised() == []
    third = decoded(failed("p2"), at=NOW + timedelta(seconds=2))
    await n(third)
    await n(third)  # redelivered
    await n(decoded(failed("p3"), at=NOW + timedelta(seconds=3)))  # a fourth: the same incident
    [raised] = n.raised()
    assert raised.kind == "account_failing" and raised.subject == "a-x" and raised.site_id == "s1"
    assert raised.notification_id == notification_id("account_failing", "a-x", NOW + timedelta(seconds=2))
    await n(decoded(published("p4"), at=NOW + timedelta(seconds=4)))
    [resolved] = n.resolved()
    assert resolved.notification_id == raised.notification_id and resolved.reason == "published"


async def test_a_success_between_failures_means_they_are_not_in_a_row() -> None:
    n = Notifier()
    at = iter(NOW + timedelta(seconds=i) for i in range(10))
    for event in (failed("p1"), failed("p2"), published("p3"), failed("p4"), failed("p5")):
        await n(decoded(event, at=next(at)))
    assert n.raised() == []
    # A failure older than the success, arriving late (another partition), does not count either.
    await n(decoded(failed("p0"), at=NOW - timedelta(seconds=1)))
    assert n.raised() == []
    await n(decoded(failed("p6"), at=next(at)))
    assert [r.kind for r in n.raised()] == ["account_failing"]


async def test_failures_of_an_account_that_needs_reauthorisation_count_under_their_own_incident() -> None:
    n = Notifier()
    for i in range(4):
        await n(decoded(failed(f"p{i}", code="needs_reauth"), at=NOW + timedelta(seconds=i)))
    assert [r.kind for r in n.raised()] == []


async def test_an_overdue_post_is_one_notification_however_often_found_and_is_resolved_when_it_ends() -> None:
    n = Notifier()
    due_at = NOW - timedelta(minutes=6)
    first = decoded(alert("p1", due_at, NOW), id="alert-1")
    await n(first)
    await n(first)  # redelivered
    await n(decoded(alert("p1", due_at, NOW + timedelta(seconds=30)), id="alert-2"))  # found again (a second watchdog)
    [raised] = n.raised()
    assert raised.notification_id == notification_id("post_overdue", "p1", due_at) and raised.site_id == "s1"
    assert raised.raised_at == NOW and "p1" in raised.detail
    await n(decoded(published("p1"), at=NOW + timedelta(minutes=1)))
    [resolved] = n.resolved()
    assert resolved.notification_id == raised.notification_id and resolved.site_id == "s1"
    # Scheduled again and late again: a new incident under a new id.
    later = NOW + timedelta(hours=1)
    await n(decoded(alert("p1", later, later + GRACE)))
    assert len({r.notification_id for r in n.raised()}) == 2


async def test_an_overdue_finding_that_arrives_after_the_post_ended_raises_nothing() -> None:
    n = Notifier()
    due_at = NOW - timedelta(minutes=6)
    await n(decoded(e.PostCancelled(post_id="p1"), at=NOW))  # on social.posts, read before the alert
    await n(decoded(alert("p1", due_at, NOW - timedelta(seconds=1))))
    assert n.raised() == [] and n.resolved() == []


async def test_an_account_that_needs_reauthorisation_is_one_incident_until_its_tokens_are_fresh_again() -> None:
    n = Notifier()
    reauth = e.AccountNeedsReauth(account_id="a-x", site_id="s1", platform="x", reason="refresh token revoked")
    await n(decoded(reauth, at=NOW))
    await n(decoded(reauth, at=NOW + timedelta(seconds=5)))  # said again (another 401): still the same incident
    refreshed = e.AccountTokensRefreshed(account_id="a-x", site_id="s1", platform="x", token_expires_at=None, refresh_rotated=True)
    await n(decoded(refreshed, at=NOW + timedelta(minutes=1)))
    await n(decoded(reauth, at=NOW + timedelta(hours=1)))  # a new incident
    raised, resolved = n.raised(), n.resolved()
    assert [r.kind for r in raised] == ["account_needs_reauth", "account_needs_reauth"]
    assert raised[0].detail == "refresh token revoked" and raised[0].notification_id != raised[1].notification_id
    assert [r.notification_id for r in resolved] == [raised[0].notification_id]


async def test_a_failed_video_is_raised_for_its_site_and_resolved_by_a_later_render() -> None:
    n = Notifier()
    created = e.VideoProjectCreated(project_id="v1", site_id="s1", content_id="c1", preset="youtube_short", voice_id="en", form="short")
    await n(decoded(created, at=NOW))
    await n(decoded(e.VideoProjectFailed(project_id="v1", stage="voice", reason="no voice"), at=NOW + timedelta(seconds=1)))
    [raised] = n.raised()
    assert raised.kind == "video_failed" and raised.site_id == "s1" and "no voice" in raised.detail
    media = {"video_url": "v.mp4", "srt_url": "v.srt", "vtt_url": "v.vtt", "thumbnail_url": "v.jpg", "seconds": 30.0, "sections": 3}
    await n(decoded(e.VideoRendered(project_id="v1", preset="youtube_short", revision=2, **media), at=NOW + timedelta(minutes=2)))
    assert [r.notification_id for r in n.resolved()] == [raised.notification_id]


async def test_a_disabled_webhook_endpoint_raises_once_and_stays_open() -> None:
    n = Notifier()
    off = e.WebhookEndpointDisabled(endpoint_id="ep1", site_id="s1", url="https://example.com/h", reason="410 Gone", disabled_at=NOW)
    await n(decoded(off, at=NOW))
    await n(decoded(off, at=NOW))
    [raised] = n.raised()
    assert raised.kind == "webhook_disabled" and "410 Gone" in raised.detail and n.resolved() == []


async def test_the_announced_events_carry_ids_derived_from_the_notification_so_a_repeat_is_the_same_event() -> None:
    n = Notifier()
    due_at = NOW - timedelta(minutes=6)
    # The state was lost after the send (a crash before the save): the event is folded again.
    await n(decoded(alert("p1", due_at, NOW), id="alert-1"))
    n.incidents.rows.clear()
    await n(decoded(alert("p1", due_at, NOW), id="alert-1"))
    envs: list[Envelope] = list(n.out.envelopes(t.NOTIFICATIONS))
    assert len(envs) == 2 and envs[0].id == envs[1].id and envs[0].data == envs[1].data


def test_a_fold_is_pure_and_remembers_the_event_ids_it_applied() -> None:
    [s] = signals(e.AccountNeedsReauth(account_id="a-x", site_id="s1", platform="x", reason="r"), NOW)
    inc, notices = fold(Incident(kind="account_needs_reauth", subject="a-x"), s, "ev-1")
    assert inc.open and inc.applied == ("ev-1",) and len(notices) == 1
    again, none = fold(inc, s, "ev-1")
    assert again == inc and none == []


# ---------------------------------------------------------------- email
def raised_notice() -> e.NotificationRaised:
    return e.NotificationRaised(
        notification_id="n1", site_id="s1", kind="post_overdue", subject="p1", title="A x post is overdue", detail="d", raised_at=NOW
    )


async def test_one_email_per_raised_notification_and_never_a_second_on_redelivery() -> None:
    ledger, mailer = MemoryEmailLedger(), MemoryMailer(recipients=("ops@example.com",))
    assert await mail.deliver(raised_notice(), ledger, mailer) == "sent"
    assert await mail.deliver(raised_notice(), ledger, mailer) == "skipped"
    [msg] = mailer.sent
    assert msg[mail.HEADER] == "n1" and msg["To"] == "ops@example.com" and "overdue" in msg["Subject"]
    assert ledger.rows[("n1", "raised")]["state"] == "sent"


async def test_a_refused_email_is_tried_again_and_an_unknown_outcome_is_never_sent_again() -> None:
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    ledger = MemoryEmailLedger()
    refused = MemoryMailer(fail=[MailRefused("connection refused")] * mail.TRIES)
    assert await mail.deliver(raised_notice(), ledger, refused, sleep=sleep) == "refused"
    assert refused.sent == [] and waits == [1.0, 2.0] and "connection refused" in ledger.rows[("n1", "raised")]["error"]

    ledger, flaky = MemoryEmailLedger(), MemoryMailer(fail=[MailRefused("421 try later")])
    assert await mail.deliver(raised_notice(), ledger, flaky, sleep=sleep) == "sent" and len(flaky.sent) == 1

    ledger, broken = MemoryEmailLedger(), MemoryMailer(fail=[MailUnknown("disconnected after DATA")])
    assert await mail.deliver(raised_notice(), ledger, broken, sleep=sleep) == "unknown"
    assert broken.sent == [] and await mail.deliver(raised_notice(), ledger, broken, sleep=sleep) == "skipped"
