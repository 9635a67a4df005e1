-- Queues (issue 25: recurring and evergreen posts): the writer's state and the read model.

-- The write side: each queue's state as its single writer (the enqueue agent) folds it from the
-- queue's own events on social.queues (``state``: commands.queues.to_json); ``applied`` the ids of the
-- last events folded, so an event the writer appended is not folded again when it comes back from the
-- log. The timer (recur) reads the active ones from here, never from the read model. Outcomes go to
-- command_outcomes (post_id holds the queue's id there).
CREATE TABLE queue_states (
    queue_id    text PRIMARY KEY,
    site_id     text NOT NULL,
    status      text NOT NULL,                -- active | paused
    state       jsonb NOT NULL,
    applied     text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_states_active ON queue_states (queue_id) WHERE status = 'active';

-- The read model (projection "queues", from social.queues): one row per queue, its waiting items in
-- order of arrival (``seq``), what it posted last.
CREATE TABLE queues (
    queue_id         text PRIMARY KEY,
    site_id          text NOT NULL,
    account_id       text NOT NULL,
    platform         text NOT NULL,
    name             text NOT NULL DEFAULT '',
    kind             text NOT NULL,              -- fifo | evergreen
    rrule            text NOT NULL,
    tzid             text NOT NULL,
    starts_at        timestamptz NOT NULL,
    content_id       text,
    min_gap_hours    double precision NOT NULL DEFAULT 0,
    status           text NOT NULL,              -- active | paused
    version          integer NOT NULL,
    items            jsonb NOT NULL DEFAULT '[]', -- [{item_id, text, link_url, priority, seq}]
    item_seq         integer NOT NULL DEFAULT 0,
    posted           integer NOT NULL DEFAULT 0,
    skipped          integer NOT NULL DEFAULT 0,
    last_occurrence  timestamptz,
    last_post_id     text,
    last_skip        text,
    created_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    applied          text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX queues_site ON queues (site_id, created_at DESC);
