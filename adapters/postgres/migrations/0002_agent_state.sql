-- Durable state of the stream agents (not read models: never replayed, never served over HTTP).

-- The scheduler's own view of every post it may have to dispatch, with the snapshot to publish.
CREATE TABLE scheduler_posts (
    post_id     text PRIMARY KEY,
    site_id     text NOT NULL,
    account_id  text NOT NULL,
    platform    text NOT NULL,
    state       text NOT NULL,             -- draft | pending | dispatched | published | failed | cancelled
    due_at      timestamptz,
    payload     jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduler_due ON scheduler_posts (due_at) WHERE state = 'pending';
CREATE INDEX scheduler_account ON scheduler_posts (account_id, due_at);

-- One row per (post, account): recorded before the platform is called, so a crash between the
-- platform's answer and our event is reconciled by looking the post up, never by posting again.
CREATE TABLE publish_attempts (
    post_id          text NOT NULL,
    account_id       text NOT NULL,
    attempt_id       text NOT NULL,
    platform         text NOT NULL,
    site_id          text NOT NULL,
    state            text NOT NULL,        -- started | retry | unknown | published | failed
    tries            integer NOT NULL DEFAULT 1,
    started_at       timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz NOT NULL,
    next_try_at      timestamptz,
    platform_post_id text,
    platform_post_url text,
    published_at     timestamptz,
    error            text,
    payload          jsonb NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, account_id)
);
CREATE INDEX publish_attempts_due ON publish_attempts (next_try_at) WHERE state IN ('retry', 'unknown', 'started');
CREATE INDEX publish_attempts_published ON publish_attempts (published_at) WHERE state = 'published';
