"""Analytics over a range of instants ``[lo, hi)`` (a :class:`domain.periods.Period`'s bounds): what
the posts published in it earned (each post's latest reading), per platform, per day, per article;
and the followers' counts over time. Read models only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

METRICS = (
    "posts",
    "published",
    "likes",
    "comments",
    "shares",
    "impressions",
    "clicks",
    "reach",
    "saves",
    "views",
    "engagement",
    "engagement_rate",
)
VIDEO_METRICS = ("posts", "published", "views", "likes", "comments", "shares", "minutes_watched")

# A post belongs to the period it went out in (or, not yet out, the one it is planned or was drafted in).
_WHEN = "coalesce(p.published_at, p.scheduled_at, p.created_at)"
_SUMS = (
    "count(*) AS posts, count(*) FILTER (WHERE p.status = 'published') AS published,"
    " coalesce(sum(e.likes), 0)::bigint AS likes, coalesce(sum(e.comments), 0)::bigint AS comments,"
    " coalesce(sum(e.shares), 0)::bigint AS shares, coalesce(sum(e.impressions), 0)::bigint AS impressions,"
    " coalesce(sum(e.clicks), 0)::bigint AS clicks, coalesce(sum(e.reach), 0)::bigint AS reach,"
    " coalesce(sum(e.saves), 0)::bigint AS saves, coalesce(sum(e.views), 0)::bigint AS views,"
    " coalesce(sum(e.likes + e.comments + e.shares), 0)::bigint AS engagement,"
    " coalesce(avg(e.engagement_rate), 0)::float8 AS avg_engagement_rate"
)
_SCOPE = "p.site_id = $1 AND ($4::text IS NULL OR p.platform = $4) AND ($5::text IS NULL OR p.content_id = $5)"


def _rated(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["engagement_rate"] = round(out["engagement"] / out["impressions"], 6) if out.get("impressions") else 0.0
    return out


async def totals(
    pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, *, platform: str | None = None, content_id: str | None = None
) -> dict[str, Any]:
    """The range's sums (engagement = likes + comments + shares; its rate over the impressions)."""
    row = await pool.fetchrow(
        f"SELECT {_SUMS} FROM posts p LEFT JOIN engagement e USING (post_id) WHERE {_SCOPE} AND {_WHEN} >= $2 AND {_WHEN} < $3",
        site_id,
        lo,
        hi,
        platform,
        content_id,
    )
    return _rated(row)


async def per_platform(pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch(
        f"SELECT p.platform, {_SUMS} FROM posts p LEFT JOIN engagement e USING (post_id)"
        f" WHERE {_SCOPE} AND {_WHEN} >= $2 AND {_WHEN} < $3 GROUP BY p.platform ORDER BY p.platform",
        site_id,
        lo,
        hi,
        None,
        None,
    )
    return {r["platform"]: _rated(r) for r in rows}


async def per_account(pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, platform: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f"SELECT p.account_id, {_SUMS} FROM posts p LEFT JOIN engagement e USING (post_id)"
        f" WHERE {_SCOPE} AND {_WHEN} >= $2 AND {_WHEN} < $3 GROUP BY p.account_id ORDER BY p.account_id",
        site_id,
        lo,
        hi,
        platform,
        None,
    )
    return [_rated(r) for r in rows]


async def daily(
    pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, tz: str, *, platform: str | None = None
) -> dict[date, dict[str, Any]]:
    """Per local day of publishing: the posts that went out and what they earned."""
    rows = await pool.fetch(
        f"SELECT (p.published_at AT TIME ZONE $6)::date AS day, {_SUMS} FROM posts p LEFT JOIN engagement e USING (post_id)"
        f" WHERE {_SCOPE} AND p.published_at >= $2 AND p.published_at < $3 GROUP BY 1 ORDER BY 1",
        site_id,
        lo,
        hi,
        platform,
        None,
        tz,
    )
    return {r["day"]: _rated(r) for r in rows}


async def top_posts(
    pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, *, platform: str | None = None, top: int = 10
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT p.post_id, p.platform, p.post_type, p.content_id, left(p.text, 140) AS preview, p.platform_post_url, p.published_at,"
        " e.likes, e.comments, e.shares, e.impressions, e.clicks, e.reach, e.saves, e.views, e.engagement_rate"
        " FROM engagement e JOIN posts p USING (post_id)"
        " WHERE p.site_id = $1 AND p.published_at >= $2 AND p.published_at < $3 AND ($4::text IS NULL OR p.platform = $4)"
        " ORDER BY e.likes + e.comments + e.shares DESC, e.impressions DESC, p.post_id LIMIT $5",
        site_id,
        lo,
        hi,
        platform,
        top,
    )
    return [dict(r) for r in rows]


async def best_hours(pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, tz: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT p.platform, extract(hour FROM p.published_at AT TIME ZONE $4)::int AS hour, count(*) AS posts,"
        " avg(e.engagement_rate)::float8 AS avg_engagement_rate FROM engagement e JOIN posts p USING (post_id)"
        " WHERE p.site_id = $1 AND p.published_at >= $2 AND p.published_at < $3 GROUP BY 1, 2 ORDER BY 1, 4 DESC",
        site_id,
        lo,
        hi,
        tz,
    )
    return [dict(r) for r in rows]


async def articles(pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, *, top: int = 20) -> list[dict[str, Any]]:
    """The articles whose posts went out in the range, by what those posts earned."""
    rows = await pool.fetch(
        f"SELECT p.content_id, max(c.title) AS title, {_SUMS} FROM posts p LEFT JOIN engagement e USING (post_id)"
        f" LEFT JOIN contents c ON c.content_id = p.content_id"
        f" WHERE {_SCOPE} AND p.published_at >= $2 AND p.published_at < $3 GROUP BY p.content_id"
        " ORDER BY engagement DESC, impressions DESC, p.content_id LIMIT $6",
        site_id,
        lo,
        hi,
        None,
        None,
        top,
    )
    return [_rated(r) for r in rows]


async def article(pool: asyncpg.Pool, site_id: str, content_id: str) -> dict[str, Any] | None:
    """An article and every post it became (videos included), each with its latest reading."""
    content = await pool.fetchrow(
        "SELECT content_id, title, url, published_at FROM contents WHERE content_id = $1 AND site_id = $2", content_id, site_id
    )
    rows = await pool.fetch(
        "SELECT p.post_id, p.account_id, p.platform, p.post_type, p.status, p.published_at, p.platform_post_url,"
        " left(p.text, 140) AS preview, p.video_project_id, e.likes, e.comments, e.shares, e.impressions, e.clicks, e.reach,"
        " e.saves, e.views, e.engagement_rate, e.fetched_at FROM posts p LEFT JOIN engagement e USING (post_id)"
        " WHERE p.site_id = $1 AND p.content_id = $2 ORDER BY p.published_at NULLS LAST, p.platform, p.post_id",
        site_id,
        content_id,
    )
    if content is None and not rows:
        return None
    return {"content": dict(content) if content else None, "posts": [dict(r) for r in rows]}


_WATCHED = (
    "LEFT JOIN LATERAL (SELECT (h.raw->>'minutes_watched')::bigint AS minutes FROM engagement_history h"
    " WHERE h.post_id = p.post_id ORDER BY h.fetched_at DESC LIMIT 1) w ON true"
)


async def video_totals(pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT count(*) AS posts, count(*) FILTER (WHERE p.status = 'published') AS published,"
        " coalesce(sum(e.impressions), 0)::bigint AS views, coalesce(sum(e.likes), 0)::bigint AS likes,"
        " coalesce(sum(e.comments), 0)::bigint AS comments, coalesce(sum(e.shares), 0)::bigint AS shares,"
        f" coalesce(sum(w.minutes), 0)::bigint AS minutes_watched FROM posts p LEFT JOIN engagement e USING (post_id) {_WATCHED}"
        f" WHERE p.site_id = $1 AND p.post_type = 'video' AND {_WHEN} >= $2 AND {_WHEN} < $3",
        site_id,
        lo,
        hi,
    )
    return dict(row)


async def followers(
    pool: asyncpg.Pool, site_id: str, lo: datetime, hi: datetime, tz: str, *, platform: str | None = None
) -> list[dict[str, Any]]:
    """Each account's follower count per local day of the range (the day's last count), oldest first."""
    rows = await pool.fetch(
        "SELECT DISTINCT ON (account_id, day) account_id, platform, (counted_at AT TIME ZONE $4)::date AS day, followers"
        " FROM follower_counts WHERE site_id = $1 AND counted_at >= $2 AND counted_at < $3 AND ($5::text IS NULL OR platform = $5)"
        " ORDER BY account_id, day, counted_at DESC",
        site_id,
        lo,
        hi,
        tz,
        platform,
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        acct = out.setdefault(r["account_id"], {"account_id": r["account_id"], "platform": r["platform"], "points": []})
        acct["points"].append({"day": r["day"], "followers": r["followers"]})
    for acct in out.values():
        first, last = acct["points"][0]["followers"], acct["points"][-1]["followers"]
        acct["latest"], acct["change"] = last, last - first
    return list(out.values())
