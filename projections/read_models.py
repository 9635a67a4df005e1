"""The read models: contents, posts (with the calendar) and engagement (analytics).

Status updates are guarded so that a late event can never move a post backwards
(e.g. a PostScheduled echo arriving after PostPublishing).
"""

from __future__ import annotations

from commands import video
from projections.automation_log import AUTOMATION_LOG
from projections.automations import AUTOMATIONS
from projections.base import Projection, Statement
from projections.inbox import INBOX
from projections.queues import QUEUES
from projections.usage import USAGE
from schemas import events as e
from schemas import topics as t
from schemas.registry import Decoded, decode_upstream, unknown_fields

EDITABLE = "('draft', 'scheduled', 'failed')"


class ContentProjection(Projection):
    def decode(self, raw: bytes) -> Decoded:
        return decode_upstream(raw)

    def statements(self, d: Decoded) -> list[Statement]:
        m = d.message
        if not isinstance(m, e.ContentPublished):
            return []
        return [
            (
                "upsert",
                (
                    m.content_id,
                    m.site_id,
                    m.title,
                    str(m.url),
                    m.excerpt,
                    m.html,
                    m.keywords,
                    [str(u) for u in m.image_urls],
                    m.language,
                    m.published_at,
                    d.envelope.id,
                    unknown_fields(d),
                    d.envelope.time,
                ),
            )
        ]


CONTENT = ContentProjection(
    name="contents",
    topics=(t.CONTENT_PUBLISHED,),
    tables=("contents",),
    sql={
        "upsert": "INSERT INTO {contents} (content_id, site_id, title, url, excerpt, html, keywords, image_urls, language,"
        " published_at, event_id, unknown_fields, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
        " ON CONFLICT (content_id) DO UPDATE SET"
        " site_id = EXCLUDED.site_id, title = EXCLUDED.title, url = EXCLUDED.url, excerpt = EXCLUDED.excerpt,"
        " html = EXCLUDED.html, keywords = EXCLUDED.keywords, image_urls = EXCLUDED.image_urls,"
        " language = EXCLUDED.language, published_at = EXCLUDED.published_at, event_id = EXCLUDED.event_id,"
        " unknown_fields = EXCLUDED.unknown_fields, recorded_at = EXCLUDED.recorded_at",
    },
)


class PostsProjection(Projection):
    def statements(self, d: Decoded) -> list[Statement]:
        out = self._status(d)
        m = d.message
        # Counted as the post's writer counts (commands.posts.fold): every lifecycle event once by
        # its id, whether or not it moved the status; a drafting again changes nothing.
        if isinstance(m, e.Event) and not isinstance(m, e.PostDrafted | e.ContentSkipped | e.PostSkipped) and hasattr(m, "post_id"):
            out.append(("counted", (m.post_id, d.envelope.id)))
        return out

    def _status(self, d: Decoded) -> list[Statement]:
        m, env = d.message, d.envelope
        at, eid = env.time, env.id
        match m:
            case e.PostDrafted():
                return [
                    (
                        "drafted",
                        (
                            m.post_id,
                            m.site_id,
                            m.content_id,
                            m.account_id,
                            m.platform,
                            m.post_type,
                            m.text,
                            m.hashtags,
                            m.link_url,
                            m.utm,
                            m.thread,
                            m.media_urls,
                            m.writer,
                            at,
                            eid,
                            m.virality,
                            m.virality_parts,
                            m.virality_reasons,
                            m.writer_note,
                            m.first_comment,
                            m.media_plan,
                            m.video.project_id if m.video else None,
                            m.video.model_dump(mode="json") if m.video else None,
                        ),
                    )
                ]
            case e.PostScheduled() | e.PostRescheduled():
                why = m.why.model_dump(mode="json") if isinstance(m, e.PostScheduled) and m.why else None
                return [("scheduled", (m.post_id, m.scheduled_at, at, eid, why))]
            case e.PostEdited():
                edited = (m.post_id, m.text, m.hashtags, m.link_url, m.media_urls, m.thread, at, eid)
                return [("edited", (*edited, m.virality, m.virality_parts, m.virality_reasons))]
            case e.PostCancelled():
                return [("cancelled", (m.post_id, m.reason or None, at, eid))]
            case e.PostApproved():
                return [("approved", (m.post_id, m.by, at, eid))]
            case e.PostRejected():
                why = f"rejected by {m.by or 'a reviewer'}" + (f": {m.reason}" if m.reason else "")
                return [("rejected", (m.post_id, m.by, why, at, eid))]
            case e.ContentSkipped():
                return [("skipped", (m.content_id, m.site_id, m.reason, at, eid))]
            case e.PostSkipped():
                row = (m.post_id, m.site_id, m.content_id, m.account_id, m.platform, m.post_type, m.reason, at, eid)
                return [("post_skipped", row)]
            case e.PostPublishing():
                return [("publishing", (m.post_id, at, eid))]
            case e.PostPublished():
                return [("published", (m.post_id, m.published_at, m.platform_post_id, m.platform_post_url, at, eid, m.warnings))]
            case e.PostPublishFailed():
                return [("failed", (m.post_id, f"{m.code}: {m.reason}" if m.code else m.reason, at, eid))]
        return []


POSTS = PostsProjection(
    name="posts",
    topics=(t.POSTS,),
    tables=("posts", "content_skips", "post_skips"),
    sql={
        "drafted": "INSERT INTO {posts} (post_id, site_id, content_id, account_id, platform, post_type, status, text, hashtags,"
        " link_url, utm, thread, media_urls, writer, created_at, updated_at, last_event_id, virality, virality_parts,"
        " virality_reasons, writer_note, first_comment, media_plan, video_project_id, video, version, applied)"
        " VALUES ($1,$2,$3,$4,$5,$6,'draft',$7,$8,$9,$10,$11,$12,$13,$14,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,1,ARRAY[$15])"
        " ON CONFLICT (post_id) DO NOTHING",
        "counted": "UPDATE {posts} SET version = version + 1, applied = (applied || $2::text)[greatest(1, cardinality(applied) - 62):]"
        " WHERE post_id = $1 AND NOT ($2 = ANY(applied))",
        "scheduled": "UPDATE {posts} SET status = 'scheduled', scheduled_at = $2, error = NULL, updated_at = $3, last_event_id = $4,"
        " slot_why = $5"
        f" WHERE post_id = $1 AND status IN {EDITABLE}",
        "edited": "UPDATE {posts} SET text = coalesce($2, text), hashtags = coalesce($3, hashtags), link_url = coalesce($4, link_url),"
        " media_urls = coalesce($5, media_urls), thread = coalesce($6, thread), updated_at = $7, last_event_id = $8,"
        " virality = coalesce($9, virality), virality_parts = coalesce($10, virality_parts),"
        " virality_reasons = coalesce($11, virality_reasons)"
        f" WHERE post_id = $1 AND status IN {EDITABLE}",
        "cancelled": "UPDATE {posts} SET status = 'cancelled', error = $2, updated_at = $3, last_event_id = $4"
        f" WHERE post_id = $1 AND status IN {EDITABLE}",
        "approved": "UPDATE {posts} SET review = 'approved', reviewed_by = $2, reviewed_at = $3, updated_at = $3, last_event_id = $4"
        " WHERE post_id = $1",
        "rejected": "UPDATE {posts} SET status = 'cancelled', review = 'rejected', reviewed_by = $2, error = $3, reviewed_at = $4,"
        f" updated_at = $4, last_event_id = $5 WHERE post_id = $1 AND status IN {EDITABLE}",
        "post_skipped": "INSERT INTO {post_skips} (post_id, site_id, content_id, account_id, platform, post_type, reason, skipped_at,"
        " event_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (post_id) DO UPDATE SET reason = EXCLUDED.reason,"
        " skipped_at = EXCLUDED.skipped_at, event_id = EXCLUDED.event_id",
        "skipped": "INSERT INTO {content_skips} (content_id, site_id, reason, skipped_at, event_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (content_id) DO UPDATE SET reason = EXCLUDED.reason, skipped_at = EXCLUDED.skipped_at, event_id = EXCLUDED.event_id",
        "publishing": "UPDATE {posts} SET status = 'publishing', updated_at = $2, last_event_id = $3"
        " WHERE post_id = $1 AND status IN ('draft', 'scheduled', 'failed')",
        "published": "UPDATE {posts} SET status = 'published', published_at = $2, platform_post_id = $3, platform_post_url = $4,"
        " error = NULL, updated_at = $5, last_event_id = $6, warnings = $7 WHERE post_id = $1",
        "failed": "UPDATE {posts} SET status = 'failed', error = $2, updated_at = $3, last_event_id = $4"
        " WHERE post_id = $1 AND status <> 'published'",
    },
)


class EngagementProjection(Projection):
    """The latest reading per post, and every reading with its ladder label and age (decay curves and
    best times read these); and each account's follower counts (followers over time)."""

    def statements(self, d: Decoded) -> list[Statement]:
        m = d.message
        if isinstance(m, e.FollowersCounted):
            return [("followers", (m.account_id, m.counted_at, m.site_id, m.platform, m.followers))]
        if not isinstance(m, e.EngagementRecorded):
            return []
        counts = (m.likes, m.comments, m.shares, m.impressions, m.clicks, m.engagement_rate)
        more = (m.reach, m.saves, m.views, m.label, m.age_seconds)
        row = (m.post_id, m.site_id, m.account_id, m.platform, m.platform_post_id, *counts, m.fetched_at, *more)
        return [("latest", row), ("history", (m.post_id, m.fetched_at, *counts, m.raw, *more, m.late))]


ENGAGEMENT = EngagementProjection(
    name="engagement",
    topics=(t.ENGAGEMENT,),
    tables=("engagement", "engagement_history", "follower_counts"),
    sql={
        "latest": "INSERT INTO {engagement} (post_id, site_id, account_id, platform, platform_post_id, likes, comments, shares,"
        " impressions, clicks, engagement_rate, fetched_at, reach, saves, views, label, age_seconds)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
        " ON CONFLICT (post_id) DO UPDATE SET likes = EXCLUDED.likes, comments = EXCLUDED.comments, shares = EXCLUDED.shares,"
        " impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks, engagement_rate = EXCLUDED.engagement_rate,"
        " fetched_at = EXCLUDED.fetched_at, reach = EXCLUDED.reach, saves = EXCLUDED.saves, views = EXCLUDED.views,"
        " label = EXCLUDED.label, age_seconds = EXCLUDED.age_seconds WHERE {engagement}.fetched_at <= EXCLUDED.fetched_at",
        "history": "INSERT INTO {engagement_history} (post_id, fetched_at, likes, comments, shares, impressions, clicks,"
        " engagement_rate, raw, reach, saves, views, label, age_seconds, late) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
        " ON CONFLICT DO NOTHING",
        "followers": "INSERT INTO {follower_counts} (account_id, counted_at, site_id, platform, followers) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT DO NOTHING",
    },
)


class VideoProjectsProjection(Projection):
    """One row per project (its current script revision and how far that revision got) and one per
    render. The lifecycle is decided once, by the projects' single writer (``streams.direct``), whose
    events apply as they come; a render's result is the render workers', and names its revision: it
    moves the project only while that is still the project's revision, so a late render of an edited
    script lands in ``video_renders`` alone. ``version`` counts as the writer counts
    (``commands.video.counted``): every lifecycle event once, by its id; an event seen before is not
    applied again."""

    def statements(self, d: Decoded) -> list[Statement]:
        out = self._applied(d)
        m = d.message
        if isinstance(m, e.Event) and isinstance(getattr(m, "project_id", None), str) and video.counted(m):
            out.append(("counted", (m.project_id, d.envelope.id)))  # last: the statements above skip an event already counted
        return out

    def _applied(self, d: Decoded) -> list[Statement]:
        m, at, eid = d.message, d.envelope.time, d.envelope.id
        match m:
            case e.VideoProjectCreated():
                row = (m.project_id, m.site_id, m.content_id, m.title, m.preset, m.voice_id, m.form, at, eid, m.review, m.motion, m.url)
                return [("created", (*row, m.summary, m.keywords, m.music_url))]
            case e.VideoScriptDrafted() | e.VideoScriptEdited():
                return [("script", (m.project_id, m.revision, m.script.model_dump(mode="json"), at, eid))]
            case e.VideoScriptApproved():
                return [("approved", (m.project_id, m.revision, at, eid))]
            case e.VideoRenderRequested():
                return [("requested", (m.project_id, m.until, at, eid))]
            case e.VideoStageProgressed():
                return [("progress", (m.project_id, m.revision, m.stage, m.done, m.seconds, at, eid))]
            case e.VideoVoiced():
                return [("voiced", (m.project_id, m.revision, m.audio_url, m.durations, at, eid))]
            case e.VideoVisualsPrepared():
                return [("visuals", (m.project_id, m.revision, m.pictures, at, eid))]
            case e.VideoRendered():
                media = (m.video_url, m.srt_url, m.vtt_url, m.thumbnail_url, m.seconds)
                row = (m.project_id, m.revision, *media, m.sections, m.chapters, m.problems, m.audio_url, m.pictures, m.durations)
                return [
                    ("render", (m.project_id, m.revision, m.preset, *media, m.problems, m.timings, m.made, at)),
                    ("rendered", (*row, m.timings, m.made, m.seo, at, eid, m.contact_sheet_url or None, m.layouts)),
                ]
            case e.VideoProjectFailed():
                return [("failed", (m.project_id, m.stage, m.reason, m.revision, at, eid))]
            case e.VideoProjectCancelled():
                return [("cancelled", (m.project_id, at, eid))]
        return []


_NEW = "NOT ({eid} = ANY(applied))"  # an event not applied before (a repeat on the log is skipped)
VIDEO_PROJECTS = VideoProjectsProjection(
    name="video_projects",
    topics=(t.VIDEO_PROJECTS,),
    tables=("video_projects", "video_renders"),
    sql={
        "created": "INSERT INTO {video_projects} (project_id, site_id, content_id, title, preset, voice_id, form, status, created_at,"
        " updated_at, last_event_id, review, motion, url, summary, keywords, music_url, version, applied)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,'created',$8,$8,$9,$10,$11,$12,$13,$14,$15,1,ARRAY[$9::text]) ON CONFLICT (project_id) DO NOTHING",
        # The writer's own events: it emits each only where the lifecycle allows it, in the order it decided.
        "script": "UPDATE {video_projects} SET revision = $2, script = $3, status = 'script_review', stage = NULL, error = NULL,"
        " sections = jsonb_array_length($3::jsonb -> 'sections'), updated_at = $4, last_event_id = $5"
        f" WHERE project_id = $1 AND {_NEW.format(eid='$5')}",
        "approved": "UPDATE {video_projects} SET approved_revision = $2, status = 'approved', updated_at = $3, last_event_id = $4"
        f" WHERE project_id = $1 AND {_NEW.format(eid='$4')}",
        "requested": "UPDATE {video_projects} SET status = 'rendering', until = $2, stage = NULL, error = NULL, progress = '{{}}',"
        f" timings = '{{{{}}}}', updated_at = $3, last_event_id = $4 WHERE project_id = $1 AND {_NEW.format(eid='$4')}",
        "cancelled": "UPDATE {video_projects} SET status = 'cancelled', updated_at = $2, last_event_id = $3"
        f" WHERE project_id = $1 AND {_NEW.format(eid='$3')}",
        # The render workers' results: of the project's revision, while it renders (a late one moves nothing).
        "progress": "UPDATE {video_projects} SET stage = $3, progress = progress || jsonb_build_object($3::text, $4::float8),"
        " timings = timings || jsonb_build_object($3::text, $5::float8), updated_at = $6, last_event_id = $7"
        " WHERE project_id = $1 AND revision = $2 AND status = 'rendering'",
        "voiced": "UPDATE {video_projects} SET status = 'voiced', stage = NULL, progress = progress || '{{\"voice\": 1}}', audio_url = $3, durations = $4, updated_at = $5,"
        f" last_event_id = $6 WHERE project_id = $1 AND revision = $2 AND status = 'rendering' AND {_NEW.format(eid='$6')}",
        "visuals": "UPDATE {video_projects} SET status = 'visuals_ready', stage = NULL, progress = progress || '{{\"voice\": 1, \"visuals\": 1}}', pictures = $3, updated_at = $4,"
        f" last_event_id = $5 WHERE project_id = $1 AND revision = $2 AND status = 'rendering' AND {_NEW.format(eid='$5')}",
        "render": "INSERT INTO {video_renders} (project_id, revision, preset, video_url, srt_url, vtt_url, thumbnail_url, seconds,"
        " problems, timings, made, rendered_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING",
        "rendered": "UPDATE {video_projects} SET status = 'ready', stage = NULL, error = NULL,"
        ' progress = \'{{"voice": 1, "visuals": 1, "render": 1, "join": 1}}\', video_url = $3, srt_url = $4,'
        " vtt_url = $5, thumbnail_url = $6, seconds = $7, sections = $8, chapters = $9, problems = $10, audio_url = $11,"
        " pictures = $12, durations = $13, timings = $14, made = $15, seo = $16, updated_at = $17, last_event_id = $18,"
        " contact_sheet_url = $19, layouts = $20"
        f" WHERE project_id = $1 AND revision = $2 AND status <> 'cancelled' AND {_NEW.format(eid='$18')}",
        "failed": "UPDATE {video_projects} SET status = 'failed', stage = $2, error = $3, updated_at = $5, last_event_id = $6"
        f" WHERE project_id = $1 AND (revision = $4 OR $4 = 0) AND status NOT IN ('ready', 'cancelled') AND {_NEW.format(eid='$6')}",
        "counted": "UPDATE {video_projects} SET version = version + 1, applied = (applied || $2::text)[greatest(1, cardinality(applied) - 62):]"
        " WHERE project_id = $1 AND NOT ($2 = ANY(applied))",
    },
)


class AccountHistoryProjection(Projection):
    ACCOUNT_EVENTS = (e.AccountConnected, e.AccountTokensRefreshed, e.AccountNeedsReauth, e.AccountDisconnected, e.AccountSettingsUpdated)

    def statements(self, d: Decoded) -> list[Statement]:
        m = d.message
        if not isinstance(m, self.ACCOUNT_EVENTS):
            return []
        return [("event", (d.envelope.id, m.account_id, m.site_id, d.envelope.type, d.envelope.time, m.model_dump(mode="json")))]


ACCOUNT_HISTORY = AccountHistoryProjection(
    name="account_history",
    topics=(t.ACCOUNTS,),
    tables=("account_history",),
    sql={
        "event": "INSERT INTO {account_history} (event_id, account_id, site_id, type, at, data) VALUES ($1,$2,$3,$4,$5,$6)"
        " ON CONFLICT (event_id) DO NOTHING"
    },
)


class NotificationsProjection(Projection):
    """The feed: one row per notification, from ``social.notifications`` alone (the notifier decided
    once; a repeat of its event changes nothing). Read marks are a person's, kept apart
    (``notification_reads``), so a rebuild of this table keeps them."""

    def statements(self, d: Decoded) -> list[Statement]:
        m = d.message
        match m:
            case e.NotificationRaised():
                return [("raised", (m.notification_id, m.site_id, m.kind, m.subject, m.title, m.detail, m.raised_at, d.envelope.id))]
            case e.NotificationResolved():
                return [("resolved", (m.notification_id, m.resolved_at, m.reason))]
        return []


NOTIFICATIONS = NotificationsProjection(
    name="notifications",
    topics=(t.NOTIFICATIONS,),
    tables=("notifications",),
    sql={
        "raised": "INSERT INTO {notifications} (notification_id, site_id, kind, subject, title, detail, raised_at, event_id)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (notification_id) DO NOTHING",
        "resolved": "UPDATE {notifications} SET resolved_at = $2, resolved_reason = $3 WHERE notification_id = $1 AND resolved_at IS NULL",
    },
)

ALL = {p.name: p for p in (CONTENT, POSTS, ENGAGEMENT, ACCOUNT_HISTORY, VIDEO_PROJECTS, NOTIFICATIONS, INBOX, AUTOMATIONS)}
ALL[AUTOMATION_LOG.name] = AUTOMATION_LOG  # issue 22: the automations' audit log and runs
ALL[USAGE.name] = USAGE  # issue 25: the usage ledger (credits granted and charged, reservations, cost per post and video)
ALL[QUEUES.name] = QUEUES  # issue 25: recurring and evergreen queues
