"""The composition root: the one place adapters are chosen and wired. Every role (worker, API,
projector, CLI tools, bench) gets its object graph from here; unit tests wire the same
:class:`streams.deps.Deps` from the fakes instead."""

from __future__ import annotations

import dataclasses
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.accounts.store import AccountStore
from adapters.accounts.tokens import TokenSource
from adapters.automation_runs import PostgresAutomationRuns, SignedHooks
from adapters.automations import MemoryAutomations, MemoryAutomationStates, PostgresAutomations, PostgresAutomationStates
from adapters.credits import PostgresCreditStore
from adapters.images.service import MediaService
from adapters.images.store import LocalMediaStore, MediaStore, S3MediaStore
from adapters.inbound import PostgresInbound
from adapters.learning import PostgresLearning
from adapters.netguard import Policy as Outbound
from adapters.netguard import guarded_client
from adapters.notifications import (
    MemoryIncidents,
    MemoryOverdueWatch,
    PostgresEmailLedger,
    PostgresIncidents,
    PostgresOverdueWatch,
    SmtpMailer,
)
from adapters.oauth import CONNECTABLE, PROVIDERS, AppCredentials, OAuthClient
from adapters.outbox import MemoryOutbox, PostgresOutbox
from adapters.outcomes import MemoryOutcomes, PostgresOutcomes
from adapters.platforms import clients_for
from adapters.platforms.ratelimit import RateWindows, attach
from adapters.post_states import MemoryPostStates, PostgresPostStates
from adapters.postgres import LazyPool
from adapters.published import MemoryPublished, PostgresPublished
from adapters.publishing import MemoryAttempts, PostgresAttempts
from adapters.queues import MemoryEngagements, MemoryQueueStates, PostgresEngagements, PostgresQueueStates
from adapters.replies import PostgresReplies
from adapters.scheduling import MemorySlots, PostgresSlots
from adapters.sites import MemorySites, PostgresSites, read_seed
from adapters.uploads import PostgresSessions
from adapters.uploads.client import uploaders_for, with_videos
from adapters.vault.crypto import Keyring, Secret
from adapters.vault.store import TokenVault
from adapters.video_states import MemoryVideoStates, PostgresVideoStates
from adapters.voice import Chorus, Synthesizer
from adapters.voice.piper import PiperSynthesizer
from adapters.voice.speech_api import SpeechApi
from adapters.webhooks import PostgresWebhooks, WebhookSender
from adapters.writer.llm import LLMWriter
from domain.accounts import Site
from domain.post.rules import RuleWriter
from domain.post.writer import AsyncWriter, Writer
from domain.publishing import Policy
from socializer.demo import demo_sites, sample_accounts
from socializer.settings import Settings
from streams import (
    adapt,
    answer,
    automate,
    charge,
    decide,
    define,
    deliver,
    direct,
    engagement,
    enqueue,
    film,
    intake,
    mail,
    notify,
    publish,
    receive,
    recur,
    refresh,
    relay,
    render,
    schedule,
    share,
    sweep,
    watch,
)
from streams.app import Register
from streams.deps import Deps, StreamSettings

# The flow, top to bottom: what the worker runs.
AGENTS: dict[str, Register] = {
    "intake": intake.register,
    "adapt": adapt.register,
    "decide": decide.register,
    "direct": direct.register,  # the video projects' single writer (commands from the API and film)
    "define": define.register,  # the automations' single writer (definitions: create, edit, activate, pause, delete)
    "schedule": schedule.register,
    "publish": publish.register,
    "engagement": engagement.register,
    "refresh": refresh.register,
    "relay": relay.register,
    "share": share.register,
    "deliver": deliver.register,  # sites' outbound webhooks: rows from the log, then a sender on every worker
    "watch": watch.register,  # the leader's watchdog: due posts that did not end in time
    "notify": notify.register,  # the notifications' one writer: alerts and lifecycle events into incidents
    "mail": mail.register,  # an email per raised notification, when SMTP is set up
    "receive": receive.register,  # verified platform webhooks (social.inbound) read into comments and messages
    "answer": answer.register,  # the inbox's replies, DMs and hides, each sent at most once when due
    "sweep": sweep.register,  # the leader lists comments and conversations a webhook may have dropped
    "automate": automate.register,  # comments and messages through the active automations: runs, their sends and waits
    "charge": charge.register,  # the credit accounts' single writer: reservations, commits, releases, grants
    "enqueue": enqueue.register,  # the queues' single writer: create, items, priority, pause, resume, occurrences fired
    "recur": recur.register,  # the leader turns queues' due occurrences into fire commands; fired ones into posts
}
# The video worker's (``socializer worker --video``): articles into narrated videos, apart from the posts.
VIDEO_AGENTS: dict[str, Register] = {
    "film": film.register,
    "render": render.register,
}


def seed_sites(settings: Settings) -> list[Site]:
    """The sites a deployment starts with (the seed file, or the demo site); after that, sites
    are data: changed through the settings API, kept in the database."""
    return read_seed(settings.sites_file) if settings.sites_file else demo_sites()


def stream_settings(settings: Settings) -> StreamSettings:
    s = settings
    assert s.broker, "broker is required by the worker"
    return StreamSettings(
        broker=s.broker,
        partitions=s.topic_partitions,
        replication=s.topic_replication,
        session_timeout_seconds=s.session_timeout_seconds,
        fetch_wait_ms=s.fetch_wait_ms,
        publish=Policy(
            lease=timedelta(seconds=s.publish_lease_seconds or s.publish_timeout_seconds * 4 + 10),
            reconcile_delay=timedelta(seconds=s.reconcile_delay_seconds),
            max_tries=s.publish_max_tries,
        ),
        due_check_seconds=s.due_check_seconds,
        engagement_tick_seconds=s.engagement_tick_seconds,
        followers_tick_seconds=s.followers_tick_seconds,
        engagement_age_scale=s.engagement_age_scale,
        refresh_interval_seconds=s.refresh_interval_seconds,
        refresh_horizon_seconds=s.refresh_horizon_seconds,
        utm_campaign=s.utm_campaign,
        video_dir=str(s.media_path / "video"),
        video_media_url=f"{s.media_url.rstrip('/')}/video",
        speech=speech_api(s),
        strict_upstream=s.strict_upstream,
        outbound_allow=s.outbound_allow,
        webhook_tick_seconds=s.webhook_tick_seconds,
        webhook_concurrency=s.webhook_concurrency,
        webhook_lease_seconds=s.webhook_lease_seconds,
        webhook_retry_scale=s.webhook_retry_scale,
        overdue_seconds=s.overdue_seconds,
        overdue_check_seconds=s.overdue_check_seconds,
        mail_resolved=s.smtp_on_resolve,
        inbox_tick_seconds=s.inbox_tick_seconds,
        inbox_sweep_seconds=s.inbox_sweep_seconds,
        automation_tick_seconds=s.automation_tick_seconds,
        charging=s.credit_charging,
        credit_costs=s.credit_cost_table,
        opening_grant=s.credit_opening_grant,
        credit_wait_seconds=s.credit_wait_seconds,
        queue_tick_seconds=s.queue_tick_seconds,
        queue_lead_seconds=s.queue_lead_seconds,
    )


def platform_http(settings: Settings) -> httpx.AsyncClient:
    # Idle connections expire before the server's keep-alive does, so a create is never sent on a
    # connection the server is closing (which would turn a clean request into an unknown outcome).
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.publish_timeout_seconds, connect=5.0), limits=httpx.Limits(keepalive_expiry=2.0)
    )


def writers(settings: Settings, http: httpx.AsyncClient) -> tuple[Writer | AsyncWriter, Writer]:
    """(the writer, the rule writer it falls back to)."""
    rules = RuleWriter(campaign=settings.utm_campaign, instagram_hashtags=settings.instagram_hashtags)
    if settings.llm_base_url:
        return LLMWriter(
            http,
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            campaign=settings.utm_campaign,
            timeout=settings.llm_timeout_seconds,
        ), rules
    return rules, rules


def media_store(settings: Settings, http: httpx.AsyncClient) -> MediaStore:
    if settings.s3_endpoint:
        settings.require("s3_bucket")
        return S3MediaStore(
            http,
            settings.s3_endpoint,
            settings.s3_bucket,
            settings.s3_access_key,  # type: ignore[arg-type]
            settings.s3_secret_key,
            region=settings.s3_region,
            public_base_url=settings.s3_public_base_url,
        )
    return LocalMediaStore(settings.media_path, settings.media_url)


def webhook_sender(settings: Settings) -> WebhookSender:
    """Webhooks go to user-given URLs: through the outbound guard, never following a redirect."""
    http = guarded_client(
        Outbound.parse(settings.outbound_allow),
        timeout=settings.webhook_timeout_seconds,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2, keepalive_expiry=5.0),
    )
    return WebhookSender(http, timeout=settings.webhook_timeout_seconds)


def keyring(settings: Settings) -> Keyring:
    return Keyring.from_setting(settings.vault_keys, settings.vault_active_key)


# Measured on Tansu over SeaweedFS, one idle consumer of 60 partitions: 25 % of a core at a 10 ms
# fetch wait, 16 % at 50 ms, 6 % at Faust's 1.5 s.
VIDEO_FETCH_WAIT_MS = 500


def worker_deps(settings: Settings, *, video: bool = False) -> Deps:
    assert settings.database_url, "database_url is required by the worker"
    # Transactions that may take a second connection while they hold one: the posts' writer's, one a
    # partition, and the automations' (automate.AT_ONCE); two more, so one of them can always go on.
    pool = LazyPool(settings.database_url, max_size=settings.topic_partitions + 4)
    http = platform_http(settings)
    # One set of rate windows for the process: every platform client and uploader sends through ``http``.
    attach(http, RateWindows(max_wait=settings.rate_window_max_wait_seconds))
    writer, rules = writers(settings, http)
    # Spawned, not forked: a fork of a running event loop (and its sockets) is not a safe child.
    workers = settings.video_workers if video else settings.image_workers
    cpu = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    vault = TokenVault(pool, keyring(settings))  # type: ignore[arg-type]
    accounts = AccountStore(pool, vault)  # type: ignore[arg-type]
    streams = stream_settings(settings)
    if video:  # renders take minutes: no need to pay a short fetch wait's idle cost at the broker
        streams = dataclasses.replace(streams, fetch_wait_ms=max(streams.fetch_wait_ms, VIDEO_FETCH_WAIT_MS))
    return Deps(
        settings=streams,
        sites=PostgresSites(pool),
        accounts=accounts,
        tokens=TokenSource(accounts, oauth_clients(settings)),
        platforms=with_videos(
            clients_for(settings.platform_base_url, http),
            uploaders_for(settings.platform_base_url, http, scale=settings.upload_scale),
            PostgresSessions(pool),  # type: ignore[arg-type]
            http,
        ),
        writer=writer,
        fallback_writer=rules,
        attempts=PostgresAttempts(pool),
        slots=PostgresSlots(pool),
        post_states=PostgresPostStates(pool),
        published=PostgresPublished(pool),
        outbox=PostgresOutbox(pool),
        outcomes=PostgresOutcomes(pool, lambda: asyncpg.connect(settings.database_url)),
        video_states=PostgresVideoStates(pool),
        automations=PostgresAutomations(pool),
        automation_states=PostgresAutomationStates(pool),
        # Article images are user-given URLs: fetched through the outbound guard (the store keeps ``http``).
        media=MediaService(media_store(settings, http), guarded_client(Outbound.parse(settings.outbound_allow)), executor=cpu),
        cpu=cpu,
        voices=voices(settings) if video else None,
        learning=PostgresLearning(pool) if settings.learned_slots else None,
        webhooks=PostgresWebhooks(pool, vault),
        webhook_sender=webhook_sender(settings),
        overdue=PostgresOverdueWatch(pool),
        incidents=PostgresIncidents(pool),
        emails=PostgresEmailLedger(pool),
        mailer=mailer(settings),
        inbound=PostgresInbound(pool),
        replies=PostgresReplies(pool),
        automation_runs=PostgresAutomationRuns(pool),
        automation_sends=PostgresReplies(pool),
        automation_hooks=SignedHooks(pool, vault, webhook_sender(settings)),
        credit_store=PostgresCreditStore(pool),
        queue_states=PostgresQueueStates(pool),
        engagements=PostgresEngagements(pool),
    )


def mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP client of the notification emails, when a host and recipients are set."""
    s = settings
    recipients = [r.strip() for r in s.smtp_to.split(",") if r.strip()]
    if not s.smtp_host or not recipients:
        return None
    return SmtpMailer(
        s.smtp_host,
        s.smtp_port,
        s.smtp_from,
        recipients,
        user=s.smtp_user,
        password=s.smtp_password,
        starttls=s.smtp_starttls,
        timeout=s.smtp_timeout_seconds,
    )


def narrator(settings: Settings) -> LLMWriter | None:
    """The LLM that may rewrite a video's narration, when one is configured (the rule writer's otherwise)."""
    if not settings.llm_base_url:
        return None
    http = httpx.AsyncClient(timeout=settings.llm_timeout_seconds)
    return LLMWriter(http, settings.llm_base_url, settings.llm_model, settings.llm_api_key, timeout=settings.llm_timeout_seconds)


def speech_api(settings: Settings) -> SpeechApi | None:
    if not settings.speech_base_url:
        return None
    return SpeechApi(
        settings.speech_base_url,
        settings.speech_model,
        settings.speech_voice,
        Secret(settings.speech_api_key),
        tuple(lang.strip() for lang in settings.speech_languages.split(",") if lang.strip()),
    )


def voices(settings: Settings) -> Synthesizer:
    """The voices a video can be narrated in: piper's offline voice (its model loads in a render
    process, on its first render) and, when configured, an OpenAI-compatible speech API."""
    api = speech_api(settings)
    return Chorus(PiperSynthesizer(), api.synthesizer()) if api else PiperSynthesizer()


def memory_deps(settings: StreamSettings, **ports: Any) -> Deps:
    """The same graph from the fakes: the demo site, its sample accounts, no platform, no database.
    Unit tests and the stage benchmarks pass the ports they want to watch."""
    accounts = ports.pop("accounts", None) or MemoryAccounts(sample_accounts())
    outbox = ports.pop("outbox", None) or MemoryOutbox()  # one, as one table: the attempts' endings are relayed from it
    rules = RuleWriter()
    defaults: dict[str, Any] = {
        "sites": MemorySites(demo_sites()),
        "accounts": accounts,
        "tokens": MemoryTokens(accounts),
        "platforms": {},
        "writer": rules,
        "fallback_writer": rules,
        "attempts": MemoryAttempts(outbox),
        "slots": MemorySlots(),
        "post_states": MemoryPostStates(),
        "published": MemoryPublished(),
        "outbox": outbox,
        "overdue": MemoryOverdueWatch(),
        "incidents": MemoryIncidents(),
    }
    given = defaults | ports
    given.setdefault("outcomes", MemoryOutcomes(given["post_states"].outcomes))
    given.setdefault("video_states", MemoryVideoStates(given["post_states"].outcomes))  # one outcomes table
    given.setdefault("automations", MemoryAutomations())
    given.setdefault("automation_states", MemoryAutomationStates(given["post_states"].outcomes, given["automations"]))
    given.setdefault("queue_states", MemoryQueueStates(given["post_states"].outcomes))
    given.setdefault("engagements", MemoryEngagements())
    return Deps(settings=settings, **given)


def oauth_clients(settings: Settings) -> dict[str, OAuthClient]:
    """One OAuth client per connectable platform, pointed at the real hosts or at the sandbox."""
    out = {}
    for platform in CONNECTABLE:
        provider = PROVIDERS[platform]
        if settings.uses_sandbox(platform):
            base = f"{settings.sandbox_url}/{provider.client}"  # Instagram signs in through Facebook's pages
            hosts = {role: base for role in provider.hosts} | {"token": base}
            api = base
        else:
            hosts = dict(provider.hosts)
            api = settings.platform_base_url(platform)
        cid, secret = settings.oauth_app(provider.client)
        out[platform] = OAuthClient(
            provider,
            AppCredentials(cid, Secret(secret)),
            hosts,
            settings.redirect_uri(platform),
            timeout=settings.publish_timeout_seconds,
            api_host=api,
        )
    return out


def sandbox_apps(settings: Settings) -> dict[str, tuple[str, str, list[str]]]:
    """The sandbox's OAuth apps with this deployment's redirect URIs, as a developer registers them in
    each platform's console: provider -> (client id, client secret, redirect URIs)."""
    apps: dict[str, tuple[str, str, list[str]]] = {}
    for platform in CONNECTABLE:
        client = PROVIDERS[platform].client
        if settings.uses_sandbox(client):
            cid, secret = settings.oauth_app(client)
            apps.setdefault(client, (cid, secret, []))[2].append(settings.redirect_uri(platform))
    return apps
