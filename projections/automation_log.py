"""The automations' audit log (read model): every message an automation queued or skipped, and one
row per run (where it is: running, waiting at a node until a time, ended and why), from
``social.automation.runs``.

A queued send's outcome is the inbox's: ``ReplySent``/``ReplyFailed`` are on ``social.inbox``, which
the inbox projection folds by reply id (``inbox_replies``; the projector gives each topic one
projection), and the log's query joins it by reply id: queued, sent, failed — or skipped with the
code and reason. Either order of the two topics reads the same."""

from __future__ import annotations

from typing import Any

from projections.base import Projection, Statement
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded


class AutomationLogProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        m, at = d.message, d.envelope.time
        match m:
            case e.AutomationSendQueued():
                row = (m.reply_id, m.automation_id, m.site_id, m.run_id, m.node_id, m.action, m.text, m.trigger_event_id, m.go_at, at)
                return [("queued", row)]
            case e.AutomationSendSkipped():
                row = (d.envelope.id, m.automation_id, m.site_id, m.run_id, m.node_id, m.action, m.trigger_event_id, m.code, m.reason, m.at)
                return [("skipped", row)]
            case e.AutomationRunStarted():
                who = (m.account_id, m.platform, m.user_id, m.user_name, m.keyword, m.trigger_event_id)
                return [("run_started", (m.run_id, m.automation_id, m.site_id, *who, m.started_at))]
            case e.AutomationRunWaiting():
                return [("run_waiting", (m.run_id, m.node_id, m.until, at))]
            case e.AutomationRunResumed():
                return [("run_resumed", (m.run_id, m.node_id, m.at))]
            case e.AutomationRunEnded():
                return [("run_ended", (m.run_id, m.reason, m.at))]
        return []


_LOG = "entry_id, automation_id, site_id, run_id, node_id, reply_id, action, text, trigger_event_id, status"
AUTOMATION_LOG = AutomationLogProjection(
    name="automation_log",
    topics=(t.AUTOMATION_RUNS,),
    tables=("automation_log", "automation_run_list"),
    sql={
        "queued": f"INSERT INTO {{automation_log}} ({_LOG}, go_at, at) VALUES ($1,$2,$3,$4,$5,$1,$6,$7,$8,'queued',$9,$10)"
        " ON CONFLICT (entry_id) DO NOTHING",
        "skipped": f"INSERT INTO {{automation_log}} ({_LOG}, code, reason, at) VALUES ($1,$2,$3,$4,$5,NULL,$6,NULL,$7,'skipped',$8,$9,$10)"
        " ON CONFLICT (entry_id) DO NOTHING",
        "run_started": "INSERT INTO {automation_run_list} (run_id, automation_id, site_id, account_id, platform, user_id, user_name,"
        " keyword, trigger_event_id, status, started_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'running',$10,$10)"
        " ON CONFLICT (run_id) DO NOTHING",
        "run_waiting": "UPDATE {automation_run_list} SET status = 'waiting', node_id = $2, until = $3, updated_at = $4"
        " WHERE run_id = $1 AND status <> 'ended'",
        "run_resumed": "UPDATE {automation_run_list} SET status = 'running', node_id = $2, until = NULL, updated_at = $3"
        " WHERE run_id = $1 AND status <> 'ended'",
        "run_ended": "UPDATE {automation_run_list} SET status = 'ended', reason = $2, until = NULL, updated_at = $3 WHERE run_id = $1",
    },
)

# ---- queries (the API's)
# A send's outcome: skipped as logged, else the inbox's reply (sent, failed), else still queued.
_STATUS = "CASE WHEN l.status = 'skipped' THEN 'skipped' WHEN r.status IN ('sent', 'failed') THEN r.status ELSE 'queued' END"
_LOG_SELECT = (
    "l.entry_id, l.automation_id, l.run_id, l.node_id, l.reply_id, l.action, l.text, l.trigger_event_id,"
    f" {_STATUS} AS status, coalesce(r.code, l.code) AS code, coalesce(r.reason, l.reason) AS reason, l.go_at, l.at,"
    " r.sent_at, r.platform_reply_id"
)
_LOG_FROM = "automation_log l LEFT JOIN inbox_replies r ON r.reply_id = l.reply_id"
RUN_COLUMNS = (
    "run_id", "automation_id", "account_id", "platform", "user_id", "user_name", "keyword", "trigger_event_id", "status", "node_id",
    "until", "reason", "started_at", "updated_at",
)  # fmt: skip


async def _page(
    pool: Any, select: str, table: str, order: str, where: list[str], args: list[Any], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    cond = " AND ".join(where)
    total = await pool.fetchval(f"SELECT count(*) FROM {table} WHERE {cond}", *args)
    rows = await pool.fetch(
        f"SELECT {select} FROM {table} WHERE {cond} ORDER BY {order} LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}", *args, limit, offset
    )
    return [dict(r) for r in rows], int(total or 0)


async def log(
    pool: Any, *, site_id: str, automation_id: str, status: str | None = None, run_id: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    where, args = ["l.automation_id = $1", "l.site_id = $2"], [automation_id, site_id]
    if status:
        args.append(status)
        where.append(f"{_STATUS} = ${len(args)}")
    if run_id:
        args.append(run_id)
        where.append(f"l.run_id = ${len(args)}")
    return await _page(pool, _LOG_SELECT, _LOG_FROM, "l.at DESC, l.entry_id", where, args, limit, offset)


async def runs(
    pool: Any, *, site_id: str, automation_id: str, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    where, args = ["automation_id = $1", "site_id = $2"], [automation_id, site_id]
    if status:
        args.append(status)
        where.append(f"status = ${len(args)}")
    return await _page(pool, ", ".join(RUN_COLUMNS), "automation_run_list", "started_at DESC, run_id", where, args, limit, offset)
