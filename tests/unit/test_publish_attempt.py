"""The at-most-once attempt decider, branch by branch: every outcome from every open state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from commands import publish as attempt
from schemas import events as e
from schemas.commands import PublishPost

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POLICY = attempt.Policy(lease=timedelta(seconds=50), reconcile_delay=timedelta(seconds=3), max_tries=5)
CMD = PublishPost(post_id="p1", site_id="s1", account_id="a1", platform="x", text="hello", due_at=NOW)


def started(**changes: object) -> attempt.Attempt:
    return replace(attempt.start(CMD, attempt_id="t1", now=NOW, policy=POLICY).attempt, **changes)  # type: ignore[arg-type]


def test_start_records_a_leased_attempt_and_announces_publishing() -> None:
    d = attempt.start(CMD, attempt_id="t1", now=NOW, policy=POLICY)
    assert d.attempt.state == "started" and d.attempt.tries == 1
    assert d.attempt.lease_until == NOW + POLICY.lease
    assert d.attempt.payload["text"] == "hello"
    assert d.events == [e.PostPublishing(post_id="p1", account_id="a1", attempt_id="t1")]


@pytest.mark.parametrize(
    "outcome, state, reconciled",
    [(attempt.Created("x-1", "https://x/1"), "published", False), (attempt.Found("x-1", "https://x/1"), "published", True)],
)
def test_a_post_that_exists_is_published_once_and_announced(outcome: attempt.Outcome, state: str, reconciled: bool) -> None:
    d = attempt.decide(started(), outcome, NOW, POLICY)
    assert d.attempt.state == state and d.attempt.reconciled is reconciled
    assert d.attempt.platform_post_id == "x-1" and d.attempt.published_at == NOW and d.attempt.next_try_at is None
    (event,) = d.events
    assert isinstance(event, e.PostPublished)
    assert (event.platform_post_id, event.platform_post_url, event.reconciled) == ("x-1", "https://x/1", reconciled)


@pytest.mark.parametrize(
    "outcome, code",
    [
        (attempt.Rejected("x: 403 duplicate", "403"), "403"),
        (attempt.Rejected("account a1: needs_reauth: revoked", "needs_reauth"), "needs_reauth"),
    ],
)
def test_a_refusal_fails_at_once_and_is_not_retryable(outcome: attempt.Outcome, code: str) -> None:
    d = attempt.decide(started(), outcome, NOW, POLICY)
    assert d.attempt.state == "failed" and d.attempt.code == code
    (event,) = d.events
    assert isinstance(event, e.PostPublishFailed) and event.code == code and not event.retryable


def test_an_unknown_outcome_is_never_retried_blindly() -> None:
    d = attempt.decide(started(), attempt.Unknown("x: timeout"), NOW, POLICY)
    assert d.attempt.state == "unknown" and d.events == []
    assert d.attempt.next_try_at == NOW + POLICY.reconcile_delay
    assert d.attempt.lease_until == NOW  # released: the next sweeper may take it
    assert attempt.must_look_up(d.attempt)  # the next step is a lookup, not a create


def test_a_crashed_worker_leaves_an_attempt_that_is_looked_up_first() -> None:
    assert attempt.must_look_up(started())
    assert not attempt.must_look_up(started(state="retry"))


def test_a_retry_is_kept_as_started_while_its_create_is_out() -> None:
    retry = attempt.decide(started(), attempt.RateLimited("429", 30), NOW, POLICY).attempt
    assert retry.state == "retry" and not attempt.must_look_up(retry)  # a 429 sent nothing: create, no lookup
    out = attempt.creating(retry)
    assert out.state == "started" and attempt.must_look_up(out) and out.tries == retry.tries  # a takeover looks first
    unknown = replace(retry, state="unknown")
    assert attempt.creating(unknown) == unknown and attempt.creating(started()) == started()


def test_rate_limits_wait_as_long_as_the_platform_says() -> None:
    d = attempt.decide(started(), attempt.RateLimited("429", retry_after=30), NOW, POLICY)
    assert d.attempt.state == "retry" and d.attempt.next_try_at == NOW + timedelta(seconds=30)
    tiny = attempt.decide(started(), attempt.RateLimited("429", retry_after=0.1), NOW, POLICY)
    assert tiny.attempt.next_try_at == NOW + timedelta(seconds=1)


def test_unavailable_backs_off_exponentially_and_creates_again() -> None:
    d = attempt.decide(started(tries=3), attempt.Unavailable("connect error"), NOW, POLICY)
    assert d.attempt.state == "retry" and d.attempt.tries == 4
    assert d.attempt.next_try_at == NOW + POLICY.reconcile_delay * 8
    assert not attempt.must_look_up(d.attempt)


def test_a_failed_lookup_waits_and_looks_again() -> None:
    d = attempt.decide(started(state="unknown", tries=2), attempt.LookupFailed("503"), NOW, POLICY)
    assert d.attempt.state == "unknown" and d.attempt.error == "lookup failed: 503"
    assert d.attempt.next_try_at == NOW + POLICY.reconcile_delay * 2


def test_a_verified_absence_changes_nothing_so_the_shell_creates() -> None:
    a = started(state="unknown")
    assert attempt.decide(a, attempt.NotFound(), NOW, POLICY) == attempt.Decision(a)


def test_tries_are_bounded() -> None:
    d = attempt.decide(started(tries=5), attempt.Unknown("timeout"), NOW, POLICY)
    assert d.attempt.state == "failed" and d.attempt.code == "exhausted"
    assert d.attempt.error == "gave up after 5 tries: timeout"
    (event,) = d.events
    assert isinstance(event, e.PostPublishFailed) and event.code == "exhausted"


def test_a_late_outcome_changes_nothing_once_announced() -> None:
    done = attempt.decide(started(), attempt.Created("x-1"), NOW, POLICY).attempt
    assert attempt.decide(done, attempt.Unknown("late"), NOW, POLICY) == attempt.Decision(done)


def test_announce_repeats_the_same_event_for_a_redelivery() -> None:
    done = attempt.decide(started(), attempt.Created("x-1", "u"), NOW, POLICY).attempt
    assert attempt.announce(done) == attempt.announce(done)
    with pytest.raises(ValueError):
        attempt.announce(started())
