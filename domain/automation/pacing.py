"""When an automation's send may go, beyond the inbox's rules (:func:`domain.inbox.check`): the
platform's budgets (the inbox's queue, :func:`domain.inbox.next_slot`), the automation's daily cap per
account, a pause drawn deterministically from the reply id between sends, one send of a node per
person per ``dedupe_days``, and a deadline: a private reply whose turn would come after the
comment's 7 days, or a DM after the person's 24-hour window, is skipped with the reason now rather
than queued to expire unsent.

Pure: what the account has queued and sent is an argument (the shell reads it under the account's
lock, :mod:`adapters.replies`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from domain.inbox import next_slot, rules_for
from domain.platforms import Budget
from schemas.automations import Pacing

__all__ = ["DAY", "Go", "Sends", "Skip", "deadline", "jitter", "pace"]

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Go:
    go_at: datetime


@dataclass(frozen=True)
class Skip:
    """Not queued: ``code`` names the rule, ``reason`` says it to a person."""

    code: str
    reason: str


@dataclass(frozen=True)
class Sends:
    """What the account has: ``planned``, its sends of this action made or queued (the platform's
    budget, as the inbox reads them); ``automated``, its automation sends of any action (their
    ``go_at``, the last day's and later); ``duplicate``, this automation already sent this node to
    this person within ``dedupe_days``."""

    planned: Sequence[datetime] = ()
    automated: Sequence[datetime] = ()
    duplicate: bool = False


def jitter(reply_id: str, lo: float, hi: float) -> float:
    """The pause (seconds) before this send, in ``[lo, hi]``, the same for the same reply id."""
    if hi <= lo:
        return lo
    fraction = int.from_bytes(sha256(reply_id.encode()).digest()[:8], "big") / 2**64
    return lo + (hi - lo) * fraction


def deadline(platform: str, action: str, comment_at: datetime | None, last_inbound_at: datetime | None) -> tuple[datetime, str] | None:
    """The latest a send may go, and the code of the rule that says so (None: no deadline)."""
    rules = rules_for(platform)
    if rules is None:
        return None
    if action == "private_reply" and rules.private_reply_days is not None and comment_at is not None:
        return comment_at + timedelta(days=rules.private_reply_days), "private_reply_window_closed"
    if action == "message" and rules.window_hours is not None and last_inbound_at is not None:
        return last_inbound_at + timedelta(hours=rules.window_hours), "outside_messaging_window"
    return None


def _slot(
    budgets: Sequence[Budget],
    cap: Sequence[Budget],
    planned: Sequence[datetime],
    automated: Sequence[datetime],
    gap: timedelta,
    now: datetime,
) -> datetime:
    t = now
    for _ in range(8):  # each pass only moves later; two passes settle it (a later time never fills a window)
        before = t
        t = next_slot(budgets, planned, t)
        t = next_slot(cap, automated, t)
        if automated:
            t = max(t, max(automated) + gap)
        if t == before:
            break
    return t


def pace(
    *,
    platform: str,
    action: str,
    reply_id: str,
    pacing: Pacing,
    sends: Sends,
    now: datetime,
    comment_at: datetime | None = None,
    last_inbound_at: datetime | None = None,
) -> Go | Skip:
    """When one more automation send may go (:class:`Go`), or why it is not queued (:class:`Skip`)."""
    if sends.duplicate:
        return Skip("deduplicated", f"this automation sent this step to this person within the last {pacing.dedupe_days:g} days")
    rules = rules_for(platform)
    budgets = rules.budgets.get(action, ()) if rules else ()
    cap = (Budget(pacing.daily_cap, DAY.total_seconds()),) if pacing.daily_cap else ()
    gap = timedelta(seconds=jitter(reply_id, pacing.jitter_min_seconds, pacing.jitter_max_seconds))
    go_at = _slot(budgets, cap, sends.planned, sends.automated, gap, now)
    limit = deadline(platform, action, comment_at, last_inbound_at)
    if limit is not None and go_at > limit[0]:
        uncapped = _slot(budgets, (), sends.planned, sends.automated, gap, now) if cap else go_at
        late = f"its turn in the account's queue ({go_at.isoformat()}) comes after {limit[0].isoformat()}"
        if uncapped <= limit[0]:
            return Skip("daily_cap", f"the automation's {pacing.daily_cap} sends a day are spent: {late}")
        what = "the comment's private-reply window" if action == "private_reply" else "the person's messaging window"
        return Skip(limit[1], f"{what} closes before it could go: {late}")
    return Go(go_at)
