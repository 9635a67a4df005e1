"""The queues read model: one row per queue, its waiting items, what it posted last; folded from
``social.queues`` (written by one writer, ``streams.enqueue``). ``version`` moves as the writer's does
(an item, a priority, a pause, a resume; never a fired occurrence), so it is the queue's ETag. A repeat
of an event on the log is not applied again."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.base import Projection, Statement
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded

_NEW = "NOT ({eid} = ANY(applied))"
_APPLIED = "applied = (applied || {eid}::text)[greatest(1, cardinality(applied) - 62):]"


def _upd(sets: str, eid: str) -> str:
    return f"UPDATE {{queues}} SET {sets}, updated_at = $2, {_APPLIED.format(eid=eid)} WHERE queue_id = $1 AND {_NEW.format(eid=eid)}"


class QueuesProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        m, at, eid = d.message, d.envelope.time, d.envelope.id
        match m:
            case e.QueueCreated():
                row = (m.queue_id, m.site_id, m.account_id, m.platform, m.name, m.kind, m.rrule, m.tzid, m.starts_at)
                return [("created", (*row, m.content_id, m.min_gap_hours, m.created_by, at, eid))]
            case e.QueueItemAdded():
                return [("added", (m.queue_id, at, eid, m.item_id, m.text, m.link_url, m.priority, m.media_urls))]
            case e.QueueItemPrioritised():
                return [("prioritised", (m.queue_id, at, eid, m.item_id, m.priority))]
            case e.QueuePaused():
                return [("status", (m.queue_id, at, eid, "paused"))]
            case e.QueueResumed():
                return [("status", (m.queue_id, at, eid, "active"))]
            case e.QueueOccurrenceFired():
                return [("fired", (m.queue_id, at, eid, m.item_id or "", m.occurrence, m.post_id))]
            case e.QueueOccurrenceRefused():
                item = (m.item_id, m.text, m.link_url, m.seq, m.reason, m.priority, m.media_urls) if m.item_id else None
                return [("refused_item" if item else "refused", (m.queue_id, at, eid, *(item or ())))]
            case e.QueueOccurrenceSkipped():
                return [("skipped", (m.queue_id, at, eid, m.occurrence, m.reason))]
        return []


QUEUES = QueuesProjection(
    name="queues",
    topics=(t.QUEUES,),
    tables=("queues",),
    sql={
        "created": "INSERT INTO {queues} (queue_id, site_id, account_id, platform, name, kind, rrule, tzid, starts_at, content_id,"
        " min_gap_hours, status, version, created_by, created_at, updated_at, applied)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'active',1,$12,$13,$13,ARRAY[$14::text]) ON CONFLICT (queue_id) DO NOTHING",
        "added": _upd(
            "items = items || jsonb_build_array(jsonb_build_object('item_id', $4::text, 'text', $5::text, 'link_url', $6::text,"
            " 'priority', $7::boolean, 'seq', item_seq, 'media_urls', to_jsonb($8::text[]))), item_seq = item_seq + 1, version = version + 1",
            "$3",
        ),
        "prioritised": _upd(
            "items = coalesce((SELECT jsonb_agg(CASE WHEN i->>'item_id' = $4::text THEN jsonb_set(i, ARRAY['priority'], to_jsonb($5::boolean))"
            " ELSE i END ORDER BY n) FROM jsonb_array_elements(items) WITH ORDINALITY AS x(i, n)), '[]'::jsonb), version = version + 1",
            "$3",
        ),
        "status": _upd("status = $4, version = version + 1", "$3"),
        "fired": _upd(
            "items = coalesce((SELECT jsonb_agg(i ORDER BY n) FROM jsonb_array_elements(items) WITH ORDINALITY AS x(i, n)"
            " WHERE i->>'item_id' <> $4::text), '[]'::jsonb), posted = posted + 1, last_occurrence = greatest(last_occurrence, $5),"
            " last_post_id = $6",
            "$3",
        ),
        # A refused post does not count as posted; its item comes back, held with the reason, in its place.
        "refused": _upd("posted = posted - 1, skipped = skipped + 1, last_skip = 'refused'", "$3"),
        "refused_item": _upd(
            "items = items || jsonb_build_array(jsonb_build_object('item_id', $4::text, 'text', $5::text, 'link_url', $6::text,"
            " 'priority', $9::boolean, 'seq', $7::int, 'held', $8::text, 'media_urls', to_jsonb($10::text[]))), posted = posted - 1, skipped = skipped + 1, last_skip = 'refused'",
            "$3",
        ),
        "skipped": _upd("skipped = skipped + 1, last_occurrence = greatest(last_occurrence, $4), last_skip = $5", "$3"),
    },
)

# ---- queries (the API's)
_COLUMNS = (
    "queue_id, site_id, account_id, platform, name, kind, rrule, tzid, starts_at, content_id, min_gap_hours, status, version,"
    " items, posted, skipped, last_occurrence, last_post_id, last_skip, created_by, created_at, updated_at"
)


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    items = d["items"] if isinstance(d["items"], list) else []
    d["items"] = sorted(items, key=lambda i: (bool(i.get("held")), not i.get("priority"), i.get("seq", 0)))  # the order they go in
    return d


async def queues(pool: asyncpg.Pool, *, site_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM queues WHERE site_id = $1 ORDER BY created_at DESC, queue_id LIMIT $2 OFFSET $3", site_id, limit, offset
    )
    total = await pool.fetchval("SELECT count(*) FROM queues WHERE site_id = $1", site_id)
    return [_row(r) for r in rows], int(total)


async def queue(pool: asyncpg.Pool, queue_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM queues WHERE queue_id = $1", queue_id)
    return _row(row) if row else None
