-- Outbound webhooks (Standard Webhooks): a site's endpoints and one delivery row per (endpoint, event).
-- Secrets are not here: they are sealed in the token vault (vault_secrets) under "webhook:<endpoint_id>".
CREATE TABLE webhook_endpoints (
    endpoint_id     text PRIMARY KEY,
    site_id         text NOT NULL,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    description     text NOT NULL DEFAULT '',
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    disabled_at     timestamptz,
    failing_since   timestamptz,          -- the first failure after the last success (5 days of it disables)
    previous_until  timestamptz,          -- after a rotation: the old secret signs too until then
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_site ON webhook_endpoints (site_id, created_at);

-- One row per (endpoint, event): written before the event's offset is committed (rows first), so a
-- killed worker loses nothing; the primary key makes a redelivered event insert nothing twice.
-- ``body``: the message's bytes, fixed at insert so every retry and redelivery sends (and signs) the same.
CREATE TABLE webhook_deliveries (
    endpoint_id   text NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    event_id      text NOT NULL,
    msg_id        text NOT NULL,         -- the webhook-id: stable per event and endpoint
    event_type    text NOT NULL,
    body          bytea NOT NULL,
    status        text NOT NULL DEFAULT 'pending',   -- pending | delivered | failed
    attempt       integer NOT NULL DEFAULT 0,        -- attempts made
    next_at       timestamptz,                       -- when a pending row is due
    leased_until  timestamptz,                       -- a sender holds it until then (a killed one's lease runs out)
    last_status   integer,
    latency_ms    integer,
    response      text,                              -- at most 1 KB of the last answer
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    delivered_at  timestamptz,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at DESC);

-- Which site a post or a video project belongs to, for its events that do not name it.
CREATE TABLE webhook_subjects (
    subject  text PRIMARY KEY,
    site_id  text NOT NULL
);
