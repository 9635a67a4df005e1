"""An attempt at an irreversible effect (a post, an upload) on one account, as the write side keeps
it: recorded before the call, leased to the worker that makes it, never repeated blindly.
The rules that move it are :mod:`commands.publish`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = ["DONE", "OPEN", "Attempt", "Policy", "State"]

State = Literal["started", "retry", "unknown", "published", "failed"]
OPEN: frozenset[str] = frozenset({"started", "retry", "unknown"})
DONE: frozenset[str] = frozenset({"published", "failed"})


@dataclass(frozen=True)
class Policy:
    lease: timedelta  # how long an attempt belongs to the worker that started it
    reconcile_delay: timedelta  # the first wait before a lookup or a retry; doubled per try
    max_tries: int


@dataclass(frozen=True)
class Attempt:
    """``effect_id`` names the effect (a post id, an upload id); one attempt per effect and account."""

    effect_id: str
    account_id: str
    attempt_id: str
    platform: str
    site_id: str
    state: State
    started_at: datetime
    lease_until: datetime
    payload: dict[str, Any]
    due_at: datetime | None = None  # which dispatch: a failed post scheduled again is a new attempt
    tries: int = 1
    next_try_at: datetime | None = None
    error: str | None = None
    code: str = ""
    platform_post_id: str | None = None
    platform_post_url: str | None = None
    published_at: datetime | None = None
    reconciled: bool = False
    warnings: tuple[str, ...] = ()  # a published effect's optional steps that failed
