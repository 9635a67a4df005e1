"""The scheduler's view of each post: which lifecycle events move it, when it needs a slot, and the
``PublishPost`` it becomes when due.

    draft ──(auto or queued: reserve)──▶ pending ──due──▶ dispatched ──▶ published
      └──────(scheduled / rescheduled)────▲  │                  └──▶ failed ──(scheduled)──▶ pending
    any but published ──cancelled──▶ cancelled

Pure: the store (a row per post, locked while it changes) and the clock are the shell's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from random import Random
from typing import Literal
from zoneinfo import ZoneInfo

from domain.exceptions import NoFreeSlot
from domain.learner import HALF_LIFE_DAYS, Beliefs
from domain.schedule import CHANGEABLE, PAYLOAD_FIELDS, SlotPolicy, Slotted, learned_slot, next_slot
from schemas import events as e
from schemas.commands import PublishPost
from schemas.events import SlotKind

__all__ = ["CHANGEABLE", "PAYLOAD_FIELDS", "Slotted", "cooldown_window", "evolve", "publish_command", "reserve"]


def evolve(state: Slotted | None, event: e.Event) -> tuple[Slotted | None, bool]:
    """The next state, and whether the post now wants a slot (auto-scheduled or queued)."""
    match event:
        case e.PostDrafted():
            if state is None:
                state = Slotted(
                    event.post_id,
                    event.site_id,
                    event.account_id,
                    event.platform,
                    "draft",
                    payload={k: _plain(getattr(event, k)) for k in PAYLOAD_FIELDS},
                )
            return state, event.auto_schedule
        case e.PostQueued():
            if state is not None and state.state == "failed":  # a retry: the failed dispatch stays history, a new slot is due
                state = replace(state, state="draft", due_at=None)
            return state, state is not None
    if state is None:
        return None, False
    match event:
        case e.PostScheduled(scheduled_at=at) | e.PostRescheduled(scheduled_at=at) if state.state in CHANGEABLE:
            return replace(state, state="pending", due_at=at), False
        case e.PostEdited() if state.state in CHANGEABLE:
            changes = event.model_dump(exclude_none=True, exclude={"post_id"})
            return replace(state, payload={**state.payload, **changes}), False
        case e.PostCancelled() | e.PostRejected() if state.state != "published":
            return replace(state, state="cancelled"), False
        case e.PostPublished():
            return replace(state, state="published"), False
        case e.PostPublishFailed(retryable=False) if state.state == "dispatched":
            return replace(state, state="failed"), False
    return state, False


def cooldown_window(policy: SlotPolicy) -> timedelta:
    """How far back other posts of the account can still bind a new slot (a day, or the cooldown)."""
    return timedelta(hours=max(policy.cooldown_hours, 24))


def reserve(
    state: Slotted,
    policy: SlotPolicy | None,
    occupied: Iterable[datetime],
    now: datetime,
    *,
    beliefs: Beliefs | None = None,
    rng: Random | None = None,
) -> tuple[Slotted, e.PostScheduled | None]:
    """A draft gets the account's next free slot (``policy`` None: no connected account, it stays a
    draft); a post already slotted keeps its slot and is announced again (idempotent); anything
    else is left alone.

    With ``beliefs`` (what the learner knows of the account) the slot is learned, inside the cap and
    the cooldown: the times a person set for every day (``best_times``) win outright, pins on a
    weekday win on that weekday, and a fixed interval is kept as it is."""
    why: e.SlotWhy | None = None
    kind: SlotKind = "interval" if policy and policy.interval_minutes else "best_time"
    if state.state == "draft":
        if policy is None:
            return state, None
        occupied = list(occupied)
        at = next_slot(policy, state.platform, occupied, now)
        if beliefs is not None and not policy.interval_minutes:
            at, kind, why = _chosen(policy, state, occupied, now, beliefs, rng or Random(state.post_id), at)
        state = replace(state, state="pending", due_at=at)
    elif not (state.state == "pending" and state.due_at is not None):
        return state, None
    assert state.due_at is not None
    return state, e.PostScheduled(
        post_id=state.post_id,
        account_id=state.account_id,
        platform=state.platform,
        scheduled_at=state.due_at,
        slot=kind,
        why=why,
    )


def _chosen(
    policy: SlotPolicy, state: Slotted, occupied: list[datetime], now: datetime, beliefs: Beliefs, rng: Random, first: datetime
) -> tuple[datetime, SlotKind, e.SlotWhy]:
    """The learned slot, unless a person's times own it; with why, either way."""
    tz = ZoneInfo(policy.timezone)
    if policy.best_times:  # a person's times for every day: the learner only explains them
        return first, "pinned", _why(beliefs, first, tz, "pinned")
    pick = learned_slot(policy, state.platform, occupied, now, beliefs, rng)
    pinned_days = {d for d, _ in policy.weekday_times}
    if pinned_days:
        try:
            pinned = next_slot(policy, state.platform, occupied, now, pinned_only=True)
        except NoFreeSlot:
            pinned = None
        if pinned is not None and (pinned <= pick.at or pick.at.astimezone(tz).weekday() in pinned_days):
            return pinned, "pinned", _why(beliefs, pinned, tz, "pinned")
    return (
        pick.at,
        "learned",
        e.SlotWhy(
            method="learned",
            lift=round(pick.lift, 4),
            low=round(pick.low, 4),
            high=round(pick.high, 4),
            alternative_at=pick.alternative_at,
            alternative_lift=round(pick.alternative_lift, 4),
            alternative_low=round(pick.alternative_low, 4),
            alternative_high=round(pick.alternative_high, 4),
            explored=pick.explored,
            evidence=beliefs.n,
            half_life_days=HALF_LIFE_DAYS,
        ),
    )


def _why(beliefs: Beliefs, at: datetime, tz: ZoneInfo, method: Literal["pinned"]) -> e.SlotWhy:
    local = at.astimezone(tz)
    lift, low, high = beliefs.lift(local.weekday(), local.hour)
    return e.SlotWhy(
        method=method, lift=round(lift, 4), low=round(low, 4), high=round(high, 4), evidence=beliefs.n, half_life_days=HALF_LIFE_DAYS
    )


def publish_command(state: Slotted) -> PublishPost:
    """What the publish agent is sent for a due post: a snapshot of the draft and its edits."""
    p = state.payload
    return PublishPost(post_id=state.post_id, due_at=state.due_at, **{k: p[k] for k in PAYLOAD_FIELDS if p.get(k) is not None})


def _plain(value: object) -> object:
    """A payload is kept as JSON (the slot store's): a model (a post's video) as its fields."""
    from pydantic import BaseModel

    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
