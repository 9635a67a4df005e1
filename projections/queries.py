"""Read queries over the read models (the HTTP API's only source of reads)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

POST_COLUMNS = (
    "post_id, site_id, content_id, account_id, platform, post_type, status, text, hashtags, link_url, utm, thread,"
    " media_urls, writer, writer_note, first_comment, media_plan, virality, virality_parts, virality_reasons,"
    " scheduled_at, published_at, platform_post_id, platform_post_url, warnings, error, review, reviewed_by, reviewed_at, created_at, updated_at, version,"
    " slot_why"
)


def _row(r: asyncpg.Record) -> dict[str, Any]:
    return dict(r)


async def list_posts(
    pool: asyncpg.Pool,
    *,
    site_id: str,
    platform: str | None = None,
    status: str | None = None,
    content_id: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    account_id: str | None = None,
    search: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the site's posts, newest first, and how many match in all (``search``: words in the text, any case)."""
    where, args = ["site_id = $1"], [site_id]
    if search:
        args.append("%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where.append(f"text ILIKE ${len(args)}")
    for col, val in (("platform", platform), ("status", status), ("content_id", content_id), ("account_id", account_id)):
        if val is not None:
            args.append(val)
            where.append(f"{col} = ${len(args)}")
    if date_from is not None:
        args.append(date_from)
        where.append(f"coalesce(published_at, scheduled_at, created_at) >= ${len(args)}")
    if date_to is not None:
        args.append(date_to)
        where.append(f"coalesce(published_at, scheduled_at, created_at) < ${len(args)}")
    total = await pool.fetchval(f"SELECT count(*) FROM posts WHERE {' AND '.join(where)}", *args)
    args += [limit, offset]
    sql = (
        f"SELECT {POST_COLUMNS} FROM posts WHERE {' AND '.join(where)}"
        f" ORDER BY created_at DESC, post_id LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    )
    return [_row(r) for r in await pool.fetch(sql, *args)], int(total)


async def failed_for_account(pool: asyncpg.Pool, account_id: str) -> list[str]:
    """Posts that failed because their account could not be used (needs re-authorisation, or was
    disconnected): what reconnecting it can send again."""
    rows = await pool.fetch(
        "SELECT post_id FROM posts WHERE account_id = $1 AND status = 'failed'"
        " AND (error LIKE 'needs_reauth:%' OR error LIKE 'disconnected:%') ORDER BY updated_at",
        account_id,
    )
    return [r["post_id"] for r in rows]


async def get_post(pool: asyncpg.Pool, post_id: str) -> dict[str, Any] | None:
    r = await pool.fetchrow(f"SELECT {POST_COLUMNS} FROM posts WHERE post_id = $1", post_id)
    return _row(r) if r else None


async def post_versions(pool: asyncpg.Pool, post_ids: list[str]) -> dict[str, tuple[str, int]]:
    """(site, version) of each post the read model has among ``post_ids``: what a caller could have read."""
    rows = await pool.fetch("SELECT post_id, site_id, version FROM posts WHERE post_id = ANY($1::text[])", post_ids)
    return {r["post_id"]: (r["site_id"], r["version"]) for r in rows}


async def get_content(pool: asyncpg.Pool, content_id: str) -> dict[str, Any] | None:
    r = await pool.fetchrow("SELECT * FROM contents WHERE content_id = $1", content_id)
    return _row(r) if r else None


CALENDAR_SQL = (
    "SELECT post_id, account_id, platform, post_type, status, left(text, 140) AS preview,"
    " coalesce(published_at, scheduled_at) AS at, version FROM posts"
    " WHERE site_id = $1 AND status IN ('scheduled', 'publishing', 'published', 'failed')"
    " AND coalesce(published_at, scheduled_at) >= $2 AND coalesce(published_at, scheduled_at) < $3 ORDER BY at, post_id"
)


async def calendar(pool: asyncpg.Pool, *, site_id: str, start: date, end: date, tz: str) -> dict[str, Any]:
    """Scheduled and published posts between two local dates, grouped by local day."""
    zone = ZoneInfo(tz)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    hi = datetime.combine(end, datetime.min.time(), tzinfo=zone)
    days: dict[str, list[dict[str, Any]]] = {}
    d = start
    while d < end:
        days[d.isoformat()] = []
        d += timedelta(days=1)
    for r in await pool.fetch(CALENDAR_SQL, site_id, lo, hi):
        item = dict(r)
        days.setdefault(item["at"].astimezone(zone).date().isoformat(), []).append(item)
    return {
        "site_id": site_id,
        "timezone": tz,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": [{"date": k, "posts": v} for k, v in days.items()],
    }


async def analytics_posts(
    pool: asyncpg.Pool,
    *,
    site_id: str,
    platform: str | None = None,
    limit: int = 100,
    offset: int = 0,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Posts with a reading, newest first; published between ``lo`` and ``hi`` if given."""
    where = (
        "p.site_id = $1 AND ($2::text IS NULL OR p.platform = $2)"
        " AND ($3::timestamptz IS NULL OR p.published_at >= $3) AND ($4::timestamptz IS NULL OR p.published_at < $4)"
    )
    total = await pool.fetchval(f"SELECT count(*) FROM posts p JOIN engagement e USING (post_id) WHERE {where}", site_id, platform, lo, hi)
    rows = await pool.fetch(
        "SELECT p.post_id, p.platform, p.post_type, p.status, p.published_at, p.platform_post_url, left(p.text, 140) AS preview,"
        " e.likes, e.comments, e.shares, e.impressions, e.clicks, e.reach, e.saves, e.views, e.engagement_rate, e.fetched_at"
        f" FROM posts p JOIN engagement e USING (post_id) WHERE {where}"
        " ORDER BY p.published_at DESC NULLS LAST, p.post_id LIMIT $5 OFFSET $6",
        site_id,
        platform,
        lo,
        hi,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def post_analytics(pool: asyncpg.Pool, post_id: str) -> dict[str, Any] | None:
    latest = await pool.fetchrow("SELECT * FROM engagement WHERE post_id = $1", post_id)
    if latest is None:
        return None
    history = await pool.fetch(
        "SELECT fetched_at, likes, comments, shares, impressions, clicks, reach, saves, views, engagement_rate, label, age_seconds, late"
        " FROM engagement_history"
        " WHERE post_id = $1 ORDER BY fetched_at",
        post_id,
    )
    return {**dict(latest), "history": [dict(r) for r in history]}


async def checkpoints(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        'SELECT projection, topic, partition, "offset", high_watermark, greatest(high_watermark - "offset" - 1, 0) AS lag,'
        " updated_at FROM projection_checkpoints ORDER BY 1, 2, 3"
    )
    return [dict(r) for r in rows]


async def position_reached(pool: asyncpg.Pool, projection: str, topic: str, partition: int, offset: int) -> bool:
    got = await pool.fetchval(
        'SELECT "offset" FROM projection_checkpoints WHERE projection = $1 AND topic = $2 AND partition = $3',
        projection,
        topic,
        partition,
    )
    return got is not None and got >= offset


async def account_history(pool: asyncpg.Pool, account_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT type, at, data FROM account_history WHERE account_id = $1 ORDER BY at DESC LIMIT $2", account_id, limit)
    return [_row(r) for r in rows]


VIDEO_COLUMNS = (
    "project_id, site_id, content_id, title, preset, voice_id, form, review, motion, status, stage, error, revision,"
    " approved_revision, until, progress, timings, video_url, srt_url, vtt_url, thumbnail_url, audio_url, seconds, sections,"
    " chapters, problems, durations, pictures, seo, made, created_at, updated_at, version, contact_sheet_url, layouts"
)


async def video_projects(
    pool: asyncpg.Pool, *, site_id: str, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A site's projects, newest first; a cancelled project is gone for its site."""
    where = "site_id = $1 AND status <> 'cancelled' AND ($2::text IS NULL OR status = $2)"
    total = await pool.fetchval(f"SELECT count(*) FROM video_projects WHERE {where}", site_id, status)
    rows = await pool.fetch(
        f"SELECT {VIDEO_COLUMNS} FROM video_projects WHERE {where} ORDER BY created_at DESC, project_id LIMIT $3 OFFSET $4",
        site_id,
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows], int(total)


async def video_project(pool: asyncpg.Pool, project_id: str, *, script: bool = False) -> dict[str, Any] | None:
    cols = VIDEO_COLUMNS + (", script, url, summary, keywords, music_url" if script else "")
    r = await pool.fetchrow(f"SELECT {cols} FROM video_projects WHERE project_id = $1", project_id)
    return dict(r) if r else None


async def video_renders(pool: asyncpg.Pool, project_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT revision, preset, video_url, srt_url, vtt_url, thumbnail_url, seconds, problems, timings, made, rendered_at"
        " FROM video_renders WHERE project_id = $1 ORDER BY rendered_at DESC",
        project_id,
    )
    return [dict(r) for r in rows]


_WATCHED = (
    "LEFT JOIN LATERAL (SELECT (h.raw->>'minutes_watched')::bigint AS minutes FROM engagement_history h"
    " WHERE h.post_id = p.post_id ORDER BY h.fetched_at DESC LIMIT 1) w ON true"
)


async def video_posts(pool: asyncpg.Pool, project_id: str) -> list[dict[str, Any]]:
    """A project's posts on each platform: where each stands and what it earned (latest reading)."""
    rows = await pool.fetch(
        "SELECT p.post_id, p.platform, p.account_id, p.status, p.scheduled_at, p.published_at, p.platform_post_id,"
        " p.platform_post_url, p.error, (p.video->>'revision')::int AS revision, e.impressions AS views, e.likes, e.comments,"
        f" e.shares, w.minutes AS minutes_watched, e.fetched_at FROM posts p LEFT JOIN engagement e USING (post_id) {_WATCHED}"
        " WHERE p.video_project_id = $1 ORDER BY p.platform, p.account_id",
        project_id,
    )
    return [dict(r) for r in rows]


async def video_analytics(
    pool: asyncpg.Pool, site_id: str, lo: datetime | None = None, hi: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """A site's video posts summed per platform and per article; between ``lo`` and ``hi`` if given
    (when each went out, or else was planned or drafted)."""
    when = "coalesce(p.published_at, p.scheduled_at, p.created_at)"
    base = (
        f"FROM posts p LEFT JOIN engagement e USING (post_id) {_WATCHED} WHERE p.site_id = $1 AND p.post_type = 'video'"
        f" AND ($2::timestamptz IS NULL OR {when} >= $2) AND ($3::timestamptz IS NULL OR {when} < $3)"
    )
    sums = (
        "count(*) AS posts, count(*) FILTER (WHERE p.status = 'published') AS published, coalesce(sum(e.impressions), 0)::bigint AS views,"
        " coalesce(sum(e.likes), 0)::bigint AS likes, coalesce(sum(e.comments), 0)::bigint AS comments,"
        " coalesce(sum(e.shares), 0)::bigint AS shares, coalesce(sum(w.minutes), 0)::bigint AS minutes_watched"
    )
    platforms = await pool.fetch(f"SELECT p.platform, {sums} {base} GROUP BY p.platform ORDER BY p.platform", site_id, lo, hi)
    articles = await pool.fetch(
        f"SELECT p.content_id, p.video_project_id AS project_id, {sums} {base} GROUP BY p.content_id, p.video_project_id"
        " ORDER BY views DESC, p.content_id",
        site_id,
        lo,
        hi,
    )
    return {"platforms": [dict(r) for r in platforms], "articles": [dict(r) for r in articles]}


async def unknown_fields(pool: asyncpg.Pool) -> dict[str, int]:
    """Fields upstream sent that ContentPublished does not know, and in how many articles of the last day."""
    rows = await pool.fetch(
        "SELECT f AS field, count(*) AS n FROM contents, jsonb_array_elements_text(unknown_fields) AS f"
        " WHERE unknown_fields <> '[]' AND recorded_at > now() - interval '24 hours' GROUP BY f ORDER BY n DESC, f LIMIT 50"
    )
    return {r["field"]: int(r["n"]) for r in rows}


_SNAPSHOT_24H = (
    "SELECT DISTINCT ON (h.post_id) h.post_id, p.published_at, h.likes + h.comments + h.shares AS engagement, h.impressions,"
    " h.engagement_rate FROM engagement_history h JOIN posts p USING (post_id)"
    " WHERE p.account_id = $1 AND h.label = '24h' ORDER BY h.post_id, h.fetched_at"
)


async def best_times(pool: asyncpg.Pool, account_id: str, tz: str) -> dict[str, Any]:
    """An account's engagement per weekday × local hour of publishing, from each post's 24 h
    snapshot (one per post), best first; and per hour alone, best first."""
    cols = (
        "count(*) AS posts, avg(engagement)::float8 AS avg_engagement, avg(impressions)::float8 AS avg_impressions,"
        " avg(engagement_rate)::float8 AS avg_engagement_rate"
    )
    local = "(published_at AT TIME ZONE $2)"
    slots = await pool.fetch(
        f"SELECT (extract(isodow FROM {local})::int - 1) AS weekday, extract(hour FROM {local})::int AS hour, {cols}"
        f" FROM ({_SNAPSHOT_24H}) s GROUP BY 1, 2 ORDER BY avg_engagement DESC, posts DESC, 1, 2",
        account_id,
        tz,
    )
    hours = await pool.fetch(
        f"SELECT extract(hour FROM {local})::int AS hour, {cols} FROM ({_SNAPSHOT_24H}) s"
        " GROUP BY 1 ORDER BY avg_engagement DESC, posts DESC, 1",
        account_id,
        tz,
    )
    return {"hours": [dict(r) for r in hours], "slots": [dict(r) for r in slots], "posts": sum(r["posts"] for r in hours)}


async def snapshot_readings(pool: asyncpg.Pool, account_id: str, platform: str, videos: bool) -> dict[str, dict[str, tuple[int, bool]]]:
    """Every labelled reading of an account's posts on a platform: post -> label -> (likes + comments + shares, late)."""
    rows = await pool.fetch(
        "SELECT h.post_id, h.label, h.likes + h.comments + h.shares AS engagement, h.late FROM engagement_history h"
        " JOIN posts p USING (post_id) WHERE p.account_id = $1 AND p.platform = $2 AND (p.post_type = 'video') = $3 AND h.label <> ''"
        " ORDER BY h.post_id, h.fetched_at",
        account_id,
        platform,
        videos,
    )
    out: dict[str, dict[str, tuple[int, bool]]] = {}
    for r in rows:
        out.setdefault(r["post_id"], {}).setdefault(r["label"], (int(r["engagement"]), bool(r["late"])))
    return out


NOTIFICATION_COLUMNS = (
    "n.notification_id, n.site_id, n.kind, n.subject, n.title, n.detail, n.raised_at, n.resolved_at, n.resolved_reason,"
    " n.resolved_at IS NULL AS open, r.read_at IS NOT NULL AS read, r.read_at"
)


async def list_notifications(
    pool: asyncpg.Pool,
    *,
    site_id: str,
    kind: str | None = None,
    unread: bool | None = None,
    open: bool | None = None,  # noqa: A002 - the filter's name in the API
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the site's notifications, newest first, and how many match in all."""
    where, args = ["n.site_id = $1"], [site_id]
    if kind is not None:
        args.append(kind)
        where.append(f"n.kind = ${len(args)}")
    if unread is not None:
        where.append("r.read_at IS NULL" if unread else "r.read_at IS NOT NULL")
    if open is not None:
        where.append("n.resolved_at IS NULL" if open else "n.resolved_at IS NOT NULL")
    source = "notifications n LEFT JOIN notification_reads r ON r.notification_id = n.notification_id"
    total = await pool.fetchval(f"SELECT count(*) FROM {source} WHERE {' AND '.join(where)}", *args)
    args += [limit, offset]
    sql = (
        f"SELECT {NOTIFICATION_COLUMNS} FROM {source} WHERE {' AND '.join(where)}"
        f" ORDER BY n.raised_at DESC, n.notification_id LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    )
    return [_row(r) for r in await pool.fetch(sql, *args)], int(total)


async def get_notification(pool: asyncpg.Pool, notification_id: str) -> dict[str, Any] | None:
    r = await pool.fetchrow(
        f"SELECT {NOTIFICATION_COLUMNS} FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.notification_id"
        " WHERE n.notification_id = $1",
        notification_id,
    )
    return _row(r) if r else None


async def mark_read(pool: asyncpg.Pool, site_id: str, notification_ids: list[str] | None, at: datetime) -> int:
    """A person's mark on the read model (kept apart from it: a rebuild keeps the marks): the given
    notifications of the site, or all of them (``None``); the first read time stays. Returns how many were newly marked."""
    sql = (
        "INSERT INTO notification_reads (notification_id, site_id, read_at) SELECT notification_id, site_id, $2 FROM notifications"
        " WHERE site_id = $1 AND ($3::text[] IS NULL OR notification_id = ANY($3::text[])) ON CONFLICT (notification_id) DO NOTHING"
    )
    status = await pool.execute(sql, site_id, at, notification_ids)
    return int(status.split()[-1])


async def overdue_count(pool: asyncpg.Pool, site_id: str | None = None) -> int:
    """How many posts are overdue now (open ``post_overdue`` notifications; of one site, or of all):
    what ``/healthz`` reads to say the system is unhealthy while posts are overdue."""
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE kind = 'post_overdue' AND resolved_at IS NULL AND ($1::text IS NULL OR site_id = $1)",
            site_id,
        )
    )
