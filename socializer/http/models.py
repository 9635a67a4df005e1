"""Request and response bodies of the HTTP API (the events and commands themselves are :mod:`schemas`)."""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.accounts import AccountSettings
from schemas.events import NotificationKind, Platform, PostStatus, PostType, SlotWhy


class Position(BaseModel):
    event_id: str
    type: str
    topic: str
    partition: int
    offset: int


class SkippedPost(BaseModel):
    post_id: str = Field(description="the id the post would have had")
    account_id: str
    platform: str
    post_type: str
    reason: str


class CommandResult(BaseModel):
    """What became of one command of a bulk request."""

    post_id: str
    outcome: Literal["accepted", "refused", "pending"] = Field(
        description="accepted: decided, with its version; refused: the problem; pending: not decided within the deadline (look it up by command_id)"
    )
    command_id: str
    version: int | None = None
    events: list[Position] = Field(default_factory=list)
    problem: dict[str, Any] | None = Field(None, description="why it was refused (status, title, detail, code, field)")


class Accepted(BaseModel):
    events: list[Position]
    pending: bool | None = Field(
        None,
        description="true: sent, but its writer had not decided it within the deadline; GET the post (or retry with the same Idempotency-Key) later",
    )
    results: list[CommandResult] | None = Field(None, description="bulk commands: each post's outcome, in the order sent")
    post_id: str | None = Field(None, description="the post the command made or changed")
    version: int | None = Field(None, description="the post's version after the command (send it back as If-Match)")
    command_id: str | None = Field(None, description="the command's id; a retry with the same Idempotency-Key gets this answer")
    post_ids: list[str] | None = Field(
        None, description="generate: the ids of the posts it drafts (one per connected account and post type it has material for)"
    )
    skipped: list[SkippedPost] | None = Field(None, description="generate: each (account, post type) it does not draft, and why")


class GenerateRequest(BaseModel):
    content_id: str = Field(min_length=1)
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = None
    auto_schedule: bool | None = None


class BulkGenerateRequest(BaseModel):
    content_ids: list[str] = Field(min_length=1, max_length=500)
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = None
    auto_schedule: bool | None = None


class BulkScheduleRequest(BaseModel):
    post_ids: list[str] = Field(min_length=1, max_length=1000)
    auto_space: bool = True
    scheduled_at: datetime | None = None
    override: bool = Field(False, description="place them even where an account's cap or cooldown would refuse it (recorded)")


class ConnectRequest(BaseModel):
    account_type: str | None = Field(
        None, description="linkedin: personal|organization; facebook: page; instagram: business; youtube: channel; others: personal"
    )
    features: list[str] = Field(
        default_factory=lambda: ["publish", "analytics"],
        description="publish, analytics (both by default), inbox (comments and messages): the least scopes they need",
    )
    select: list[str] | None = Field(None, description="connect only these platform account ids (pages, organizations)")
    settings: AccountSettings | None = None
    user: str = Field("", max_length=200, description="who starts the connection (your user id), kept on the account")


class Connect(BaseModel):
    authorization_url: str
    state_expires_at: datetime
    scopes: list[str]
    redirect_uri: str


class ProblemDetail(BaseModel):
    """RFC 9457: every error this API answers, as ``application/problem+json``."""

    type: str = Field(description="a URI naming the kind of problem, e.g. https://socializer.dev/problems/version_conflict")
    title: str
    status: int
    detail: str
    field: str | None = Field(None, description="the request field the problem is about")
    errors: list[dict[str, str | None]] | None = Field(None, description="every invalid field, for a 422")
    conflict: dict[str, str | None] | None = Field(
        None,
        description="a schedule_conflict's post in the way (post_id, at), the reason (cap or cooldown), and next_free_slot (null: none within the horizon)",
    )


_WHAT = {
    400: "Bad request (a malformed header)",
    401: "No valid API key",
    403: "The key lacks the scope, or names another site",
    404: "No such resource for this site",
    409: "Conflicts with the resource's state (a stale version, a cap or cooldown, a transition not allowed)",
    422: "A field is invalid: `field` names it",
    500: "Failed on our side: quote the reference in `detail`",
}
PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": ProblemDetail, "description": what, "content": {"application/problem+json": {}}} for code, what in _WHAT.items()
}


class PostOut(BaseModel):
    """A post as the read model holds it."""

    post_id: str
    site_id: str
    content_id: str | None
    account_id: str
    platform: Platform
    post_type: PostType
    status: PostStatus
    text: str
    hashtags: list[str]
    link_url: str | None
    utm: dict[str, str]
    thread: list[str] | None
    media_urls: list[str]
    writer: str
    writer_note: str | None
    first_comment: str | None
    media_plan: dict[str, Any] | None
    virality: int | None
    virality_parts: dict[str, float] | None
    virality_reasons: list[str] | None
    scheduled_at: datetime | None
    published_at: datetime | None
    platform_post_id: str | None
    platform_post_url: str | None
    warnings: list[str] = Field(
        default_factory=list, description="optional finishing steps that failed (thumbnail, captions, first comment): the post is live"
    )
    error: str | None
    review: Literal["approved", "rejected"] | None = Field(None, description="a person's review of the draft, if any")
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    slot_why: SlotWhy | None = Field(None, description="why the scheduler chose its time (learned or pinned), if it chose it")
    credits_used: str = Field("0", description="the credits its writing and image cost (a decimal string; GET /api/v1/usage/)")
    model: str = Field("", description="the model that wrote it (the LLM's name, or rules)")


class PostDetail(PostOut):
    version: int | None = Field(None, description="the post's version: send it as If-Match on a command (also the ETag)")


class PostPage(BaseModel):
    count: int = Field(description="posts on this page")
    total: int = Field(description="posts that match, in all")
    next: str | None = Field(description="the next page's URL, or null on the last")
    results: list[PostOut]


# ---------- accounts
class AccountOut(BaseModel):
    """A connected account as the API shows it: never a token."""

    account_id: str
    platform: str
    platform_account_id: str
    handle: str
    site_id: str
    account_type: str
    settings: AccountSettings
    status: Literal["active", "needs_reauth", "disconnected"]
    status_reason: str | None = None
    scopes: list[str]
    token_expires_at: datetime | None = None


class AccountList(BaseModel):
    count: int
    results: list[AccountOut]


class Requeue(BaseModel):
    account_id: str
    post_ids: list[str] = Field(description="its posts that failed because the account could not be used")
    url: str = Field(description="POST here to send them again, each into the account's next free slot")


class Connected(BaseModel):
    count: int
    results: list[AccountOut]
    requeue: list[Requeue] = Field(default_factory=list, description="what reconnecting offers to send again")


class Refusal(BaseModel):
    post_id: str
    detail: str


class Requeued(BaseModel):
    account_id: str
    post_ids: list[str] = Field(description="queued again: each gets the account's next free slot, a new attempt")
    refused: list[Refusal] = Field(default_factory=list)


class Disconnected(BaseModel):
    account_id: str
    status: Literal["disconnected"]
    revoked: bool = Field(description="whether the platform confirmed the grant's revocation")
    note: str


class AccountEvent(BaseModel):
    type: str
    at: datetime
    data: dict[str, Any]


class AccountHistory(BaseModel):
    count: int
    results: list[AccountEvent]


# ---------- calendar and analytics
class CalendarPost(BaseModel):
    post_id: str
    account_id: str
    platform: Platform
    post_type: PostType
    status: PostStatus
    preview: str
    at: datetime = Field(description="when it is scheduled, or was published")
    version: int | None = Field(None, description="the post's version, for If-Match on a reschedule")


class CalendarDay(BaseModel):
    date: date_
    posts: list[CalendarPost]


class Calendar(BaseModel):
    site_id: str
    timezone: str
    start: date_
    end: date_ = Field(description="the day after the last one shown")
    days: list[CalendarDay]


class PlatformTotals(BaseModel):
    platform: Platform
    posts: int
    published: int
    likes: int
    comments: int
    shares: int
    impressions: int
    clicks: int
    avg_engagement_rate: float


class Engagement(BaseModel):
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    impressions: int | None = None
    clicks: int | None = None
    reach: int | None = None
    saves: int | None = None
    views: int | None = None
    engagement_rate: float | None = Field(None, description="(likes + comments + shares) / impressions")


class TopPost(Engagement):
    post_id: str
    platform: Platform
    post_type: PostType
    preview: str
    platform_post_url: str | None = None


class BestHour(BaseModel):
    platform: Platform
    hour: int = Field(ge=0, le=23, description="in the site's time zone")
    posts: int
    avg_engagement_rate: float | None = None


class Analytics(BaseModel):
    site_id: str
    platforms: list[PlatformTotals]
    top_posts: list[TopPost]
    best_hours: list[BestHour]


class PostEngagement(Engagement):
    post_id: str
    platform: Platform
    post_type: PostType
    status: PostStatus
    published_at: datetime | None = None
    platform_post_url: str | None = None
    preview: str


class PostEngagementPage(BaseModel):
    count: int
    total: int
    next: str | None
    results: list[PostEngagement]


class EngagementPoint(Engagement):
    fetched_at: datetime
    label: str = Field("", description='the ladder age it was read for ("1h", "24h", "7d", "6h#5"); empty before the ladders')
    age_seconds: float | None = Field(None, description="how old the post was when read")
    late: bool = Field(False, description="read well after that age (after an outage): not that age's value")


class DecayPoint(BaseModel):
    label: str
    age_seconds: float = Field(description="the ladder age, unscaled")
    posts: int = Field(description="posts with an on-time reading at this age")
    of_24h: float | None = Field(None, description="median share of the post's 24 h engagement reached at this age")
    of_final: float | None = Field(None, description="median share of its last reading (the ladder's end) reached at this age")


class Decay(BaseModel):
    account_id: str
    platform: str
    videos: bool
    posts: int
    points: list[DecayPoint]


class BestTime(BaseModel):
    posts: int
    avg_engagement: float = Field(description="mean likes + comments + shares of the 24 h snapshots")
    avg_impressions: float
    avg_engagement_rate: float


class BestHourOfAccount(BestTime):
    hour: int = Field(ge=0, le=23, description="local hour of publishing")


class BestSlot(BestHourOfAccount):
    weekday: int = Field(ge=0, le=6, description="0 = Monday, local")


class BestTimes(BaseModel):
    account_id: str
    platform: str
    timezone: str
    snapshot: str = Field("24h", description="the snapshot each post is counted by")
    posts: int
    hours: list[BestHourOfAccount] = Field(description="best first")
    slots: list[BestSlot] = Field(description="weekday × hour, best first")


class PostAnalytics(Engagement):
    post_id: str
    site_id: str
    account_id: str
    platform: Platform
    platform_post_id: str | None = None
    fetched_at: datetime
    history: list[EngagementPoint]


# ---------- best-time slots
class SlotCell(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    hour: int = Field(ge=0, le=23, description="local hour, in the account's time zone")
    lift: float = Field(description="expected engagement against the platform's default slots, as a ratio minus 1 (0.12 = +12 %)")
    low: float = Field(description="the 80 % interval's low end")
    high: float = Field(description="the 80 % interval's high end")


class SlotTable(BaseModel):
    """What the scheduler knows of an account's hours (the seed's SocialCalendarSlot, learned)."""

    account_id: str
    platform: Platform
    timezone: str
    method: Literal["learned", "pinned", "interval", "default"] = Field(
        description="how its next slots are chosen: learned, a person's pinned times, a fixed interval, or the platform's defaults"
    )
    evidence: int = Field(description="the account's posts with a 24 h result the learner has")
    half_life_days: float = Field(description="how fast old results are forgotten")
    best_times: list[str] = Field(description="times a person set for every day (they win over learned slots)")
    pinned: dict[int, list[str]] = Field(description="times a person pinned per weekday (0 = Monday); they win on that weekday")
    best: list[SlotCell] = Field(description="the five best hours, best first")
    cells: list[SlotCell] = Field(description="every weekday × posting hour (06–23 local)")


class SlotPins(BaseModel):
    """Pins per weekday: a weekday sent with times pins them, with [] clears its pins; one not sent is not changed."""

    model_config = ConfigDict(extra="forbid")

    account_id: str
    weekdays: dict[int, list[str]] = Field(description='e.g. {"0": ["19:00"], "5": []}: Monday at 19:00, Saturday unpinned')


# ---------- notifications
class NotificationOut(BaseModel):
    notification_id: str
    site_id: str
    kind: NotificationKind
    subject: str = Field(description="what it is about: a post id, an account id, a webhook endpoint id or a video project id")
    title: str
    detail: str
    raised_at: datetime
    resolved_at: datetime | None = Field(description="when it cleared; null while open")
    resolved_reason: str | None
    open: bool
    read: bool
    read_at: datetime | None


class NotificationPage(BaseModel):
    count: int = Field(description="notifications on this page")
    total: int = Field(description="notifications that match, in all")
    next: str | None = Field(description="the next page's URL, or null on the last")
    results: list[NotificationOut]


class ReadAll(BaseModel):
    marked: int = Field(description="notifications newly marked read")


# ---------- analytics over time (issue 25)
class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date_ = Field(alias="from", description="first local day, included")
    to: date_ = Field(description="last local day, included")
    days: int
    timezone: str = Field(description="the site's time zone the days are in")


class Change(BaseModel):
    current: float
    previous: float
    change: float = Field(description="current - previous")
    percent: float | None = Field(description="the change in percent of the previous; null when the previous is 0")


class RangeTotals(BaseModel):
    posts: int = Field(description="posts that went out (or, not yet, were planned or drafted) in the range")
    published: int
    likes: int
    comments: int
    shares: int
    impressions: int
    clicks: int
    reach: int
    saves: int
    views: int
    engagement: int = Field(description="likes + comments + shares")
    engagement_rate: float = Field(description="engagement / impressions over the range")


class Compared(BaseModel):
    period: PeriodOut
    previous_period: PeriodOut = Field(description="the days of equal number just before")
    totals: RangeTotals
    previous: RangeTotals
    change: dict[str, Change] = Field(description="per metric of totals")


class PlatformInRange(RangeTotals):
    platform: Platform
    avg_engagement_rate: float
    change: dict[str, Change]


class TopPostInRange(TopPost):
    content_id: str | None = None
    published_at: datetime | None = None


class ArticleInRange(RangeTotals):
    content_id: str
    title: str | None = None


class AnalyticsOverTime(Compared):
    site_id: str
    platforms: list[PlatformInRange]
    top_posts: list[TopPostInRange]
    best_hours: list[BestHour]
    articles: list[ArticleInRange] = Field(description="the articles whose posts went out in the range, best first")


class DayTotals(RangeTotals):
    day: date_ = Field(description="local day of publishing")


class FollowerPoint(BaseModel):
    day: date_
    followers: int


class FollowerSeries(BaseModel):
    account_id: str
    platform: str
    latest: int
    change: int = Field(description="the last count of the range minus its first")
    points: list[FollowerPoint] = Field(description="each local day's last count, oldest first")


class AccountInRange(RangeTotals):
    account_id: str


class PlatformAnalyticsOut(Compared):
    site_id: str
    platform: Platform
    accounts: list[AccountInRange]
    daily: list[DayTotals] = Field(description="every day of the range, oldest first")
    top_posts: list[TopPostInRange]
    followers: list[FollowerSeries] = Field(description="per account, where the platform reports its followers")


class ArticlePost(Engagement):
    post_id: str
    account_id: str
    platform: Platform
    post_type: PostType
    status: PostStatus
    published_at: datetime | None = None
    platform_post_url: str | None = None
    preview: str
    video_project_id: str | None = None
    fetched_at: datetime | None = None


class ArticleContent(BaseModel):
    content_id: str
    title: str
    url: str
    published_at: datetime | None = None


class ArticleAnalyticsOut(Compared):
    site_id: str
    content_id: str
    content: ArticleContent | None = Field(description="the article as upstream sent it (null if only its posts are known)")
    posts: list[ArticlePost] = Field(description="every post it became, whenever it went out, with its latest reading")
    videos: list[ArticlePost] = Field(description="its video posts (a project's video on each platform)")
