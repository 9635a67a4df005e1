"""Commands: imperative requests that a decider accepts (emitting events) or refuses by name."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from schemas.automations import Definition
from schemas.events import (
    ChargedSubject,
    ChargeLine,
    ContentPublished,
    Motion,
    Platform,
    PostType,
    SceneLayout,
    VideoAttachment,
    VideoPreset,
    VideoScript,
)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GeneratePosts(Command):
    """Adapt one article into posts for the site's accounts (the adapt agent's input).

    Carries the article itself so the adapt agent needs no read model (no race with projections).
    """

    article: ContentPublished
    platforms: list[Platform] | None = None
    post_types: list[PostType] | None = None
    auto_schedule: bool | None = None


class CreatePost(Command):
    """A manual post written by a person for one account."""

    account_id: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=63206)
    site_id: str = Field(min_length=1)
    post_type: PostType = "announcement"
    hashtags: list[str] = Field(default_factory=list)
    link_url: str | None = None
    media_urls: list[str] = Field(default_factory=list)
    thread: list[str] | None = Field(None, description="X only: 2 to 10 posts, numbered for you; the link goes in the last")
    schedule: SchedulePost | None = Field(
        None, description="place it as it is created: at scheduled_at, or (no time) the account's next free best-time slot"
    )


class SchedulePost(Command):
    """Schedule at ``scheduled_at``; without it, at the account's next free best-time slot."""

    scheduled_at: datetime | None = None
    override: bool = Field(False, description="place it even where the account's cap or cooldown would refuse it (recorded)")

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("scheduled_at needs a time zone offset (RFC 3339)")
        return v


class ApprovePost(SchedulePost):
    """A person's review lets a draft go out: into its account's next best-time slot, or at ``scheduled_at``."""

    reviewer: str = Field("", max_length=200, description="who reviewed it, as the dashboard knows them (recorded with the API key)")


class PublishPostNow(Command):
    override: bool = Field(False, description="publish even where the account's cap or cooldown would refuse it (recorded)")


class CancelPost(Command):
    reason: str = ""


class RejectPost(Command):
    reason: str = Field("", max_length=500)
    reviewer: str = Field("", max_length=200, description="who reviewed it, as the dashboard knows them (recorded with the API key)")


class EditPost(Command):
    text: str | None = Field(None, min_length=1, max_length=63206)
    hashtags: list[str] | None = None
    link_url: str | None = None
    media_urls: list[str] | None = None
    thread: list[str] | None = Field(None, description="X threads: the new posts of the thread (2 to 10)")


class StartPublishing(Command):
    """From the publish agent, just before a post's platform call: the writer records the call as
    begun (``PostPublishing``), unless the post was cancelled first; from then on a cancel or an
    edit is refused."""

    account_id: str = Field(min_length=1)
    attempt_id: str = Field(min_length=1)


class DecidePost(Command):
    """A person's command on one post, for the post's single writer (the decide agent).

    Exactly one of ``create``, ``edit``, ``schedule``, ``publish_now``, ``cancel``, ``approve``, ``reject``, ``start``.
    ``command_id`` makes it idempotent (derived from an ``Idempotency-Key`` when the caller sends one);
    ``expected_version`` is the post's version the caller decided on: a version the writer has not
    folded yet is waited for (briefly), then anything but the post's version is refused.
    """

    command_id: str = Field(min_length=1)
    post_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    expected_version: int | None = None
    requested_by: str = ""
    platform: Platform | None = None  # with ``create``: the account's platform, checked by the API
    create: CreatePost | None = None
    edit: EditPost | None = None
    schedule: SchedulePost | None = None
    publish_now: PublishPostNow | None = None
    cancel: CancelPost | None = None
    approve: ApprovePost | None = None
    reject: RejectPost | None = None
    start: StartPublishing | None = None

    @property
    def action(self) -> Command:
        actions = (self.create, self.edit, self.schedule, self.publish_now, self.cancel, self.approve, self.reject, self.start)
        given = [c for c in actions if c is not None]
        if len(given) != 1:
            raise ValueError("exactly one of create, edit, schedule, publish_now, cancel, approve, reject, start")
        return given[0]


class PublishPost(Command):
    """Sent by the scheduler to the publish agent when a post is due: a snapshot of what to post."""

    post_id: str
    site_id: str
    account_id: str
    platform: Platform
    text: str
    link_url: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    media_urls: list[str] = Field(default_factory=list)
    thread: list[str] | None = None
    first_comment: str | None = None
    due_at: datetime
    video: VideoAttachment | None = None


class RenderVideo(Command):
    """For the render worker: make a project's approved script into audio, pictures or the video (``until``)."""

    project_id: str
    site_id: str
    preset: VideoPreset
    voice_id: str
    revision: int = Field(ge=1)
    script: VideoScript
    until: Literal["voice", "visuals", "video"] = "video"
    motion: Motion = "mixed"
    summary: str = ""
    keywords: list[str] = Field(default_factory=list)
    url: str = ""
    music_url: str | None = None
    content_id: str = ""


# ---------------------------------------------------------------- video projects (the API's bodies)
class CreateVideoProject(Command):
    content_id: str = Field(min_length=1, max_length=200)
    preset: VideoPreset = "youtube_short"
    voice_id: str | None = Field(None, description="a voice from /api/v1/video/voices/; default: one that speaks the article's language")
    review: bool = Field(False, description="true: stop at the script for a person's approval; false: straight through to the video")
    motion: Motion = "mixed"
    music_url: AnyHttpUrl | None = Field(None, description="a track looped under the voice, ducked while it speaks")


class SectionText(Command):
    section_id: str = Field(min_length=1, max_length=100)
    text: str | None = Field(None, min_length=1, max_length=5000, description="the section's new words (default: unchanged)")
    layout: SceneLayout | None = Field(
        None, description="the scene's layout, one its content allows (see the script's sections); default: unchanged"
    )


class EditVideoScript(Command):
    """New words for some sections; the rest stay as they are (and keep their rendered segments)."""

    revision: int = Field(ge=1, description="the script revision the edit was made on: a stale one is refused (409)")
    sections: list[SectionText] = Field(min_length=1, max_length=200)
    by: str = Field("", max_length=200)


class ApproveVideoScript(Command):
    revision: int | None = Field(None, ge=1, description="the revision a person read; default: the current one")
    render: bool = Field(True, description="start rendering the video at once")
    by: str = Field("", max_length=200)


# ---------------------------------------------------------------- video projects (their single writer's commands)
class StartVideoProject(Command):
    """A new project of an article (from the API or ``film``), with the script its narrator wrote
    (``script``; None: the rule writer's draft, made by the writer)."""

    article: ContentPublished
    preset: VideoPreset
    voice_id: str = ""
    words_per_second: float = Field(2.6, gt=0)
    review: bool = False
    motion: Motion = "mixed"
    music_url: str | None = None
    script: VideoScript | None = None
    note: str = ""
    failed: str | None = Field(None, description="why no voice speaks the article's language: the project is created failed at its voice")


class RedraftVideoScript(Command):
    """generate-script: the whole script again from the article (``script``: as a narrator rewrote it)."""

    article: ContentPublished
    script: VideoScript | None = None
    note: str = ""


class RegenerateVideoSection(Command):
    article: ContentPublished
    section_id: str = Field(min_length=1, max_length=100)


class ProduceVideo(Command):
    """generate-voiceover, generate-visuals, compose: the approved script as far as ``until``."""

    until: Literal["voice", "visuals", "video"]


class CancelVideoProject(Command):
    by: str = ""


class DecideVideo(Command):
    """A command on one video project, for the project's single writer (the direct agent).

    Exactly one of ``create``, ``edit``, ``approve``, ``redraft``, ``regenerate``, ``produce``, ``cancel``.
    ``command_id`` makes it idempotent; ``expected_version`` is the project's version the caller
    decided on (``If-Match``): anything else is refused; ``seen_version`` is the version the caller
    read: the writer waits (briefly) until it has folded that much before it decides.
    """

    command_id: str = Field(min_length=1)
    project_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    expected_version: int | None = None
    seen_version: int | None = None
    requested_by: str = ""
    create: StartVideoProject | None = None
    edit: EditVideoScript | None = None
    approve: ApproveVideoScript | None = None
    redraft: RedraftVideoScript | None = None
    regenerate: RegenerateVideoSection | None = None
    produce: ProduceVideo | None = None
    cancel: CancelVideoProject | None = None

    @property
    def action(self) -> Command:
        actions = (self.create, self.edit, self.approve, self.redraft, self.regenerate, self.produce, self.cancel)
        given = [c for c in actions if c is not None]
        if len(given) != 1:
            raise ValueError("exactly one of create, edit, approve, redraft, regenerate, produce, cancel")
        return given[0]


class CreateAutomation(Command):
    definition: Definition


class EditAutomation(Command):
    definition: Definition


class ActivateAutomation(Command):
    pass


class PauseAutomation(Command):
    pass


class DeleteAutomation(Command):
    pass


class DecideAutomation(Command):
    """A command on one automation, for its single writer (the define agent). Exactly one of
    ``create``, ``edit``, ``activate``, ``pause``, ``delete``; ``command_id`` makes it idempotent;
    ``expected_version`` (``If-Match``) is the version the caller decided on."""

    command_id: str = Field(min_length=1)
    automation_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    expected_version: int | None = None
    requested_by: str = ""
    create: CreateAutomation | None = None
    edit: EditAutomation | None = None
    activate: ActivateAutomation | None = None
    pause: PauseAutomation | None = None
    delete: DeleteAutomation | None = None

    @property
    def action(self) -> Command:
        given = [c for c in (self.create, self.edit, self.activate, self.pause, self.delete) if c is not None]
        if len(given) != 1:
            raise ValueError("exactly one of create, edit, activate, pause, delete")
        return given[0]


class DecideCredits(Command):
    """A command on one site's credit account, for its single writer (the charge agent).

    ``grant`` adds ``credits``; ``reserve`` holds ``lines`` for the charge ``charge_id`` (the id of
    the event that caused the work) before the work starts; ``commit`` takes ``lines`` once it is
    done; ``release`` gives a reservation back. ``command_id`` makes it idempotent."""

    command_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    action: Literal["grant", "reserve", "commit", "release"]
    charge_id: str = ""
    credits: Decimal = Decimal(0)
    lines: list[ChargeLine] = []
    model: str = ""
    subjects: list[ChargedSubject] = []
    reason: str = ""
    requested_by: str = ""


# ---------------------------------------------------------------------------- queues (issue 25)
class AddQueueItem(Command):
    """An item, checked when it is added against the rules its post will be checked against (the
    queue's platform: length, links, media), so a refusal is a 422 now, not a held item later."""

    item_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")
    text: str = Field(min_length=1, max_length=63206)
    link_url: str | None = Field(None, max_length=2000)
    media_urls: list[str] = Field(default_factory=list, max_length=10, description="images or a video: Instagram and TikTok need one")
    priority: bool = False


class CreateQueue(Command):
    """A queue for one account: ``rrule`` (RFC 5545, such as ``FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0``)
    evaluated in ``tzid`` from ``starts_at`` on; ``fifo`` posts its items, ``evergreen`` re-posts the
    article ``content_id``'s best-performing posts."""

    account_id: str = Field(min_length=1, max_length=200)
    name: str = Field("", max_length=200)
    kind: Literal["fifo", "evergreen"] = "fifo"
    rrule: str = Field(min_length=1, max_length=500)
    tzid: str = Field(min_length=1, max_length=64)
    starts_at: datetime | None = Field(None, description="the first occurrence is not before it (default: now)")
    content_id: str | None = Field(None, max_length=200, description="evergreen: the article whose best posts are re-posted")
    min_gap_hours: float = Field(0.0, ge=0, le=24 * 366, description="evergreen: at least this long between two of its posts")
    items: list[AddQueueItem] = Field(default_factory=list, max_length=50, description="fifo: its first items, in order")


class PrioritiseQueueItem(Command):
    item_id: str = Field(min_length=1, max_length=200)
    priority: bool = True


class PauseQueue(Command):
    pass


class ResumeQueue(Command):
    pass


class EvergreenCandidate(Command):
    post_id: str
    text: str
    score: float
    link_url: str | None = None


class FireOccurrence(Command):
    """The timer's: the occurrence ``occurrence`` is due; ``candidates`` (evergreen) are the article's
    published posts with their engagement, as the read model had them."""

    occurrence: datetime
    candidates: list[EvergreenCandidate] = Field(default_factory=list)


class RefuseOccurrence(Command):
    """The recur agent's: the posts' writer refused the post an occurrence became (``code``, ``reason``,
    ``field`` from its outcome), so the occurrence posted nothing."""

    occurrence: datetime
    post_id: str = Field(min_length=1)
    code: str = ""
    reason: str = Field("", max_length=2000)
    field: str | None = None


class DecideQueue(Command):
    """A command on one queue, for its single writer (the enqueue agent). Exactly one of ``create``,
    ``add``, ``prioritise``, ``pause``, ``resume``, ``fire``, ``refuse``; ``expected_version``
    (``If-Match``) is the version the caller decided on."""

    command_id: str = Field(min_length=1)
    queue_id: str = Field(min_length=1)
    site_id: str = Field(min_length=1)
    expected_version: int | None = None
    requested_by: str = ""
    platform: Platform | None = None  # with ``create``: the account's platform, checked by the API
    create: CreateQueue | None = None
    add: AddQueueItem | None = None
    prioritise: PrioritiseQueueItem | None = None
    pause: PauseQueue | None = None
    resume: ResumeQueue | None = None
    fire: FireOccurrence | None = None
    refuse: RefuseOccurrence | None = None

    @property
    def action(self) -> Command:
        given = [c for c in (self.create, self.add, self.prioritise, self.pause, self.resume, self.fire, self.refuse) if c is not None]
        if len(given) != 1:
            raise ValueError("exactly one of create, add, prioritise, pause, resume, fire, refuse")
        return given[0]
