-- Nothing fails silently: the watchdog's reports, the notifier's incidents, the emails, and the
-- notifications read model with its read marks.

-- The watchdog's memory (agent state): which (post, due time) it reported overdue, so each is reported once.
CREATE TABLE overdue_alerts (
    post_id     text NOT NULL,
    due_at      timestamptz NOT NULL,
    detected_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, due_at)
);
-- What the watchdog reads every few seconds: the slots whose post has not ended, by time.
CREATE INDEX scheduler_waiting ON scheduler_posts (due_at) WHERE state IN ('pending', 'dispatched');

-- The notifier's incidents (agent state): one row per (kind, subject), written by the notifier alone.
CREATE TABLE notify_incidents (
    kind            text NOT NULL,
    subject         text NOT NULL,
    site_id         text NOT NULL DEFAULT '',
    open            boolean NOT NULL DEFAULT false,
    notification_id text NOT NULL DEFAULT '',
    started_at      timestamptz,
    failures        integer NOT NULL DEFAULT 0,   -- account_failing: publishes failed in a row
    cleared_at      timestamptz,                  -- when it last cleared: a finding older than that is stale
    applied         text[] NOT NULL DEFAULT '{}', -- the last event ids folded (redelivery changes nothing)
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, subject)
);

-- One row per email, written before the SMTP conversation: sending | sent | refused | unknown.
CREATE TABLE notification_emails (
    notification_id text NOT NULL,
    event           text NOT NULL,                -- raised | resolved
    site_id         text NOT NULL,
    state           text NOT NULL,
    recipients      text[] NOT NULL,
    error           text,
    attempted_at    timestamptz NOT NULL,
    finished_at     timestamptz,
    PRIMARY KEY (notification_id, event)
);

-- The read model (projection "notifications"): from social.notifications alone.
CREATE TABLE notifications (
    notification_id text PRIMARY KEY,
    site_id         text NOT NULL,
    kind            text NOT NULL,
    subject         text NOT NULL,
    title           text NOT NULL,
    detail          text NOT NULL DEFAULT '',
    raised_at       timestamptz NOT NULL,
    resolved_at     timestamptz,
    resolved_reason text,
    event_id        text NOT NULL
);
CREATE INDEX notifications_site ON notifications (site_id, raised_at DESC, notification_id);
CREATE INDEX notifications_open ON notifications (kind) WHERE resolved_at IS NULL;

-- A person's "read" on the read model: apart from it, so a rebuild of the projection keeps them.
CREATE TABLE notification_reads (
    notification_id text PRIMARY KEY,
    site_id         text NOT NULL,
    read_at         timestamptz NOT NULL
);
