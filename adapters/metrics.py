"""Every Prometheus series the system exports, defined once (``socializer_*``, units in the names).

Labels stay low-cardinality on purpose: agents, platforms, outcomes, stages, consumer groups and
topics, never a post, site or account id (a series per post would grow without bound and say who
posts what). Each process registers these in prometheus-client's default registry; the API serves
its own on ``/metrics``, the worker and the projector on ``SOCIALIZER_METRICS_PORT`` (see
:func:`serve`). Importing this module is all another agent needs to count something.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

# The stream agents (streams.plumbing.handle_one): one count per message, by how it ended.
EVENTS_HANDLED = Counter("socializer_events_handled_total", "Messages an agent handled", ["agent"])
EVENTS_DEAD_LETTERED = Counter("socializer_events_dead_lettered_total", "Messages an agent sent to <topic>.dlq", ["agent"])
EVENTS_WAITED = Counter(
    "socializer_events_outage_waits_total", "Times an agent held a message to wait out an outage (database, broker, platform)", ["agent"]
)

# Publishing (streams.publish): what each try at the platform came to, and how long each call took.
PUBLISH_OUTCOMES = Counter(
    "socializer_publish_outcomes_total",
    "Publish tries by platform and outcome (created, found, rejected, rate_limited, unavailable, unknown, lookup_failed)",
    ["platform", "outcome"],
)
PLATFORM_REQUEST_SECONDS = Histogram(
    "socializer_platform_request_duration_seconds",
    "Platform API calls by platform and result (2xx, 3xx, 4xx, 5xx, error: no answer)",
    ["platform", "result"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

# Outbound webhooks (the delivering agent): one count per delivery attempt by its outcome
# (delivered, failed, retry_scheduled, disabled, ...: the agent's own words, a handful at most).
WEBHOOK_DELIVERIES = Counter("socializer_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"])

# Video renders (streams.render): seconds spent per stage of a finished render.
RENDER_STAGE_SECONDS = Histogram(
    "socializer_render_stage_duration_seconds",
    "Seconds a render spent in each stage (voice, visuals, clips, encode, ...)",
    ["stage"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)

# The projector: events applied to the read models.
PROJECTED_EVENTS = Counter("socializer_projected_events_total", "Events the projector applied to the read models")

# Computed when /metrics is scraped (the API asks the broker and Postgres).
CONSUMER_LAG = Gauge(
    "socializer_consumer_lag_messages",
    "Messages not yet committed by a consumer group, per topic (end offset minus committed offset, summed over partitions)",
    ["group", "topic"],
)
POSTS_OVERDUE = Gauge("socializer_posts_overdue", "Posts due longer than SOCIALIZER_OVERDUE_SECONDS ago, neither published nor failed")
ROLE_INSTANCES = Gauge("socializer_role_instances", "Instances of each role by state (up: seen recently; down: silent)", ["role", "state"])


def serve(port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - a scrape endpoint listens where the scraper reaches it
    """Expose this process's series on ``http://host:port/metrics`` (a thread; ``port`` 0 = off)."""
    if port:
        start_http_server(port, addr=host)
