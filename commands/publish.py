"""One at-most-once attempt per irreversible effect (a post, an upload) and account.

    started ──Created──────────────────────────────▶ published
       │  ──Found (a lookup saw it)────────────────▶ published (reconciled)
       │  ──Rejected / Unusable / AuthLost──────────▶ failed
       │  ──RateLimited / Unavailable / NoToken─────▶ retry    ─┐ after a delay: create again
       │  ──Unknown (timeout, dropped, 5xx)─────────▶ unknown  ─┤ after a delay: look up first
       └── lease ended (the worker died) ─────────────────────────┘ look up first
    any try past ``max_tries`` ──────────────────────▶ failed (exhausted)

The attempt is recorded *before* the call; an unknown outcome is never retried blindly: the next
step is a lookup, and only a lookup that found nothing lets a create happen again. Pure: the clock
is an argument, the attempt id too; the store and the platform call live in the shell.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.publishing import DONE, Attempt, Policy, State
from schemas import events as e
from schemas.commands import PublishPost


# What the shell saw when it acted on an attempt.
@dataclass(frozen=True)
class Created:
    platform_post_id: str
    url: str = ""
    warnings: tuple[str, ...] = ()  # optional finishing steps that failed: published all the same


@dataclass(frozen=True)
class Found(Created):
    """A lookup found the effect: it happened, whatever the earlier call said."""


@dataclass(frozen=True)
class NotFound:
    """A lookup verified the effect is absent: creating now cannot make a second one."""


@dataclass(frozen=True)
class LookupFailed:
    error: str


@dataclass(frozen=True)
class Rejected:
    """The platform said no (4xx), or the account cannot be used (needs re-authorisation)."""

    error: str
    code: str = ""


@dataclass(frozen=True)
class RateLimited:
    error: str
    retry_after: float


@dataclass(frozen=True)
class Unavailable:
    """Nothing reached the platform (or its token endpoint): safe to create again later."""

    error: str


@dataclass(frozen=True)
class Unknown:
    """Timeout, dropped connection or 5xx after the request was sent: the effect may exist."""

    error: str


Outcome = Created | NotFound | LookupFailed | Rejected | RateLimited | Unavailable | Unknown


@dataclass(frozen=True)
class Decision:
    attempt: Attempt
    events: list[e.Event] = field(default_factory=list)


def start(cmd: PublishPost, *, attempt_id: str, now: datetime, policy: Policy) -> Decision:
    """A new attempt, held by its worker for one lease, announced as ``PostPublishing``."""
    attempt = Attempt(
        effect_id=cmd.post_id,
        account_id=cmd.account_id,
        attempt_id=attempt_id,
        platform=cmd.platform,
        site_id=cmd.site_id,
        state="started",
        started_at=now,
        lease_until=now + policy.lease,
        payload=cmd.model_dump(mode="json"),
        due_at=cmd.due_at,
    )
    return Decision(attempt, [e.PostPublishing(post_id=cmd.post_id, account_id=cmd.account_id, attempt_id=attempt_id)])


def must_look_up(attempt: Attempt) -> bool:
    """Taken over after a crash, or after an unknown outcome: look before any create."""
    return attempt.state in ("started", "unknown")


def creating(attempt: Attempt) -> Attempt:
    """The attempt as kept while its create is on the way: whoever takes it over (this worker died)
    looks the post up first. Only a retry needs it: a 429 or an unreachable platform sent nothing,
    so one create from there is safe, a second one blind is not."""
    return attempt if must_look_up(attempt) else replace(attempt, state="started")


def decide(attempt: Attempt, outcome: Outcome, now: datetime, policy: Policy) -> Decision:
    if attempt.state in DONE:
        return Decision(attempt)  # a late outcome changes nothing that was announced
    match outcome:
        case Found(platform_post_id=pid, url=url, warnings=warnings):
            return _finish(attempt, "published", now, ref=(pid, url), reconciled=True, warnings=warnings)
        case Created(platform_post_id=pid, url=url, warnings=warnings):
            return _finish(attempt, "published", now, ref=(pid, url), warnings=warnings)
        case NotFound():
            return Decision(attempt)  # verified absent: the shell creates now, within the same lease
        case LookupFailed(error=err):
            return _later(attempt, "unknown", f"lookup failed: {err}", policy.reconcile_delay * 2, now, policy)
        case Rejected(error=err, code=code):
            return _finish(attempt, "failed", now, error=err, code=code)
        case RateLimited(error=err, retry_after=after):
            return _later(attempt, "retry", err, timedelta(seconds=max(1.0, after)), now, policy)
        case Unavailable(error=err):
            return _later(attempt, "retry", err, _backoff(attempt, policy), now, policy)
        case Unknown(error=err):
            return _later(attempt, "unknown", err, policy.reconcile_delay, now, policy)
    raise TypeError(f"no rule for {type(outcome).__name__}")


def announce(attempt: Attempt) -> e.Event:
    """The event that says how a finished attempt ended (the same one on every redelivery)."""
    if attempt.state == "published":
        return e.PostPublished(
            post_id=attempt.effect_id,
            account_id=attempt.account_id,
            platform=attempt.platform,
            platform_post_id=attempt.platform_post_id or "",
            platform_post_url=attempt.platform_post_url or "",
            published_at=attempt.published_at,
            reconciled=attempt.reconciled,
            warnings=list(attempt.warnings),
        )
    if attempt.state == "failed":
        return e.PostPublishFailed(
            post_id=attempt.effect_id, account_id=attempt.account_id, reason=attempt.error or "", code=attempt.code, retryable=False
        )
    raise ValueError(f"attempt {attempt.effect_id} is still {attempt.state}")


def _backoff(attempt: Attempt, policy: Policy) -> timedelta:
    factor: int = 2 ** min(attempt.tries, 6)
    return policy.reconcile_delay * factor


def _later(attempt: Attempt, state: State, error: str, delay: timedelta, now: datetime, policy: Policy) -> Decision:
    """Every create call counts as a try; each one after the first follows a lookup that found nothing."""
    tries = attempt.tries + 1
    if tries > policy.max_tries:
        return _finish(attempt, "failed", now, error=f"gave up after {attempt.tries} tries: {error}", code="exhausted")
    # The lease ends now: whoever is due next (this worker's sweeper or another's) may take it.
    return Decision(replace(attempt, state=state, error=error, tries=tries, next_try_at=now + delay, lease_until=now))


def _finish(
    attempt: Attempt,
    state: State,
    now: datetime,
    *,
    ref: tuple[str, str] | None = None,
    error: str | None = None,
    code: str = "",
    reconciled: bool = False,
    warnings: tuple[str, ...] = (),
) -> Decision:
    done = replace(
        attempt,
        state=state,
        platform_post_id=ref[0] if ref else None,
        platform_post_url=ref[1] if ref else None,
        published_at=now if ref else None,
        error=error,
        code=code,
        reconciled=reconciled,
        warnings=warnings,
        next_try_at=None,
    )
    return Decision(done, [announce(done)])
