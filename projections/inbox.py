"""The inbox read model: comments and messages per post and conversation, folded from
``social.inbox`` by the platform's ids (a comment delivered five times is one row), and the replies
we made, each in its item's thread, linked to its echo when our own message comes back."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.inbox import item_id
from projections.base import Projection, Statement
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded


class InboxProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        m, eid = d.message, d.envelope.id
        match m:
            case e.CommentReceived():
                iid = item_id(m.platform, m.kind, m.comment_id)
                row = (iid, m.site_id, m.account_id, m.platform, m.kind, m.comment_id, m.platform_post_id or m.post_id, m.post_id)
                return [("item", (*row, m.parent_id, m.author_id, m.author_name, m.text, m.created_at, m.echo, eid))]
            case e.MessageReceived():
                iid = item_id(m.platform, "message", m.message_id)
                row = (iid, m.site_id, m.account_id, m.platform, "message", m.message_id, m.conversation_id, "")
                return [("item", (*row, "", m.sender_id, m.sender_name, m.text, m.created_at, m.echo, eid))]
            case e.ReplyRequested():
                r = (m.reply_id, m.site_id, m.account_id, m.platform, m.item_id, m.thread, m.action, m.text, m.requested_at, m.go_at)
                return [("requested", r)]
            case e.ReplySent():
                return [("sent", (m.reply_id, m.platform_reply_id, m.sent_at, m.reconciled))]
            case e.ReplyFailed():
                return [("failed", (m.reply_id, m.reason, m.code))]
        return []


INBOX = InboxProjection(
    name="inbox",
    topics=(t.INBOX,),
    tables=("inbox_items", "inbox_replies"),
    sql={
        # The first delivery makes the row; a repeat (a webhook resent, the sweep) changes nothing.
        "item": "INSERT INTO {inbox_items} (item_id, site_id, account_id, platform, kind, platform_item_id, thread, post_id,"
        " parent_id, author_id, author_name, text, created_at, echo, event_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
        " ON CONFLICT (item_id) DO NOTHING",
        "requested": "INSERT INTO {inbox_replies} (reply_id, site_id, account_id, platform, item_id, thread, action, text, status,"
        " requested_at, go_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'queued',$9,$10) ON CONFLICT (reply_id) DO NOTHING",
        # Our reply's echo may come back before or after this: linked either way (see the query).
        "sent": "UPDATE {inbox_replies} SET status = 'sent', platform_reply_id = $2, sent_at = $3, reconciled = $4, reason = NULL"
        " WHERE reply_id = $1",
        "failed": "UPDATE {inbox_replies} SET status = 'failed', reason = $2, code = $3 WHERE reply_id = $1 AND status <> 'sent'",
    },
)

# ---- queries (the API's)

# An item is ours (an echo) when flagged, written by the account, or the echo of a reply we sent.
_OWN = (
    "(i.echo OR i.author_id = coalesce(a.platform_account_id, '')"
    " OR EXISTS (SELECT 1 FROM inbox_replies r WHERE r.platform = i.platform AND r.platform_reply_id = i.platform_item_id))"
)
# Unanswered: not ours, no reply to it on its way or sent, and (a message) no message of ours after it.
_ANSWERED = (
    "(EXISTS (SELECT 1 FROM inbox_replies r WHERE r.item_id = i.item_id AND r.action <> 'hide' AND r.status <> 'failed')"
    " OR (i.kind = 'message' AND EXISTS (SELECT 1 FROM inbox_items o WHERE o.platform = i.platform AND o.thread = i.thread"
    " AND o.created_at > i.created_at AND (o.echo OR o.author_id = coalesce(a.platform_account_id, '')))))"
)
_SELECT = (
    f"SELECT i.*, {_OWN} AS own, NOT {_OWN} AND NOT {_ANSWERED} AS unanswered"
    " FROM inbox_items i LEFT JOIN accounts a ON a.account_id = i.account_id"
)


def _replies(rows: list[asyncpg.Record]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["item_id"], []).append(
            {
                k: r[k]
                for k in (
                    "reply_id",
                    "action",
                    "text",
                    "status",
                    "requested_at",
                    "go_at",
                    "sent_at",
                    "platform_reply_id",
                    "reconciled",
                    "reason",
                    "code",
                )
            }
            | {"echo_item_id": r["echo_item_id"]}
        )
    return out


async def _with_replies(pool: Any, rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    ids = [r["item_id"] for r in rows]
    replies = await pool.fetch(
        "SELECT r.*, (SELECT i.item_id FROM inbox_items i WHERE i.platform = r.platform AND i.platform_item_id = r.platform_reply_id"
        " LIMIT 1) AS echo_item_id FROM inbox_replies r WHERE r.item_id = ANY($1::text[]) ORDER BY r.requested_at",
        ids,
    )
    by_item = _replies(replies)
    return [_item(r) | {"replies": by_item.get(r["item_id"], [])} for r in rows]


def _item(r: asyncpg.Record) -> dict[str, Any]:
    keep = ("item_id", "site_id", "account_id", "platform", "kind", "platform_item_id", "thread", "post_id", "parent_id")
    d = {k: r[k] for k in keep}
    d |= {"author_id": r["author_id"], "author_name": r["author_name"], "text": r["text"], "created_at": r["created_at"]}
    d |= {"own": r["own"], "unanswered": r["unanswered"]}
    if r["kind"] == "message":
        d["conversation_id"] = r["thread"]
    return d


async def list_items(
    pool: Any,
    *,
    site_id: str,
    platform: str | None = None,
    account_id: str | None = None,
    post_id: str | None = None,
    conversation_id: str | None = None,
    unanswered: bool | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    where, args = ["i.site_id = $1"], [site_id]

    def add(cond: str, value: Any) -> None:
        args.append(value)
        where.append(cond.format(n=len(args)))

    if platform:
        add("i.platform = ${n}", platform)
    if account_id:
        add("i.account_id = ${n}", account_id)
    if post_id:
        add("(i.post_id = ${n} OR (i.kind <> 'message' AND i.thread = ${n}))", post_id)
    if conversation_id:
        add("(i.kind = 'message' AND i.thread = ${n})", conversation_id)
    if kind:
        add("i.kind = ${n}", kind)
    if unanswered is not None:
        where.append(("" if unanswered else "NOT ") + f"(NOT {_OWN} AND NOT {_ANSWERED})")
    cond = " AND ".join(where)
    total = await pool.fetchval(
        f"SELECT count(*) FROM inbox_items i LEFT JOIN accounts a ON a.account_id = i.account_id WHERE {cond}", *args
    )
    rows = await pool.fetch(
        f"{_SELECT} WHERE {cond} ORDER BY i.created_at DESC, i.item_id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}", *args, limit, offset
    )
    return await _with_replies(pool, rows), int(total or 0)


async def get_item(pool: Any, item: str) -> dict[str, Any] | None:
    rows = await pool.fetch(f"{_SELECT} WHERE i.item_id = $1", item)
    if not rows:
        return None
    (out,) = await _with_replies(pool, rows)
    return out


async def get_reply(pool: Any, reply_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM inbox_replies WHERE reply_id = $1", reply_id)
    return dict(row) if row else None
