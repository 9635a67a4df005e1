"""Domain events: frozen, named in the past tense, evolved only by adding optional fields.

A breaking change gets a new ``.v2`` type registered beside v1 (see :mod:`schemas.registry`).
Consumers ignore unknown fields (``extra="ignore"``) so producers may add fields first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

Platform = Literal["linkedin", "x", "facebook", "instagram", "tiktok", "youtube"]
PLATFORMS: tuple[str, ...] = ("linkedin", "x", "facebook", "instagram", "tiktok", "youtube")
PostType = Literal["announcement", "highlights", "quote_card", "faq_snippet", "carousel", "thread", "video"]
PostStatus = Literal["draft", "scheduled", "publishing", "published", "failed", "cancelled"]


def iana_zone(name: str) -> str:
    """A time zone a site or account names must be one the scheduler can compute in."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err
    return name


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ContentPublished(Event):
    """The upstream contract: an article went live on a site."""

    content_id: str = Field(min_length=1, max_length=200)
    site_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=1000)
    url: AnyHttpUrl
    html: str = Field(min_length=1)
    excerpt: str = ""
    keywords: list[str] = Field(default_factory=list, max_length=100)
    image_urls: list[AnyHttpUrl] = Field(default_factory=list, max_length=50)
    language: str = Field("en", min_length=2, max_length=35)
    published_at: datetime

    @field_validator("published_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("published_at needs a time zone offset (RFC 3339)")
        return v

    @field_validator("content_id", "site_id", "language")
    @classmethod
    def _no_nul_in_ids(cls, v: str) -> str:
        if "\x00" in v:
            raise ValueError("contains a NUL character, which no key or database text can hold")
        return v

    @field_validator("title", "html", "excerpt", mode="before")
    @classmethod
    def _strip_nul(cls, v: Any) -> Any:
        """A stray NUL in the text is dropped (a database cannot store it), not a reason to refuse."""
        return v.replace("\x00", "") if isinstance(v, str) else v

    @field_validator("keywords", mode="before")
    @classmethod
    def _strip_nul_keywords(cls, v: Any) -> Any:
        return [k.replace("\x00", "") if isinstance(k, str) else k for k in v] if isinstance(v, list) else v


class VideoAttachment(BaseModel):
    """The rendered video a ``video`` post carries to YouTube, Instagram Reels or TikTok."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    project_id: str
    revision: int
    preset: str
    video_url: str
    thumbnail_url: str | None = None
    captions_url: str | None = None
    title: str = Field(max_length=100)
    tags: list[str] = Field(default_factory=list)
    language: str = "en"
    seconds: float = 0
    made_for_kids: bool = False
    privacy: Literal["public", "unlisted", "private"] = "public"


class PostDrafted(Event):
    post_id: str
    site_id: str
    account_id: str
    platform: Platform
    post_type: PostType
    text: str
    content_id: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    link_url: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    thread: list[str] | None = None
    media_urls: list[str] = Field(default_factory=list)
    auto_schedule: bool = False
    writer: str = "rules"
    writer_note: str | None = None  # why the fallback writer wrote this post, if it did
    first_comment: str | None = None  # Instagram: hashtags posted as the first comment
    media_plan: dict[str, Any] | None = None  # what image to make: resize, quote_card, carousel
    virality: int | None = Field(None, ge=1, le=10)
    virality_parts: dict[str, float] = Field(default_factory=dict)
    virality_reasons: list[str] = Field(default_factory=list)
    video: VideoAttachment | None = None


class PostSkipped(Event):
    """A (platform, post type) an article was asked for and does not become, with the reason: no
    material (no FAQ, no points, no image), or a draft that broke the platform's rules."""

    post_id: str  # the id the post would have had
    site_id: str
    content_id: str
    account_id: str
    platform: Platform
    post_type: PostType
    reason: str


class PostQueued(Event):
    """The post asks the scheduler for the next free best-time slot of its account."""

    post_id: str
    account_id: str


SlotKind = Literal["best_time", "interval", "manual", "now", "learned", "pinned"]


class SlotWhy(BaseModel):
    """Why the scheduler chose this time: the slot's expected lift over the platform's default slots
    (ratio - 1, with its 80 % interval), the best other free slot's, and whether it explored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    method: Literal["learned", "pinned", "default"]
    lift: float
    low: float
    high: float
    alternative_at: datetime | None = None
    alternative_lift: float | None = None
    alternative_low: float | None = None
    alternative_high: float | None = None
    explored: bool = False
    evidence: int = Field(0, description="the account's posts the learner has results of")
    half_life_days: float | None = None


class PostScheduled(Event):
    post_id: str
    account_id: str
    platform: Platform
    scheduled_at: datetime
    slot: SlotKind = "manual"
    override: bool = False  # a person placed it despite the account's cap or cooldown
    why: SlotWhy | None = None  # a slot the scheduler chose (learned or pinned): why this time


class PostRescheduled(Event):
    post_id: str
    scheduled_at: datetime
    previous_at: datetime | None = None
    slot: SlotKind = "manual"
    override: bool = False


class PostEdited(Event):
    post_id: str
    text: str | None = None
    hashtags: list[str] | None = None
    link_url: str | None = None
    media_urls: list[str] | None = None
    thread: list[str] | None = None
    # The edited post scored again (None: an event from before edits were scored).
    virality: int | None = Field(None, ge=1, le=10)
    virality_parts: dict[str, float] | None = None
    virality_reasons: list[str] | None = None


class PostCancelled(Event):
    post_id: str
    reason: str = ""


class PostApproved(Event):
    """A person reviewed the draft and let it go out (queued for a slot, or at the time they chose)."""

    post_id: str
    by: str = ""


class PostRejected(Event):
    """A person reviewed the draft and turned it down: it ends like a cancelled post, the review kept."""

    post_id: str
    by: str = ""
    reason: str = ""


class ContentSkipped(Event):
    """An article that became no posts, and why (its site has social posting off)."""

    content_id: str
    site_id: str
    reason: str


class PostPublishing(Event):
    """An attempt was recorded durably and the platform is about to be called."""

    post_id: str
    account_id: str
    attempt_id: str


class PostPublished(Event):
    post_id: str
    account_id: str
    platform: Platform
    platform_post_id: str
    platform_post_url: str = ""
    published_at: datetime
    reconciled: bool = False
    # Optional finishing steps that failed (a thumbnail, captions, a first comment): the post is live.
    warnings: list[str] = Field(default_factory=list)


class PostPublishFailed(Event):
    post_id: str
    account_id: str
    reason: str
    code: str = ""
    retryable: bool = False


class EngagementRecorded(Event):
    """One reading of a post's engagement. ``label`` names the fixed age of its ladder it was read
    for ("1h", "24h", "7d", "6h#5"; empty in events from before the ladders), ``age_seconds`` how old
    the post was when read, ``late`` whether it came well after that age (after an outage): its
    value is then not that age's. ``engagement_rate`` = (likes + comments + shares) / impressions."""

    post_id: str
    site_id: str
    account_id: str
    platform: Platform
    platform_post_id: str
    likes: int = 0
    comments: int = 0
    shares: int = 0
    impressions: int = 0
    clicks: int = 0
    reach: int = 0
    saves: int = 0
    views: int = 0
    engagement_rate: float = 0.0
    fetched_at: datetime
    label: str = ""
    age_seconds: float | None = None
    late: bool = False
    raw: dict[str, Any] = Field(default_factory=dict)


class FollowersCounted(Event):
    """How many followed a connected account when read (where the platform reports it: X, a LinkedIn
    organization, a Facebook page, an Instagram professional account, TikTok). On ``social.engagement``,
    keyed by the account id; analytics read a local day's last count."""

    site_id: str
    account_id: str
    platform: str
    followers: int = Field(ge=0)
    counted_at: datetime


# ---------- accounts: never a token here, only the account id and what is safe to show
AccountStatus = Literal["active", "needs_reauth", "disconnected"]


def _hhmm(t: str) -> None:
    h, _, m = t.partition(":")
    if not (h.isdigit() and m.isdigit() and 0 <= int(h) < 24 and 0 <= int(m) < 60 and len(m) == 2):
        raise ValueError(f"{t!r} is not HH:MM")


class AccountSettings(BaseModel):
    """What the scheduler reads per account (the seeds' ``settings`` JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_publish: bool = Field(False, description="publish drafts on their own; off = a person reviews them first (the seed's default)")
    max_per_day: int = Field(2, ge=1, le=1000)
    best_times: list[str] = Field(default_factory=list, max_length=24)
    cooldown_hours: float = Field(4.0, ge=0, le=168)
    timezone: str | None = Field(None, description="IANA zone; unset = the site's")
    interval_minutes: float | None = Field(None, ge=0.01, le=1440)
    weekday_times: dict[int, list[str]] = Field(
        default_factory=dict,
        description="times a person pinned per weekday (0 = Monday), HH:MM local; they win over learned slots on that weekday",
    )

    @field_validator("best_times")
    @classmethod
    def _hhmm(cls, v: list[str]) -> list[str]:
        for t in v:
            _hhmm(t)
        return v

    @field_validator("weekday_times")
    @classmethod
    def _pins(cls, v: dict[int, list[str]]) -> dict[int, list[str]]:
        for day, times in v.items():
            if not 0 <= day <= 6:
                raise ValueError(f"weekday {day} is not 0 (Monday) to 6 (Sunday)")
            if len(times) > 24:
                raise ValueError(f"weekday {day}: at most 24 pinned times")
            for t in times:
                _hhmm(t)
        return {d: sorted(set(t)) for d, t in sorted(v.items()) if t}

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return None if v is None else iana_zone(v)


class AccountConnected(Event):
    account_id: str
    site_id: str
    platform: str
    platform_account_id: str
    handle: str
    account_type: str
    scopes: list[str]
    settings: AccountSettings
    connected_by: str
    token_expires_at: datetime | None = None
    reconnected: bool = False


class AccountTokensRefreshed(Event):
    account_id: str
    site_id: str
    platform: str
    token_expires_at: datetime | None
    refresh_rotated: bool


class AccountNeedsReauth(Event):
    account_id: str
    site_id: str
    platform: str
    reason: str


class AccountDisconnected(Event):
    account_id: str
    site_id: str
    platform: str
    revoked: bool
    note: str = ""


class AccountSettingsUpdated(Event):
    account_id: str
    site_id: str
    settings: AccountSettings


VideoPreset = Literal["youtube_long", "youtube_short", "instagram_reel", "tiktok"]


class SiteSettings(BaseModel):
    """What a site decides about its social posting (the seed's ``AutomationConfig`` settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field("", max_length=200)
    social_enabled: bool = Field(True, description="the master toggle: off = its articles are recorded and skipped")
    auto_social_publish: bool = Field(
        False,
        description="drafts queue for their account's next best-time slot on their own; off = a person approves each (the seed's default)",
    )
    platforms: list[Platform] | None = Field(None, description="the platforms its articles become posts for; null = every connected one")
    post_types: list[PostType] = Field(default_factory=lambda: list[PostType](["announcement"]), min_length=1)
    timezone: str = Field("UTC", description="IANA zone of its best times and calendar")
    utm_campaign: str | None = Field(
        None,
        max_length=100,
        description="utm_campaign on its links, a template of {site}, {content}, {platform}, {type}; null = the deployment's",
    )
    niche_hashtags: list[str] = Field(
        default_factory=list, max_length=30, description="the site's own topic tags: where an article yields too few, these fill in first"
    )
    video_enabled: bool = Field(False, description="its articles also become narrated videos (the Video Creator)")
    video_review: bool = Field(True, description="a video's script waits for a person's approval; false = straight through to the video")
    video_preset: VideoPreset = Field("youtube_short", description="the format its articles' videos are made in")
    video_music_url: AnyHttpUrl | None = Field(None, description="a track (WAV, MP3, …) looped under the voice, ducked while it speaks")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return iana_zone(v)

    @field_validator("utm_campaign")
    @classmethod
    def _campaign(cls, v: str | None) -> str | None:
        """A template may name {site}, {content} (the article), {platform} and {type} (the post type)."""
        if v is not None:
            try:
                v.format(site="s", content="c", platform="p", type="t")
            except (KeyError, IndexError, ValueError) as err:
                raise ValueError(f"a template names only {{site}}, {{content}}, {{platform}}, {{type}}: {err}") from err
        return v


class SiteSettingsUpdated(Event):
    site_id: str
    settings: SiteSettings
    changed: list[str] = Field(default_factory=list, description="the fields the command sent")
    by: str = ""


VideoStage = Literal["script", "voice", "visuals", "render", "join"]
Motion = Literal["none", "pan", "zoom", "mixed"]
# A scene's layout on screen (domain.video.scenes picks one per section from its content).
SceneLayout = Literal["title", "key_sentence", "bullets", "statistic", "quote", "comparison", "steps", "code", "image", "cta"]


class VideoSection(BaseModel):
    """One section of a narrated script: what is said (and shown as captions), over which picture."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    section_id: str = Field(min_length=1, max_length=100)
    kind: Literal["hook", "intro", "point", "code", "cta"]
    heading: str = Field("", max_length=500)
    text: str = Field(min_length=1, max_length=5000)
    code: str | None = Field(None, max_length=20_000)
    images: list[str] = Field(default_factory=list, max_length=20)
    layout: SceneLayout | None = Field(
        None, description="a person's choice of the scene's layout; None: the planner picks from the content"
    )


class VideoScript(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    form: Literal["short", "long"]
    language: str
    words_per_second: float = Field(gt=0)
    sections: list[VideoSection] = Field(min_length=1, max_length=200)
    writer: str = Field("rules", description="who wrote the narration: rules, llm, or a person (edited)")


class VideoProjectCreated(Event):
    project_id: str
    site_id: str
    content_id: str
    preset: VideoPreset
    voice_id: str
    form: Literal["short", "long"]
    title: str = ""
    review: bool = Field(False, description="true: the script waits for a person's approval before anything is voiced")
    motion: Motion = "mixed"
    url: str = ""
    summary: str = ""
    keywords: list[str] = Field(default_factory=list)
    music_url: str | None = None


class VideoScriptDrafted(Event):
    """A script written from the article (whole, or one section again: ``section_id``)."""

    project_id: str
    revision: int = Field(ge=1)
    script: VideoScript
    section_id: str | None = Field(None, description="regenerated: only this section changed")
    note: str = Field("", description="why the writer chose what it did (e.g. the LLM fell back to the rules, and why)")


class VideoScriptEdited(Event):
    """A person's words in place of some sections'; an edited script waits for approval again."""

    project_id: str
    revision: int = Field(ge=2)
    script: VideoScript
    changed: list[str] = Field(default_factory=list, description="the section ids that were replaced (their new ids)")
    by: str = ""


class VideoScriptApproved(Event):
    project_id: str
    revision: int = Field(ge=1)
    by: str = ""


class VideoRenderRequested(Event):
    """A render job was sent to the render workers: the approved script as far as ``until``."""

    project_id: str
    revision: int
    until: Literal["voice", "visuals", "video"]


class VideoStageProgressed(Event):
    """A render's progress, for an operator tailing video.projects and for the API."""

    project_id: str
    revision: int
    stage: VideoStage
    done: float = Field(ge=0, le=1)
    seconds: float = Field(0, description="time spent in the stage so far")


class VideoVoiced(Event):
    project_id: str
    revision: int
    audio_url: str
    seconds: float
    durations: list[float] = Field(default_factory=list, description="each section's measured length, replacing the estimate")


class VideoVisualsPrepared(Event):
    project_id: str
    revision: int
    pictures: list[str] = Field(default_factory=list, description="each section's still at the preset's size")


class VideoRendered(Event):
    """The finished video, its captions and thumbnail (URLs), and what the preset's probe said."""

    project_id: str
    preset: VideoPreset
    video_url: str
    srt_url: str
    vtt_url: str
    thumbnail_url: str
    seconds: float
    sections: int
    chapters: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    revision: int = 1
    site_id: str = ""
    content_id: str = ""
    title: str = ""
    language: str = "en"
    audio_url: str = ""
    pictures: list[str] = Field(default_factory=list)
    durations: list[float] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="seconds spent per stage")
    made: dict[str, int] = Field(default_factory=dict, description="artefacts made by this run (the rest were already stored)")
    seo: dict[str, Any] = Field(default_factory=dict, description="title, description (with chapter timestamps) and tags")
    contact_sheet_url: str = Field("", description="one frame per scene with the platform's covered margins drawn over it")
    layouts: list[str] = Field(default_factory=list, description="each scene's layout, in order")


class VideoProjectFailed(Event):
    project_id: str
    stage: VideoStage
    reason: str
    revision: int = 0


class VideoProjectCancelled(Event):
    project_id: str
    by: str = ""


# ------------------------------------------------------------------ alerts and notifications
NotificationKind = Literal["post_overdue", "account_needs_reauth", "account_failing", "webhook_disabled", "video_failed"]


class PostOverdue(Event):
    """The watchdog's finding: a post due at ``due_at`` was neither published nor failed within the
    grace after it (``state``: what its slot said when found). An alert, not a step of the post's
    lifecycle: its writer still decides what becomes of the post."""

    post_id: str
    site_id: str
    account_id: str
    platform: str
    due_at: datetime
    detected_at: datetime
    state: str = ""


class WebhookEndpointDisabled(Event):
    """An outbound webhook endpoint stopped receiving: a 410, or failing deliveries for days."""

    endpoint_id: str
    site_id: str
    url: str
    reason: str
    disabled_at: datetime


class NotificationRaised(Event):
    """One incident for a site's people: raised once (not once per retry), resolved when it clears."""

    notification_id: str
    site_id: str
    kind: NotificationKind
    subject: str  # what it is about: a post id, an account id, an endpoint id, a project id
    title: str
    detail: str = ""
    raised_at: datetime


class NotificationResolved(Event):
    notification_id: str
    site_id: str
    kind: NotificationKind
    subject: str
    reason: str = ""
    resolved_at: datetime


# ------------------------------------------------------------------ the audience talks back
InboundPlatform = Literal["facebook", "instagram", "x", "tiktok", "linkedin"]


class InboundReceived(Event):
    """A platform's webhook delivery as received, verified on its raw bytes: the body as sent and the
    headers worth keeping (never a secret). Parsing happens downstream, from this record."""

    delivery_id: str  # ours: derived from the platform and the body's hash (a resend is the same delivery)
    platform: InboundPlatform
    body: str  # the raw body, decoded as UTF-8 (platforms send JSON)
    headers: dict[str, str] = Field(default_factory=dict)
    received_at: datetime


InboxKind = Literal["comment", "mention", "story_reply", "message"]


class CommentReceived(Event):
    """A comment, mention or story reply on one of an account's posts, named by the platform's ids."""

    platform: InboundPlatform
    account_id: str  # ours
    site_id: str
    comment_id: str  # the platform's
    platform_post_id: str = ""
    post_id: str = ""  # ours, when the post is one we published
    parent_id: str = ""  # the comment it answers, if any
    author_id: str
    author_name: str = ""
    text: str = ""
    kind: InboxKind = "comment"
    created_at: datetime
    echo: bool = False  # written by the account itself (our own reply coming back)


class MessageReceived(Event):
    """A direct message in a conversation with the account (``echo``: one the account sent)."""

    platform: InboundPlatform
    account_id: str
    site_id: str
    conversation_id: str
    message_id: str
    sender_id: str
    sender_name: str = ""
    text: str = ""
    created_at: datetime
    echo: bool = False
    kind: InboxKind = "message"  # "story_reply": an answer to one of the account's stories, sent as a message
    story_id: str = ""  # the story's media id, for a story reply


ReplyAction = Literal["reply", "private_reply", "message", "hide"]


class ReplyRequested(Event):
    """A reply (public, private, a DM) or a hide the inbox accepted: recorded before any call, with
    when it will go (``go_at``: now, or later when the account's send budget is spent)."""

    reply_id: str  # derived from the item and the request's Idempotency-Key
    site_id: str
    account_id: str
    platform: InboundPlatform
    item_id: str  # the inbox item it answers
    thread: str  # the item's thread (post or conversation): the topic key
    action: ReplyAction
    text: str = ""
    requested_at: datetime
    go_at: datetime


class ReplySent(Event):
    """The platform has it: ``platform_reply_id`` names the comment, tweet or message it became
    (``reconciled``: found by a lookup after an unknown outcome, not answered by the create call)."""

    reply_id: str
    account_id: str
    platform_reply_id: str = ""
    sent_at: datetime
    reconciled: bool = False


class ReplyFailed(Event):
    """The platform refused it (its reason and code), or it gave up after its tries: never sent."""

    reply_id: str
    account_id: str
    reason: str
    code: str = ""


# ---------------------------------------------------------------------------- automations
# An automation is an aggregate (``social.automations``, keyed by automation id) with one writer
# (``streams/define.py``); a run — one person going through one automation's flow — is another
# (``social.automation.runs``, keyed by run id), written by ``streams/automate.py``.


class AutomationCreated(Event):
    """A draft automation: ``definition`` as written (a :class:`schemas.automations.Definition`)."""

    automation_id: str
    site_id: str
    version: int = 1
    definition: dict[str, Any]
    created_by: str = ""


class AutomationEdited(Event):
    """A new version of the definition; an active automation stays active on the new version only
    if it passes the same checks as an activation (else the edit is refused)."""

    automation_id: str
    site_id: str
    version: int
    definition: dict[str, Any]


class AutomationActivated(Event):
    automation_id: str
    site_id: str
    version: int


class AutomationPaused(Event):
    automation_id: str
    site_id: str
    version: int


class AutomationDeleted(Event):
    automation_id: str
    site_id: str
    version: int


class AutomationRunStarted(Event):
    """A person's item matched an active automation's trigger: a run begins at its start node.
    ``run_id`` is derived from the automation and the person (once per user) or the item."""

    run_id: str
    automation_id: str
    version: int
    site_id: str
    account_id: str
    platform: InboundPlatform
    user_id: str
    user_name: str = ""
    trigger_event_id: str  # the comment's or message's event id (= the inbox item's id)
    kind: InboxKind
    keyword: str  # the keyword that matched
    text: str = ""
    thread: str  # the post or conversation it came in
    comment_id: str = ""
    conversation_id: str = ""
    post_id: str = ""
    started_at: datetime


class AutomationSendQueued(Event):
    """A node's message, private or public reply, recorded as a reply (``reply_id``) that goes out
    at most once at ``go_at`` (the account's budgets, the automation's jitter and daily cap)."""

    run_id: str
    automation_id: str
    node_id: str
    reply_id: str
    action: ReplyAction
    text: str
    go_at: datetime
    trigger_event_id: str = ""
    site_id: str = ""  # the automation's site (the audit log is read per site)


class AutomationSendSkipped(Event):
    """A send the rules forbid was not made: ``code`` names the rule (the inbox's refusals, and
    ``deduplicated``, ``daily_cap``), ``reason`` says it to a person."""

    run_id: str
    automation_id: str
    node_id: str
    action: str
    code: str
    reason: str
    at: datetime
    trigger_event_id: str = ""
    site_id: str = ""


class AutomationUserTagged(Event):
    run_id: str
    automation_id: str
    site_id: str
    account_id: str
    user_id: str
    tag: str
    removed: bool = False
    at: datetime


class AutomationRunWaiting(Event):
    """The run sleeps at ``node_id`` until ``until`` (a delay), or until the person answers
    (``for_answer``) and at the latest ``until``."""

    run_id: str
    automation_id: str
    node_id: str
    until: datetime
    for_answer: bool = False


class AutomationRunResumed(Event):
    """The wait ended: the person's answer (``answer``), or the time (``timed_out``)."""

    run_id: str
    automation_id: str
    node_id: str
    answer: str = ""
    timed_out: bool = False
    at: datetime


class AutomationWebhookCalled(Event):
    run_id: str
    automation_id: str
    node_id: str
    webhook_id: str
    status: int = 0  # 0: no answer
    ok: bool
    error: str = ""
    at: datetime


class AutomationRunEnded(Event):
    """``reason``: completed, paused, deleted, or why it could not go on."""

    run_id: str
    automation_id: str
    reason: str
    at: datetime


# ---------------------------------------------------------------------------- usage (credits)
# A site's credit account is an aggregate (``social.usage``, keyed by site id) with one writer (the
# charge agent). A charge is keyed by the id of the event that caused the work, so a redelivery is
# the same charge. Credits are decimal strings on the wire (a hashtag set costs 0.5).


class ChargeLine(Event):
    """One operation's part of a charge (see ``domain.usage``)."""

    operation: str
    quantity: Decimal
    credits: Decimal


class ChargedSubject(Event):
    """What a committed charge paid for: a post or a video project, its share, the model that worked."""

    subject_id: str
    kind: Literal["post", "video"]
    credits: Decimal
    model: str = ""


class CreditsGranted(Event):
    """Credits added to (or, negative, taken from) a site's account: the opening grant or an operator's."""

    site_id: str
    credits: Decimal
    reason: str = ""
    granted_by: str = ""


class CreditsReserved(Event):
    """Credits held for work about to start (the expensive call comes after this)."""

    site_id: str
    charge_id: str
    credits: Decimal
    lines: list[ChargeLine] = []


class CreditsCommitted(Event):
    """The work was done: ``credits`` taken (``reserved`` is what was held for it, now freed)."""

    site_id: str
    charge_id: str
    credits: Decimal
    reserved: Decimal = Decimal(0)
    lines: list[ChargeLine] = []
    model: str = ""
    subjects: list[ChargedSubject] = []


class CreditsReleased(Event):
    """The work failed or made nothing: what was held goes back."""

    site_id: str
    charge_id: str
    credits: Decimal
    reason: str = ""


class CreditsRefused(Event):
    """Not enough credits: the work was not started."""

    site_id: str
    charge_id: str
    credits: Decimal
    available: Decimal
    reason: str = ""


# ---------------------------------------------------------------------------- queues (issue 25)
# A queue is an aggregate (``social.queues``, keyed by queue id) with one writer (``streams/enqueue.py``):
# a recurrence rule for one account and what it posts at each occurrence (its items first-in first-out,
# a priority item first; or, evergreen, an article's best-performing posts).

QueueKind = Literal["fifo", "evergreen"]


class QueueCreated(Event):
    """A queue, active from ``starts_at``: ``rrule`` (RFC 5545, evaluated in ``tzid``) says when it posts."""

    queue_id: str
    site_id: str
    account_id: str
    platform: Platform
    name: str = ""
    kind: QueueKind = "fifo"
    rrule: str
    tzid: str
    starts_at: datetime
    content_id: str | None = None  # evergreen: the article whose best posts are re-posted
    min_gap_hours: float = 0.0  # evergreen: at least this long between two of the queue's posts
    created_by: str = ""


class QueueItemAdded(Event):
    queue_id: str
    site_id: str
    item_id: str
    text: str
    link_url: str | None = None
    priority: bool = False
    media_urls: list[str] = Field(default_factory=list)


class QueueItemPrioritised(Event):
    """An item's priority set (``priority``) or cleared: a priority item goes before the others."""

    queue_id: str
    site_id: str
    item_id: str
    priority: bool


class QueuePaused(Event):
    queue_id: str
    site_id: str


class QueueResumed(Event):
    """Active again; the occurrences missed while paused are not caught up (``since`` on)."""

    queue_id: str
    site_id: str
    since: datetime


class QueueOccurrenceFired(Event):
    """An occurrence became a post: ``post_id`` is derived from the queue and the occurrence, so the
    posts' writer creates it once however often this is delivered."""

    queue_id: str
    site_id: str
    account_id: str
    platform: Platform
    occurrence: datetime
    post_id: str
    text: str
    link_url: str | None = None
    item_id: str | None = None  # fifo: the item taken off the queue
    source_post_id: str | None = None  # evergreen: the post whose text is re-posted
    media_urls: list[str] = Field(default_factory=list)


class QueueOccurrenceRefused(Event):
    """The posts' writer refused the post an occurrence became (``code``, ``reason``, ``field``): it
    counts as not posted, and a fifo item comes back to the queue held with the reason (it is not
    posted again as it is, since it would be refused again; the person sees why and adds it anew)."""

    queue_id: str
    site_id: str
    occurrence: datetime
    post_id: str
    item_id: str | None = None
    text: str = ""
    link_url: str | None = None
    seq: int = 0  # the item's place in arrival order, kept
    priority: bool = False
    media_urls: list[str] = Field(default_factory=list)
    code: str = ""
    reason: str = ""
    field: str | None = None


class QueueOccurrenceSkipped(Event):
    """An occurrence that made no post (``reason``: ``empty``, ``gap``, ``no_candidate``)."""

    queue_id: str
    site_id: str
    occurrence: datetime
    reason: str
