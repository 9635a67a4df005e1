"""A bulk import planned: each row becomes one ``DecidePost`` (create, with its time) for the posts'
single writer, and is previewed by that writer's own decider, so a dry run says what the import
will do — the validator's refusal at the row and column, the slot, a cap or cooldown conflict.

Pure: the accounts, their policies, the times their posts already hold and which rows exist are
the shell's. Rows of the same account are planned in file order, each seeing the ones before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from commands import posts as decider
from commands.exceptions import CommandRefused, InvalidSchedule, InvalidTransition, PostNotFound
from domain.exceptions import NoFreeSlot
from domain.imports import ImportRow, RowError, duplicates
from domain.lifecycle import PostState
from domain.schedule import SlotPolicy, next_slot
from schemas import commands as c
from schemas import events as e
from schemas.envelope import derived_id

# The decider's field → the file's column.
COLUMN = {
    "text": "text",
    "thread": "text",
    "link_url": "link",
    "media_urls": "media",
    "hashtags": "hashtags",
    "scheduled_at": "time",
    "account_id": "account",
    "post_type": "post_type",
}


@dataclass(frozen=True)
class Target:
    """A connected account a row may name (by id or handle), with its slotting rules."""

    account_id: str
    handle: str
    platform: str
    policy: SlotPolicy


Action = Literal["create", "exists", "duplicate", "invalid"]


@dataclass(frozen=True)
class Planned:
    row: int
    key: str
    post_id: str
    action: Action
    account_id: str | None = None
    platform: str | None = None
    scheduled_at: datetime | None = None
    slot: Literal["given", "next"] | None = None
    command: c.DecidePost | None = None
    errors: tuple[RowError, ...] = field(default=())
    duplicate_of: int | None = None


def post_id_of(site_id: str, key: str) -> str:
    """An imported row's post: the same row (its identity) is the same post, however often imported."""
    return derived_id("post", site_id, "import", key)


def command_id_of(post_id: str) -> str:
    return derived_id("import", post_id)


def _resolve(row: ImportRow, targets: list[Target]) -> Target | RowError:
    if row.account:
        name = row.account.lower().lstrip("@")
        found = [t for t in targets if t.account_id == row.account or t.handle.lower().lstrip("@") == name]
        if not found:
            return RowError(row.row, "account", f"no connected account {row.account!r} on this site")
        if row.platform and found[0].platform != row.platform:
            return RowError(row.row, "platform", f"account {row.account!r} is on {found[0].platform}, not {row.platform}")
        return found[0]
    on = [t for t in targets if t.platform == row.platform]
    if len(on) == 1:
        return on[0]
    if not on:
        return RowError(row.row, "platform", f"the site has no connected {row.platform} account")
    return RowError(row.row, "account", f"the site has {len(on)} {row.platform} accounts: name one ({', '.join(t.handle for t in on)})")


def _validation(row: int, err: ValidationError) -> list[RowError]:
    out = []
    for x in err.errors():
        loc = [str(p) for p in x["loc"]]
        name = next((COLUMN[p] for p in reversed(loc) if p in COLUMN), "text")
        out.append(RowError(row, name, x["msg"]))
    return out


def plan(
    rows: list[ImportRow],
    targets: list[Target],
    occupied: dict[str, list[tuple[str, datetime]]],
    existing: Iterable[str],
    *,
    site_id: str,
    requested_by: str,
    now: datetime,
    campaign: str = "socializer",
) -> list[Planned]:
    """Every row's plan, in order: what the posts' writer would decide for it (nothing is sent)."""
    held = {k: list(v) for k, v in occupied.items()}
    exists = set(existing)
    dup = duplicates(rows)
    out: list[Planned] = []
    for r in rows:
        post_id = post_id_of(site_id, r.key)
        if r.row in dup:
            out.append(Planned(r.row, r.key, post_id, "duplicate", duplicate_of=dup[r.row]))
            continue
        errors = list(r.errors)
        target = None
        if not any(x.column in ("account", "platform") for x in errors):
            found = _resolve(r, targets)
            if isinstance(found, RowError):
                errors.append(found)
            else:
                target = found
        if post_id in exists:
            out.append(Planned(r.row, r.key, post_id, "exists", target.account_id if target else None, target.platform if target else None))
            continue
        if errors or target is None:
            out.append(Planned(r.row, r.key, post_id, "invalid", errors=tuple(errors)))
            continue
        taken = held.setdefault(target.account_id, [])
        at: datetime | None = None
        slot: Literal["given", "next"] | None = None
        if r.when == "next":
            try:
                at, slot = next_slot(target.policy, target.platform, [t for _, t in taken], now), "next"
            except NoFreeSlot as err:
                out.append(Planned(r.row, r.key, post_id, "invalid", errors=(RowError(r.row, "time", str(err)),)))
                continue
        elif r.when is not None:
            at, slot = r.when, "given"
        try:
            cmd = c.DecidePost(
                command_id=command_id_of(post_id),
                post_id=post_id,
                site_id=site_id,
                requested_by=requested_by,
                platform=target.platform,
                create=c.CreatePost(
                    account_id=target.account_id,
                    text=r.text,
                    site_id=site_id,
                    post_type=r.post_type,
                    hashtags=list(r.hashtags),
                    link_url=r.link,
                    media_urls=list(r.media),
                    schedule=c.SchedulePost(scheduled_at=at) if slot else None,
                ),
            )
            events = decider.handle(None, cmd, now, campaign=campaign, slots=decider.Slots(target.policy, tuple(taken)))
        except ValidationError as err:
            out.append(Planned(r.row, r.key, post_id, "invalid", target.account_id, target.platform, errors=tuple(_validation(r.row, err))))
            continue
        except CommandRefused as err:
            column = COLUMN.get(err.field or "", "text")
            out.append(
                Planned(r.row, r.key, post_id, "invalid", target.account_id, target.platform, errors=(RowError(r.row, column, err.detail),))
            )
            continue
        placed = next((ev.scheduled_at for ev in events if isinstance(ev, e.PostScheduled)), None)
        if placed is not None:
            taken.append((post_id, placed))
        out.append(Planned(r.row, r.key, post_id, "create", target.account_id, target.platform, placed, slot, cmd))
    return out


@dataclass(frozen=True)
class SchedulePreview:
    """What a bulk schedule would do to one post (a dry run): the time it would get, or the refusal."""

    post_id: str
    outcome: Literal["would_schedule", "refused"]
    scheduled_at: datetime | None = None
    problem: dict[str, object] | None = None


def _problem(err: CommandRefused) -> dict[str, object]:
    status = 404 if isinstance(err, PostNotFound) else 409 if isinstance(err, InvalidTransition) else 422
    return {"status": status, "title": type(err).__name__, "detail": err.detail, "code": err.code, "field": err.field}


def preview_schedule(
    posts: list[tuple[str, PostState | None]],
    targets: dict[str, Target],
    occupied: dict[str, list[tuple[str, datetime]]],
    *,
    site_id: str,
    scheduled_at: datetime | None,
    override: bool,
    now: datetime,
) -> list[SchedulePreview]:
    """Each post as the writer would decide its schedule command, auto-spaced posts on the account's
    next free slot after the ones before them (the learner may pick another hour within the day)."""
    held = {k: list(v) for k, v in occupied.items()}
    out = []
    for post_id, state in posts:
        try:
            if state is None or state.site_id != site_id:
                raise PostNotFound(f"no post {post_id}", field="post_ids")
            target = targets.get(state.account_id)
            if target is None:
                raise InvalidTransition(f"post {post_id}: its account {state.account_id} is not connected", field="account_id")
            taken = held.setdefault(state.account_id, [])
            others = [(p, t) for p, t in taken if p != post_id]
            at = scheduled_at
            if at is None:
                try:
                    at = next_slot(target.policy, target.platform, [t for _, t in others], now)
                except NoFreeSlot as err:
                    raise InvalidSchedule(str(err), field="scheduled_at") from None
            cmd = c.DecidePost(
                command_id="preview", post_id=post_id, site_id=site_id, schedule=c.SchedulePost(scheduled_at=at, override=override)
            )
            decider.handle(state, cmd, now, slots=decider.Slots(target.policy, tuple(others)))
        except CommandRefused as err:
            out.append(SchedulePreview(post_id, "refused", problem=_problem(err)))
            continue
        held[state.account_id] = [*others, (post_id, at)]
        out.append(SchedulePreview(post_id, "would_schedule", at))
    return out
