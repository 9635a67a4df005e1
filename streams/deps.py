"""What the agents are given: the settings they read and the ports they call. Built by the
composition root (:mod:`socializer.bootstrap`); unit tests build it from the fakes."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.accounts import Accounts, Tokens
from adapters.automation_runs import AutomationHooks, AutomationRunStore, AutomationSends
from adapters.automations import AutomationDirectory, AutomationStateStore
from adapters.credits import Credits, CreditStore
from adapters.images import MediaRenderer
from adapters.inbound import InboundDirectory
from adapters.learning import Learning
from adapters.notifications import EmailLedger, IncidentStore, Mailer, OverdueWatch
from adapters.outbox import OutboxRelay
from adapters.outcomes import OutcomeWaiter
from adapters.platforms.base import PlatformClient
from adapters.post_states import PostStateStore
from adapters.published import PublishedPosts
from adapters.publishing import AttemptStore
from adapters.queues import Engagements, QueueStateStore
from adapters.scheduling import SlotStore
from adapters.sites import SiteDirectory
from adapters.video_states import VideoStateStore
from adapters.voice import Synthesizer
from adapters.voice.speech_api import SpeechApi
from adapters.webhooks import WebhookSender, WebhookStore
from domain.post.writer import AsyncWriter, Writer
from domain.publishing import Policy
from domain.usage import DEFAULT_COSTS, OPENING_GRANT


@dataclass(frozen=True)
class StreamSettings:
    broker: str
    partitions: int
    replication: int
    session_timeout_seconds: float
    publish: Policy
    fetch_wait_ms: int = 10  # how long an idle fetch waits at the broker: the floor of a command's latency
    due_check_seconds: float = 0.25
    engagement_tick_seconds: float = 60.0
    followers_tick_seconds: float = 3600.0  # how often the leader counts each account's followers
    engagement_age_scale: float = 1.0
    refresh_interval_seconds: float = 3600
    refresh_horizon_seconds: float = 2 * 3600
    utm_campaign: str = "socializer"
    video_dir: str = ""  # where rendered video artefacts go; empty = this worker renders no video
    video_media_url: str = ""
    speech: SpeechApi | None = None
    outbound_allow: str = ""  # kinds of private address user-given URLs may reach (adapters.netguard.Policy)
    webhook_tick_seconds: float = 0.5  # how often a worker looks for webhook deliveries due
    webhook_concurrency: int = 16  # deliveries in flight at once per worker
    webhook_lease_seconds: float = 60.0  # how long a sender holds a delivery (a killed worker's rows wait this long)
    webhook_retry_scale: float = 1.0  # scales the retry schedule and the 5-day disable (tests: small)
    overdue_seconds: float = 300.0  # a due post not published nor failed this long after its time is overdue
    overdue_check_seconds: float = 10.0  # how often the leader's watchdog looks
    mail_resolved: bool = False  # an email when a notification resolves too (one when raised always)
    inbox_tick_seconds: float = 0.5  # how often a worker looks for replies due
    inbox_sweep_seconds: float = 300.0  # how often the leader lists comments and conversations a webhook may have dropped
    automation_tick_seconds: float = 0.5  # how often a worker resumes the automation runs whose wait is over
    charging: bool = False  # AI and render work charges sites' credits (issue 25: the usage ledger)
    credit_costs: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    opening_grant: Decimal = OPENING_GRANT
    credit_wait_seconds: float = 30.0  # how long work waits for its reservation's answer before it is held and tried again
    queue_tick_seconds: float = 5.0  # how often the leader looks for queues' due occurrences
    queue_lead_seconds: float = 600.0  # how far ahead an occurrence becomes a scheduled post
    strict_upstream: bool = False  # an upstream event with fields ContentPublished does not know is dead-lettered  # an OpenAI-compatible speech API beside the offline voice


@dataclass
class Deps:
    settings: StreamSettings
    sites: SiteDirectory
    accounts: Accounts
    tokens: Tokens
    platforms: Mapping[str, PlatformClient]
    writer: Writer | AsyncWriter
    fallback_writer: Writer
    attempts: AttemptStore
    slots: SlotStore
    post_states: PostStateStore
    published: PublishedPosts
    outbox: OutboxRelay
    outcomes: OutcomeWaiter  # what the posts' single writer answered, by command id
    video_states: VideoStateStore  # the video projects' single writer's states (and its outcomes)
    automations: AutomationDirectory  # the active automations, as their single writer (define) folded them
    automation_states: AutomationStateStore  # the automations' single writer's states (and its outcomes)
    media: MediaRenderer | None = None  # None renders nothing (benchmarks, unit tests)
    cpu: Executor | None = None  # a process pool for CPU-bound work (reading, writing); None runs it inline
    voices: Synthesizer | None = None  # the voices videos can be narrated in (their list; renders load them in the pool)
    learning: Learning | None = None  # what the best-time learner knows per account; None: default best times
    webhooks: WebhookStore | None = None  # sites' outbound webhook endpoints and deliveries; None: none delivered
    webhook_sender: WebhookSender | None = None
    overdue: OverdueWatch | None = None  # the watchdog's rows; None: no watchdog
    incidents: IncidentStore | None = None  # the notifier's incidents; None: no notifier
    emails: EmailLedger | None = None  # the emails attempted, one row each before the SMTP conversation
    mailer: Mailer | None = None  # None: no SMTP configured, no email
    inbound: InboundDirectory | None = None  # accounts and posts by platform ids, inbox ids emitted; None: no receive agent
    replies: AttemptStore | None = None  # the inbox's reply attempts; None: no replies sent
    automation_runs: AutomationRunStore | None = None  # the automation runs' states (one writer per run); None: no automate agent
    automation_sends: AutomationSends | None = None  # the reply attempts as automations use them (Postgres: the replies' store)
    automation_hooks: AutomationHooks | None = None  # the webhook node's signed caller; None: webhook nodes record a failure
    credit_store: CreditStore | None = None  # the credit accounts' single writer's states; None: no charge agent here
    queue_states: QueueStateStore | None = None  # the queues' single writer's states; None: no enqueue or recur agent here
    engagements: Engagements | None = None  # an article's best-performing posts, for evergreen queues
    credits: Credits | None = None  # a fixed credits port (tests); None: the broker's when settings.charging
