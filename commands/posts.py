"""The post lifecycle: ``decide(state, command) -> events`` and ``evolve(state, event) -> state``.

    draft ──schedule/approve──▶ scheduled ──due──▶ publishing ──▶ published
      │                          │  ▲                  │
      │                          └──┘ reschedule       └──▶ failed ──schedule──▶ scheduled
      └──────cancel/reject───────┴──────────────────────────────────▶ cancelled

Pure: no I/O and no clock (``now`` is an argument), so replay and tests are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from commands.exceptions import InvalidContent, InvalidSchedule, InvalidTransition, PostNotFound, ScheduleConflict, VersionConflict
from domain.exceptions import ContentRefused, NoFreeSlot
from domain.lifecycle import EDITABLE, PostState
from domain.post.manual import Written, compose_manual
from domain.post.rules import Draft
from domain.post.score import virality
from domain.schedule import SlotPolicy, conflict, next_slot
from schemas import commands as c
from schemas import events as e

__all__ = ["PostState", "Slots", "create", "decide", "evolve", "fold", "handle"]

# A manual time this far in the past is a mistake, not "now".
PAST_TOLERANCE = timedelta(minutes=1)


def create(cmd: c.CreatePost, *, platform: str, post_id: str) -> list[e.Event]:
    return [
        e.PostDrafted(
            post_id=post_id,
            site_id=cmd.site_id,
            account_id=cmd.account_id,
            platform=platform,
            post_type=cmd.post_type,
            text=cmd.text,
            hashtags=cmd.hashtags,
            link_url=cmd.link_url,
            media_urls=cmd.media_urls,
            writer="manual",
        )
    ]


def _refuse(state: PostState, action: str) -> InvalidTransition:
    return InvalidTransition(f"cannot {action} a post that is {state.status}", field="status")


def decide(state: PostState, cmd: c.Command, now: datetime) -> list[e.Event]:
    s = state.status
    if isinstance(cmd, c.SchedulePost):
        if s not in EDITABLE:
            raise _refuse(state, "schedule")
        if cmd.scheduled_at is None:
            return [e.PostQueued(post_id=state.post_id, account_id=state.account_id)]
        if cmd.scheduled_at < now - PAST_TOLERANCE:
            raise InvalidSchedule("scheduled_at is in the past", field="scheduled_at")
        if s == "scheduled":
            return [e.PostRescheduled(post_id=state.post_id, scheduled_at=cmd.scheduled_at, previous_at=state.scheduled_at)]
        return [
            e.PostScheduled(
                post_id=state.post_id,
                account_id=state.account_id,
                platform=state.platform,
                scheduled_at=cmd.scheduled_at,
                slot="manual",
            )
        ]
    if isinstance(cmd, c.PublishPostNow):
        if s not in EDITABLE:
            raise _refuse(state, "publish")
        if s == "scheduled":
            return [e.PostRescheduled(post_id=state.post_id, scheduled_at=now, previous_at=state.scheduled_at, slot="now")]
        return [
            e.PostScheduled(
                post_id=state.post_id,
                account_id=state.account_id,
                platform=state.platform,
                scheduled_at=now,
                slot="now",
            )
        ]
    if isinstance(cmd, c.CancelPost):
        if s not in EDITABLE:
            raise _refuse(state, "cancel")
        return [e.PostCancelled(post_id=state.post_id, reason=cmd.reason)]
    if isinstance(cmd, c.EditPost):
        if s not in EDITABLE:
            raise _refuse(state, "edit")
        changes = cmd.model_dump(exclude_none=True)
        if not changes:
            raise InvalidTransition("nothing to edit: give at least one of text, hashtags, link_url, media_urls, thread", field="text")
        return [e.PostEdited(post_id=state.post_id, **changes)]
    raise TypeError(f"no decider for {type(cmd).__name__}")


def _composed(platform: str, w: Written, *, campaign: str, post_id: str) -> Draft:
    try:
        # utm_content names the post (its first 12 characters), so a click can be traced back to it.
        return compose_manual(platform, w, campaign=campaign, content=post_id[:12])
    except ContentRefused as err:
        raise InvalidContent(err.detail, field=err.field) from None


def _without_tags(text: str, tags: tuple[str, ...]) -> str:
    """The text without the hashtag line that was appended to it (before new hashtags are)."""
    head, _, last = text.rstrip().rpartition("\n")
    if tags and head and {w.lower() for w in last.split()} <= {t.lower() for t in tags}:
        return head.rstrip()
    return text


@dataclass(frozen=True)
class Slots:
    """The account's slotting rules and the times its other posts hold (post id, time)."""

    policy: SlotPolicy
    occupied: tuple[tuple[str, datetime], ...]


def _check_slot(state: PostState, at: datetime, override: bool, slots: Slots | None) -> bool:
    """Whether ``at`` needed the override: refused with the conflicting post and the next free slot unless overridden."""
    if slots is None:
        return False
    others = [(p, t) for p, t in slots.occupied if p != state.post_id]
    found = conflict(slots.policy, at, others)
    if found is None:
        return False
    if override:
        return True
    post_id, why = found
    try:
        slot: str | None = next_slot(slots.policy, state.platform, [t for _, t in others], at).isoformat()
    except NoFreeSlot:
        slot = None
    held = next((t.isoformat() for p, t in others if p == post_id), None)
    raise ScheduleConflict(
        f"{at.isoformat()} conflicts with post {post_id}: {why}; the next free slot is {slot or 'none within the horizon'}"
        " (send override: true to place it anyway)",
        field="scheduled_at",
        conflict={"post_id": post_id, "at": held, "reason": why, "next_free_slot": slot},
    )


def handle(
    state: PostState | None, cmd: c.DecidePost, now: datetime, *, campaign: str = "socializer", slots: Slots | None = None
) -> list[e.Event]:
    """The single writer's decision on a person's command: against the post's own state (folded
    from its events), refusing a command decided on a version that is no longer the post's, and
    holding what a person wrote to the same platform rules as a generated post."""
    action = cmd.action
    if isinstance(action, c.CreatePost):
        if state is not None:
            raise InvalidTransition(f"post {cmd.post_id} exists already (it is {state.status})", field="post_id")
        if cmd.platform is None:
            raise InvalidTransition("platform: required to create a post", field="account_id")
        w = Written(
            action.post_type,
            action.text,
            tuple(action.hashtags),
            action.link_url,
            tuple(action.thread) if action.thread else None,
            tuple(action.media_urls),
        )
        draft = _composed(cmd.platform, w, campaign=campaign, post_id=cmd.post_id)
        score, parts, reasons = virality(cmd.platform, action.post_type, draft)
        (drafted,) = create(action, platform=cmd.platform, post_id=cmd.post_id)
        drafted = drafted.model_copy(
            update={
                "text": draft.text,
                "hashtags": draft.hashtags,
                "link_url": draft.link_url,
                "thread": draft.thread,
                "virality": score,
                "virality_parts": parts,
                "virality_reasons": reasons,
            }
        )
        return [drafted, *_placed(drafted, action.schedule, now, slots)] if action.schedule else [drafted]
    if state is None or state.site_id != cmd.site_id:  # another site's post does not exist for this caller
        raise PostNotFound(f"no post {cmd.post_id}", field="post_id")
    if isinstance(action, c.StartPublishing):
        return _start(state, action)
    if cmd.expected_version is not None and cmd.expected_version != state.version:
        raise VersionConflict(
            f"post {state.post_id} is at version {state.version} ({state.status}); this command was decided on version"
            f" {cmd.expected_version}: read it again and retry",
            field="version",
        )
    if isinstance(action, c.ApprovePost | c.RejectPost):
        by = f"{action.reviewer} (key {cmd.requested_by})" if action.reviewer else f"key {cmd.requested_by}"
        events = _review(state, action, by, now)
    else:
        events = decide(state, action, now)
    placed = [i for i, ev in enumerate(events) if isinstance(ev, e.PostScheduled | e.PostRescheduled)]
    if isinstance(action, c.SchedulePost | c.PublishPostNow) and placed:  # approve at a time too (ApprovePost is one)
        i = placed[0]
        if _check_slot(state, events[i].scheduled_at, action.override, slots):  # type: ignore[attr-defined]
            events[i] = events[i].model_copy(update={"override": True})
    if isinstance(action, c.EditPost):
        if state.thread and action.text is not None and action.thread is None:
            raise InvalidContent("thread: this post is an X thread: send its posts as thread", field="thread")
        changed = action.model_dump(exclude_none=True)
        text = (
            action.text
            if action.text is not None
            else _without_tags(state.text, state.hashtags)
            if action.hashtags is not None
            else state.text
        )
        thread = tuple(action.thread) if action.thread is not None else (state.thread if action.text is None else None)
        w = Written(
            state.post_type,
            text,
            tuple(action.hashtags if action.hashtags is not None else state.hashtags),
            action.link_url if action.link_url is not None else state.link_url,
            thread,
            tuple(action.media_urls if action.media_urls is not None else state.media_urls),
        )
        draft = _composed(state.platform, w, campaign=campaign, post_id=state.post_id)
        full = {
            "text": draft.text,
            "hashtags": draft.hashtags,
            "link_url": draft.link_url,
            "thread": draft.thread,
            "media_urls": draft.media_urls,
        }
        # What was given, as published: the whole post where its text changes with it (tags, link, thread).
        keys = set(changed) | ({"text", "thread"} if changed.keys() & {"text", "hashtags", "link_url", "thread"} else set())
        score, parts, reasons = virality(state.platform, state.post_type, draft)
        events = [
            e.PostEdited(
                post_id=state.post_id,
                **{k: full[k] for k in keys if k in full},
                virality=score,
                virality_parts=parts,
                virality_reasons=reasons,
            )
        ]
    return events


def _placed(drafted: e.Event, schedule: c.SchedulePost, now: datetime, slots: Slots | None) -> list[e.Event]:
    """A post created with its time (an import's row): placed as a schedule command on the new draft would place it."""
    state = fold(None, drafted)
    assert state is not None
    events = decide(state, schedule, now)
    if events and isinstance(events[0], e.PostScheduled) and _check_slot(state, events[0].scheduled_at, schedule.override, slots):
        events[0] = events[0].model_copy(update={"override": True})
    return events


def _start(state: PostState, action: c.StartPublishing) -> list[e.Event]:
    """The publish agent is about to call the platform: a cancel decided before this wins (no call);
    from here on the post is publishing, and a cancel or an edit is refused."""
    if state.status == "cancelled":
        raise InvalidTransition(f"post {state.post_id} was cancelled before its call: not published", field="status")
    if state.status == "published":
        raise InvalidTransition(f"post {state.post_id} is published already", field="status")
    return [e.PostPublishing(post_id=state.post_id, account_id=action.account_id, attempt_id=action.attempt_id)]


def fold(state: PostState | None, event: e.Event) -> PostState | None:
    """The post's state after one more lifecycle event (a draft starts it)."""
    if state is None:
        if not isinstance(event, e.PostDrafted):
            return None
        state = _content(PostState(event.post_id, event.site_id, event.account_id, event.platform), event)
    elif isinstance(event, e.PostDrafted):
        return state  # the same article adapted again drafts the same post: nothing changed
    return replace(_content(evolve(state, event), event), version=state.version + 1)


def _content(state: PostState, event: e.Event) -> PostState:
    match event:
        case e.PostDrafted():
            return replace(
                state,
                post_type=event.post_type,
                text=event.text,
                hashtags=tuple(event.hashtags),
                link_url=event.link_url,
                thread=tuple(event.thread) if event.thread else None,
                media_urls=tuple(event.media_urls),
            )
        case e.PostEdited():
            changes: dict[str, object] = {}
            if event.text is not None:
                changes["text"] = event.text
                changes["thread"] = tuple(event.thread) if event.thread else None
            elif event.thread is not None:
                changes["thread"] = tuple(event.thread)
            if event.hashtags is not None:
                changes["hashtags"] = tuple(event.hashtags)
            if event.link_url is not None:
                changes["link_url"] = event.link_url
            if event.media_urls is not None:
                changes["media_urls"] = tuple(event.media_urls)
            return replace(state, **changes)  # type: ignore[arg-type]
    return state


def _review(state: PostState, action: c.ApprovePost | c.RejectPost, by: str, now: datetime) -> list[e.Event]:
    """A person's review of a draft: who and when are the event's (its envelope carries the time)."""
    if isinstance(action, c.RejectPost):
        if state.status not in EDITABLE:
            raise _refuse(state, "reject")
        return [e.PostRejected(post_id=state.post_id, by=by, reason=action.reason)]
    if state.status != "draft":
        raise InvalidTransition(
            f"cannot approve a post that is {state.status}: only a draft awaits review (schedule it instead)", field="status"
        )
    return [e.PostApproved(post_id=state.post_id, by=by), *decide(state, c.SchedulePost(scheduled_at=action.scheduled_at), now)]


def evolve(state: PostState, event: e.Event) -> PostState:
    match event:
        case e.PostRejected():
            return replace(state, status="cancelled")
        case e.PostScheduled(scheduled_at=at) | e.PostRescheduled(scheduled_at=at):
            return replace(state, status="scheduled", scheduled_at=at)
        case e.PostCancelled():
            return replace(state, status="cancelled")
        case e.PostPublishing():
            return replace(state, status="publishing")
        case e.PostPublished():
            return replace(state, status="published")
        case e.PostPublishFailed():
            return replace(state, status="failed")
    return state
