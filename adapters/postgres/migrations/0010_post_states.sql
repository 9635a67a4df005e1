-- The write side of posts: each post's state as its single writer (the decide agent) folds it from
-- the post's own events, with its version (how many events) and the ids of the last events folded,
-- so an event folded when it was decided is not folded again when it comes back from the log.
CREATE TABLE post_states (
    post_id      text PRIMARY KEY,
    site_id      text NOT NULL,
    account_id   text NOT NULL,
    platform     text NOT NULL,
    status       text NOT NULL,
    scheduled_at timestamptz,
    version      integer NOT NULL,
    applied      jsonb NOT NULL DEFAULT '[]',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- What became of each person's command: accepted (the events it appended) or refused (a problem).
-- The API answers from here; a retried command (same Idempotency-Key) gets the first answer.
CREATE TABLE command_outcomes (
    command_id  text PRIMARY KEY,
    post_id     text NOT NULL,
    site_id     text NOT NULL,
    status      integer NOT NULL,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
