"""A queue's decisions, from the queue's own state: created, items added and prioritised, paused and
resumed, and each due occurrence fired into a post (or skipped, saying why).

    active ──pause──▶ paused ──resume──▶ active (the occurrences missed while paused are not caught up)

What an occurrence fired can come back refused by the posts' writer (``refuse``, sent by the recur
agent with the writer's reason): it is not counted as posted, and its item returns held with the
reason, passed over by later occurrences, so a post that would be refused again does not block the
queue or vanish from it.

``version`` is 1 when created and one more per accepted command that changes what a person sees
(an item, a priority, a pause, a resume); firing an occurrence changes none, so a person's If-Match
is not made stale by the timer. An occurrence is fired at most once: one at or before the last
fired or skipped is no news (nothing emitted). Pure: :func:`handle` is the queues' single writer's
one entry (``streams/enqueue.py``), deciding against the state :func:`fold` made of the queue's events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from commands.exceptions import InvalidContent, InvalidTransition, QueueNotFound, VersionConflict
from domain.exceptions import ContentRefused
from domain.post.manual import Written, compose_manual
from domain.queues import Candidate, InvalidRule, Item, best_candidate, gap_ok, next_item, recurrence
from schemas import commands as c
from schemas import events as e
from schemas.envelope import derived_id

__all__ = ["Queue", "Taken", "fold", "from_json", "handle", "post_id_of", "to_json"]

MAX_ITEMS = 1000
TAKEN = 20  # fired occurrences a refusal can still come back for (the answer comes within seconds)


@dataclass(frozen=True)
class Queue:
    queue_id: str
    site_id: str
    account_id: str
    platform: e.Platform
    name: str
    kind: e.QueueKind
    rrule: str
    tzid: str
    starts_at: datetime
    content_id: str | None
    min_gap_hours: float
    status: Literal["active", "paused"] = "active"
    version: int = 1
    items: tuple[Item, ...] = ()
    seq: int = 0  # items ever added: the next one's place in arrival order
    since: datetime | None = None  # occurrences at or before this are done (fired, skipped, or missed while paused)
    last_posted_at: datetime | None = None
    last_text: str | None = None
    posted: int = 0
    seen_items: frozenset[str] = field(default_factory=frozenset)  # every item id ever added: an id is not reused
    taken: tuple[Taken, ...] = ()  # the latest occurrences fired, until the posts' writer's answer could come back


@dataclass(frozen=True)
class Taken:
    """A fired occurrence as it left the queue: what a refusal of its post puts back."""

    post_id: str
    occurrence: datetime
    item: Item | None
    prior_posted_at: datetime | None
    prior_text: str | None


def post_id_of(queue_id: str, occurrence: datetime) -> str:
    """The post an occurrence becomes: the same for a redelivered tick, a retried command or a restart."""
    return derived_id("post", "queue", queue_id, occurrence.astimezone(UTC).isoformat())


def handle(state: Queue | None, cmd: c.DecideQueue, now: datetime) -> list[e.Event]:
    action = cmd.action
    qid, site = cmd.queue_id, cmd.site_id
    if isinstance(action, c.CreateQueue):
        return _create(state, cmd, action, now)
    if state is None or state.site_id != site:  # another site's queue does not exist here
        raise QueueNotFound(f"no queue {qid}", field="queue_id")
    if cmd.expected_version is not None and cmd.expected_version != state.version:
        raise VersionConflict(f"queue {qid} is at version {state.version}, not {cmd.expected_version}: read it again", field="If-Match")
    if isinstance(action, c.AddQueueItem):
        if state.kind != "fifo":
            raise InvalidContent("an evergreen queue re-posts its article's best posts: it takes no items", field="kind")
        if action.item_id in state.seen_items:
            raise InvalidTransition(f"item {action.item_id} was added already", field="item_id")
        if len(state.items) >= MAX_ITEMS:
            raise InvalidContent(f"a queue holds at most {MAX_ITEMS} items", field="item_id")
        postable(state.platform, action)
        return [_added(qid, site, action)]
    if isinstance(action, c.PrioritiseQueueItem):
        if not any(i.item_id == action.item_id for i in state.items):
            raise InvalidTransition(f"no item {action.item_id} waiting in queue {qid}", field="item_id")
        return [e.QueueItemPrioritised(queue_id=qid, site_id=site, item_id=action.item_id, priority=action.priority)]
    if isinstance(action, c.PauseQueue):
        if state.status == "paused":
            raise InvalidTransition(f"queue {qid} is paused already", field="status")
        return [e.QueuePaused(queue_id=qid, site_id=site)]
    if isinstance(action, c.ResumeQueue):
        if state.status == "active":
            raise InvalidTransition(f"queue {qid} is active already", field="status")
        return [e.QueueResumed(queue_id=qid, site_id=site, since=now)]
    if isinstance(action, c.FireOccurrence):
        return _fire(state, action)
    if isinstance(action, c.RefuseOccurrence):
        return _refuse(state, action)
    raise InvalidTransition(f"unknown command {type(action).__name__}", field="action")


def _create(state: Queue | None, cmd: c.DecideQueue, action: c.CreateQueue, now: datetime) -> list[e.Event]:
    if state is not None:
        raise InvalidTransition(f"queue {cmd.queue_id} exists already", field="queue_id")
    if cmd.platform is None:
        raise InvalidContent("the account's platform is needed", field="account_id")
    starts = action.starts_at or now
    try:
        recurrence(action.rrule, action.tzid, starts)
    except InvalidRule as err:
        raise InvalidContent(err.detail, field=err.field) from err
    if action.kind == "evergreen" and not action.content_id:
        raise InvalidContent("an evergreen queue re-posts an article's best posts: name the article", field="content_id")
    if action.items and action.kind != "fifo":
        raise InvalidContent("an evergreen queue re-posts its article's best posts: it takes no items", field="items")
    ids = [i.item_id for i in action.items]
    if len(set(ids)) != len(ids):
        raise InvalidContent("each item needs its own item_id", field="items")
    for n, i in enumerate(action.items):
        postable(cmd.platform, i, at=f"items[{n}].")
    added = [_added(cmd.queue_id, cmd.site_id, i) for i in action.items]
    return [
        e.QueueCreated(
            queue_id=cmd.queue_id,
            site_id=cmd.site_id,
            account_id=action.account_id,
            platform=cmd.platform,
            name=action.name,
            kind=action.kind,
            rrule=action.rrule.strip().removeprefix("RRULE:"),
            tzid=action.tzid,
            starts_at=starts,
            content_id=action.content_id,
            min_gap_hours=action.min_gap_hours,
            created_by=cmd.requested_by,
        ),
        *added,
    ]


def _fire(q: Queue, action: c.FireOccurrence) -> list[e.Event]:
    at = action.occurrence
    if q.status != "active" or (q.since is not None and at <= q.since) or at < q.starts_at:
        return []  # paused, or done already: a redelivered tick or a retried command is no news
    base = {"queue_id": q.queue_id, "site_id": q.site_id}
    if q.kind == "fifo":
        item = next_item(q.items)
        if item is None:
            return [e.QueueOccurrenceSkipped(**base, occurrence=at, reason="empty")]
        return [_fired(q, at, item.text, item.link_url, item_id=item.item_id, media_urls=list(item.media_urls))]
    if not gap_ok(q.last_posted_at, at, timedelta(hours=q.min_gap_hours)):
        return [e.QueueOccurrenceSkipped(**base, occurrence=at, reason="gap")]
    cands = [Candidate(x.post_id, x.text, x.score, x.link_url) for x in action.candidates]
    best = best_candidate(cands, q.last_text)
    if best is None:
        return [e.QueueOccurrenceSkipped(**base, occurrence=at, reason="no_candidate")]
    return [_fired(q, at, best.text, best.link_url, source_post_id=best.post_id)]


def postable(platform: str, item: c.AddQueueItem, at: str = "") -> None:
    """The item as its post will be checked (the post validator, for the queue's platform): what it
    would refuse at the occurrence is a 422 naming the field now."""
    try:
        compose_manual(
            platform,
            Written("announcement", item.text, link_url=item.link_url, media_urls=tuple(item.media_urls)),
            campaign="queue",
            content="q" * 12,  # utm_content is the post's 12-character code
        )
    except ContentRefused as err:
        raise InvalidContent(err.detail, field=at + err.field) from None


def _added(qid: str, site: str, i: c.AddQueueItem) -> e.QueueItemAdded:
    return e.QueueItemAdded(
        queue_id=qid, site_id=site, item_id=i.item_id, text=i.text, link_url=i.link_url, priority=i.priority, media_urls=i.media_urls
    )


def _refuse(q: Queue, action: c.RefuseOccurrence) -> list[e.Event]:
    taken = next((x for x in q.taken if x.post_id == action.post_id), None)
    if taken is None:
        return []  # refused before (a retried command), or not this queue's post: no news
    item = taken.item
    return [
        e.QueueOccurrenceRefused(
            queue_id=q.queue_id,
            site_id=q.site_id,
            occurrence=taken.occurrence,
            post_id=taken.post_id,
            item_id=item.item_id if item else None,
            text=item.text if item else "",
            link_url=item.link_url if item else None,
            seq=item.seq if item else 0,
            priority=item.priority if item else False,
            media_urls=list(item.media_urls) if item else [],
            code=action.code,
            reason=action.reason or "the post was refused",
            field=action.field,
        )
    ]


def _fired(q: Queue, at: datetime, text: str, link: str | None, **which: Any) -> e.QueueOccurrenceFired:
    return e.QueueOccurrenceFired(
        queue_id=q.queue_id,
        site_id=q.site_id,
        account_id=q.account_id,
        platform=q.platform,
        occurrence=at,
        post_id=post_id_of(q.queue_id, at),
        text=text,
        link_url=link,
        **which,
    )


def fold(state: Queue | None, event: e.Event) -> Queue | None:
    """The queue after one more of its events (its creation starts it)."""
    match event:
        case e.QueueCreated():
            if state is not None:
                return state
            return Queue(
                event.queue_id,
                event.site_id,
                event.account_id,
                event.platform,
                event.name,
                event.kind,
                event.rrule,
                event.tzid,
                event.starts_at,
                event.content_id,
                event.min_gap_hours,
            )
        case e.QueueItemAdded() if state is not None:
            item = Item(event.item_id, event.text, state.seq, event.link_url, event.priority, media_urls=tuple(event.media_urls))
            return replace(
                state,
                items=(*state.items, item),
                seq=state.seq + 1,
                version=state.version + 1,
                seen_items=state.seen_items | {event.item_id},
            )
        case e.QueueItemPrioritised() if state is not None:
            items = tuple(replace(i, priority=event.priority) if i.item_id == event.item_id else i for i in state.items)
            return replace(state, items=items, version=state.version + 1)
        case e.QueuePaused() if state is not None:
            return replace(state, status="paused", version=state.version + 1)
        case e.QueueResumed() if state is not None:
            return replace(state, status="active", version=state.version + 1, since=_later(state.since, event.since))
        case e.QueueOccurrenceFired() if state is not None:
            took = next((i for i in state.items if i.item_id == event.item_id), None) if event.item_id else None
            went = Taken(event.post_id, event.occurrence, took, state.last_posted_at, state.last_text)
            return replace(
                state,
                items=tuple(i for i in state.items if i.item_id != event.item_id),
                since=_later(state.since, event.occurrence),
                last_posted_at=event.occurrence,
                last_text=event.text,
                posted=state.posted + 1,
                taken=(*state.taken, went)[-TAKEN:],
            )
        case e.QueueOccurrenceRefused() if state is not None:
            taken = next((x for x in state.taken if x.post_id == event.post_id), None)
            if taken is None:
                return state
            back = (replace(taken.item, held=event.reason),) if taken.item else ()
            latest = state.last_posted_at == taken.occurrence  # nothing went since: the last post is the one before
            return replace(
                state,
                items=tuple(sorted((*state.items, *back), key=lambda i: i.seq)),
                posted=state.posted - 1,
                last_posted_at=taken.prior_posted_at if latest else state.last_posted_at,
                last_text=taken.prior_text if latest else state.last_text,
                taken=tuple(x for x in state.taken if x.post_id != event.post_id),
            )
        case e.QueueOccurrenceSkipped() if state is not None:
            return replace(state, since=_later(state.since, event.occurrence))
    return state


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def to_json(q: Queue) -> dict[str, Any]:
    """The queue as its writer keeps it between commands (and the timer reads it)."""
    d = asdict(q)
    d["seen_items"] = sorted(q.seen_items)
    for k in ("starts_at", "since", "last_posted_at"):
        d[k] = d[k].isoformat() if d[k] is not None else None
    for t in d["taken"]:
        for k in ("occurrence", "prior_posted_at"):
            t[k] = t[k].isoformat() if t[k] is not None else None
    return d


def _item(d: dict[str, Any]) -> Item:
    return Item(**(d | {"media_urls": tuple(d.get("media_urls") or ())}))


def from_json(d: dict[str, Any]) -> Queue:
    def when(k: str) -> datetime | None:
        return datetime.fromisoformat(d[k]) if d.get(k) else None

    starts = when("starts_at")
    assert starts is not None
    rest: dict[str, Any] = {k: v for k, v in d.items() if k not in ("items", "seen_items", "starts_at", "since", "last_posted_at", "taken")}

    def taken(t: dict[str, Any]) -> Taken:
        prior = t.get("prior_posted_at")
        return Taken(
            t["post_id"],
            datetime.fromisoformat(t["occurrence"]),
            _item(t["item"]) if t.get("item") else None,
            datetime.fromisoformat(prior) if prior else None,
            t.get("prior_text"),
        )

    return Queue(
        **rest,
        starts_at=starts,
        since=when("since"),
        last_posted_at=when("last_posted_at"),
        items=tuple(_item(i) for i in d.get("items", [])),
        seen_items=frozenset(d.get("seen_items", [])),
        taken=tuple(taken(t) for t in d.get("taken", [])),
    )
