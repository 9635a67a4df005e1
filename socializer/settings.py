"""One typed settings object, read from environment variables prefixed ``SOCIALIZER_``.

An unset broker or database means "the embedded default" (Tansu and embedded Postgres started by
``socializer up``); a role started on its own (``worker``, ``projector``, ``api``) calls
:meth:`Settings.require` so that it fails at start-up naming the missing variable.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from socializer.exceptions import MissingSetting


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOCIALIZER_", extra="ignore", frozen=True)

    # Backbone
    broker: str | None = Field(None, description="Kafka bootstrap servers, host:port[,host:port]; unset = embedded Tansu")
    database_url: str | None = Field(None, description="postgresql://… ; unset = embedded Postgres")
    topic_partitions: int = 4
    topic_replication: int = 1

    # Embedded default
    data_dir: Path = Path(".socializer")
    broker_port: int = 9092
    object_store_port: int = Field(9330, description="the first of eight: the broker's S3 store (SeaweedFS)")
    database_port: int = 54329

    # HTTP
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8100
    web_session_ttl_seconds: float = Field(12 * 3600, description="how long a dashboard sign-in lasts")

    # Where the platform adapters send their requests. Unset = the local sandbox.
    # In production set each to the real host (https://api.x.com, https://api.linkedin.com, ...).
    x_api_url: str | None = None
    linkedin_api_url: str | None = None
    facebook_api_url: str | None = None
    tiktok_api_url: str | None = None
    youtube_api_url: str | None = None

    # OAuth apps, one per provider (Instagram signs in through the Facebook app). Unset while the
    # platform points at the sandbox = the sandbox's own app; against a real host they are required.
    linkedin_client_id: str | None = None
    linkedin_client_secret: str = Field("", repr=False)
    x_client_id: str | None = None
    x_client_secret: str = Field("", repr=False)
    facebook_client_id: str | None = None
    facebook_client_secret: str = Field("", repr=False)
    tiktok_client_id: str | None = None
    tiktok_client_secret: str = Field("", repr=False)
    youtube_client_id: str | None = None
    youtube_client_secret: str = Field("", repr=False)
    # The API's address as browsers reach it: redirect URIs are built from it, one per provider.
    public_url: str | None = None
    oauth_state_ttl_seconds: float = 600.0
    # Refresh tokens that expire within this horizon, checking this often.
    refresh_horizon_seconds: float = 2 * 3600
    refresh_interval_seconds: float = 3600

    # Sites (name, time zone, post types): a JSON file; unset = the demo site. Accounts come from OAuth.
    sites_file: Path | None = None

    # Stages
    # Engagement is read at fixed ages per platform (domain.platforms.Ladder); this often the leader
    # looks for a post with a reading due. The scale shrinks every age (1e-4: "24 h" in under 9 s).
    engagement_tick_seconds: float = Field(60.0, gt=0)
    followers_tick_seconds: float = Field(3600.0, gt=0)  # issue 25: followers over time, counted per account
    engagement_age_scale: float = Field(1.0, gt=0)
    # Best-time slots learned from each account's own 24 h results (Thompson sampling inside the cap and
    # the cooldown; pinned times win); off = the platform's default best times.
    learned_slots: bool = True
    due_check_seconds: float = 0.25
    publish_timeout_seconds: float = 10.0
    publish_max_tries: int = 5
    # How long a platform call waits for a spent rate window (from the platforms' rate headers) to
    # reset; a longer wait is not waited for: the call fails as rate-limited and is retried later.
    rate_window_max_wait_seconds: float = Field(5.0, ge=0, le=300)
    # How long an attempt belongs to the worker that started it; must exceed a create call with its polling.
    publish_lease_seconds: float | None = None
    reconcile_delay_seconds: float = 3.0
    session_timeout_seconds: float = 10.0
    # How long a worker's fetch waits at the broker for records. Faust pins it at 1.5 s, and on Tansu
    # an idle fetch held that long delays every command by ~0.7 s: a command's round trip is the point.
    fetch_wait_ms: int = Field(10, ge=1, le=5000)
    # How long a command request waits for its writer's decision before answering "pending".
    command_deadline_seconds: float = Field(5.0, gt=0, le=60)
    utm_campaign: str = "socializer"
    instagram_hashtags: str = Field("caption", pattern="^(caption|first_comment)$")

    # An OpenAI-compatible chat-completions endpoint for the LLM writer; unset = the rule writer only.
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str = Field("", repr=False)
    llm_timeout_seconds: float = 30.0
    # An OpenAI-compatible text-to-speech API, offered beside the offline voice (unset: piper alone).
    speech_base_url: str | None = None
    speech_model: str = "tts-1"
    speech_voice: str = "alloy"
    speech_api_key: str = Field("", repr=False)
    speech_languages: str = "en"  # comma-separated ISO 639-1 codes the API's voice speaks

    # Rendered media: a content-addressed directory served by the API under /media/ (unset = data_dir/media).
    media_dir: Path | None = None
    media_base_url: str | None = None
    image_workers: int = 2
    strict_upstream: bool = Field(False, description="dead-letter an upstream event with fields ContentPublished does not know")
    upload_scale: int = Field(
        1, ge=1, description="divides the video upload protocols' byte thresholds (the sandbox's scale switch; 1 in production)"
    )
    video_workers: int = Field(1, ge=1, description="renders at once per video worker (each a process with its own voice model)")
    # An S3-compatible bucket instead of the local directory (AWS, MinIO, R2, ...).
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str = Field("", repr=False)
    s3_secret_key: str = Field("", repr=False)
    s3_public_base_url: str | None = None

    # The token vault's master keys: "kid:base64(32 bytes),kid2:..."; the last (or vault_active_key) wraps new keys.
    vault_keys: str = Field("", repr=False)
    vault_active_key: str | None = None

    # Outbound calls to URLs users give (webhooks, article images, media, music) refuse loopback,
    # private, link-local (cloud metadata), CGNAT, multicast and reserved addresses; this lets some
    # kinds through: "loopback", "private", "link_local", "cgnat" (comma-separated) or "all".
    # `socializer up` sets "loopback" (its sandbox and demo receiver are on this machine).
    outbound_allow: str = ""
    # Outbound webhooks (Standard Webhooks). The retry schedule (immediately, 5 s, 5 min, 30 min, 2 h,
    # 5 h, 10 h, 10 h) and the 5-day disable are multiplied by the scale (tests: a small one).
    webhook_retry_scale: float = Field(1.0, gt=0)
    webhook_tick_seconds: float = Field(0.5, gt=0)
    webhook_concurrency: int = Field(16, ge=1, le=1000)
    webhook_lease_seconds: float = Field(60.0, gt=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=60)

    # Inbound webhooks (/webhooks/{platform}/): each is verified with its platform's app secret (the
    # OAuth client secret above; Instagram's is Facebook's app). Meta's subscription handshake echoes
    # its challenge only for this verify token (unset while Facebook points at the sandbox = the
    # sandbox's "sandbox-meta-verify-token"; against the real host, unset refuses every handshake).
    meta_verify_token: str = Field("", repr=False)
    inbound_max_bytes: int = Field(1 << 20, ge=1024, description="a larger webhook body is refused with 413 before it is read")
    inbound_tolerance_seconds: float = Field(300.0, gt=0, description="how far TikTok's signed timestamp may be from now")

    # Notifications: a due post neither published nor failed this long after its time is overdue
    # (the watchdog looks this often, on the leader).
    overdue_check_seconds: float = Field(10.0, gt=0)

    # The inbox: how often a worker sends the replies due, how often the leader sweeps for comments
    # and messages a webhook dropped.
    inbox_tick_seconds: float = Field(0.5, gt=0)
    inbox_sweep_seconds: float = Field(300.0, gt=0)
    # Automations: how often a worker resumes the runs whose wait (a delay, an answer) is over.
    automation_tick_seconds: float = Field(0.5, gt=0)
    # Email per raised notification through this SMTP server; unset host = no email.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = Field("", repr=False)
    smtp_from: str = "socializer@localhost"
    smtp_to: str = Field("", description="comma-separated recipients of every site's notifications")
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(30.0, gt=0)
    smtp_on_resolve: bool = Field(False, description="an email when a notification resolves, too")

    # The usage ledger (issue 25): AI and render work charges each site's credits by the cost table
    # (domain.usage; a JSON object overrides prices per operation), from an opening grant.
    credit_charging: bool = Field(True, description="charge sites' credits for AI and render work")
    credit_costs: str = Field("", description='JSON overrides of the credit cost table, e.g. {"image": 5, "voice_minutes": 20}')
    credit_opening_grant: Decimal = Field(Decimal(10_000), description="the credits a site's account opens with")
    credit_wait_seconds: float = Field(30.0, gt=0)

    log_level: str = "WARNING"
    # Roles (worker, projector, api, sandbox) write JSON lines (agent, event_id, correlation_id); "text" for a terminal.
    # The operators' tools (tail, emit, replay, ...) always print plain text.
    log_format: str = Field("json", pattern="^(json|text)$")

    # Operators' signals. The API serves /metrics on its own port (open, like /healthz: counts only, no
    # ids; api_metrics=false turns it off); a worker or projector serves its own on metrics_port (0 = off).
    api_metrics: bool = True
    metrics_port: int = Field(0, ge=0, le=65535)
    # A post due longer ago than this and neither published nor failed is overdue: /healthz answers 503.
    overdue_seconds: float = Field(300.0, gt=0)
    # Each role instance beats this often; one silent for role_down_seconds is down (/healthz 503).
    heartbeat_seconds: float = Field(5.0, gt=0)
    role_down_seconds: float = Field(30.0, gt=0)
    # This instance's name among its role's (unset: the host's name, a container's id under compose).
    instance: str | None = None
    # Queues (issue 25): how often the leader looks for due occurrences, and how far ahead one
    # becomes a scheduled post.
    queue_tick_seconds: float = Field(5.0, gt=0)
    queue_lead_seconds: float = Field(600.0, ge=0, le=3000)

    @field_validator("outbound_allow")
    @classmethod
    def _allow(cls, v: str) -> str:
        from adapters.netguard import Policy

        Policy.parse(v)
        return v

    @field_validator("credit_costs")
    @classmethod
    def _costs(cls, v: str) -> str:
        from domain.usage import parse_costs

        parse_costs(v)  # a bad table fails at start-up, naming the operation
        return v

    @property
    def credit_cost_table(self) -> dict[str, Decimal]:
        from domain.usage import parse_costs

        return parse_costs(self.credit_costs)

    def require(self, *names: str) -> None:
        """Fail at start-up naming the first missing variable (roles run against external services)."""
        for name in names:
            if getattr(self, name) in (None, ""):
                raise MissingSetting(f"SOCIALIZER_{name.upper()}", "this role runs against an external service")

    def platform_base_url(self, platform: str) -> str:
        explicit = {
            "x": self.x_api_url,
            "linkedin": self.linkedin_api_url,
            "facebook": self.facebook_api_url,
            "instagram": self.facebook_api_url,
            "tiktok": self.tiktok_api_url,
            "youtube": self.youtube_api_url,
        }[platform]
        return explicit or f"http://{self.sandbox_host}:{self.sandbox_port}/{platform}"

    def uses_sandbox(self, platform: str) -> bool:
        return not {"instagram": self.facebook_api_url}.get(platform, getattr(self, f"{platform}_api_url", None))

    def oauth_app(self, client: str) -> tuple[str, str]:
        """(client id, client secret) of a provider's app; the sandbox's own when it points at the sandbox."""
        cid, secret = getattr(self, f"{client}_client_id"), getattr(self, f"{client}_client_secret")
        if cid:
            return cid, secret
        if self.uses_sandbox(client):
            return f"sandbox-{client}", f"sandbox-{client}-secret"
        raise MissingSetting(f"SOCIALIZER_{client.upper()}_CLIENT_ID", f"{client} points at a real host")

    def inbound_secret(self, platform: str) -> str:
        """The secret a platform signs its webhooks with: its OAuth app's (Instagram's: Facebook's); '' if none."""
        client = "facebook" if platform == "instagram" else platform
        try:
            return self.oauth_app(client)[1]
        except MissingSetting:
            return ""

    @property
    def meta_token(self) -> str:
        """Meta's webhook verify token (see ``meta_verify_token``)."""
        if self.meta_verify_token:
            return self.meta_verify_token
        return "sandbox-meta-verify-token" if self.uses_sandbox("facebook") else ""

    def redirect_uri(self, platform: str) -> str:
        """Exactly one redirect URI per provider: a code can only come back where its provider sent it."""
        return f"{(self.public_url or self.api_url).rstrip('/')}/api/v1/social/accounts/callback/{platform}/"

    @property
    def instance_name(self) -> str:
        import socket

        return self.instance or socket.gethostname()

    @property
    def media_path(self) -> Path:
        return (self.media_dir or self.data_dir / "media").resolve()

    @property
    def media_url(self) -> str:
        return self.media_base_url or f"{self.api_url}/media"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.sandbox_host}:{self.sandbox_port}"
