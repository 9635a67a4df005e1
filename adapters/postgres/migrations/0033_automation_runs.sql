-- Automation runs (issue 22): each run's state with its one writer (streams/automate.py), the tags
-- people carry, the automation sends among the reply attempts, and the audit log (read model).

-- Automation sends are reply attempts like the inbox's; these say whose (NULL: a person's reply),
-- for the daily cap, the per-person dedupe and the audit log.
ALTER TABLE reply_attempts
    ADD COLUMN automation_id   text,
    ADD COLUMN automation_node text,
    ADD COLUMN recipient       text;
CREATE INDEX reply_attempts_automation ON reply_attempts (automation_id, recipient, automation_node) WHERE automation_id IS NOT NULL;
CREATE INDEX reply_attempts_automated ON reply_attempts (account_id, go_at) WHERE automation_id IS NOT NULL;
-- Our replies' platform ids: a comment or message that is one of them is ours, never a trigger.
CREATE INDEX reply_attempts_platform_reply ON reply_attempts (platform, platform_reply_id) WHERE platform_reply_id IS NOT NULL;

-- One row per run (write side): its state (domain.automation.run.to_json) and the stimuli applied.
CREATE TABLE automation_runs (
    run_id        text PRIMARY KEY,
    automation_id text NOT NULL,
    site_id       text NOT NULL,
    account_id    text NOT NULL,
    platform      text NOT NULL,
    user_id       text NOT NULL,
    status        text NOT NULL,                 -- running | waiting | ended
    until         timestamptz,                   -- a waiting run's wake-up
    for_answer    boolean NOT NULL DEFAULT false,
    state         jsonb NOT NULL,
    applied       text[] NOT NULL DEFAULT '{}',  -- the stimuli (event ids) already applied: a redelivery is a no-op
    started_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automation_runs_due ON automation_runs (until) WHERE status = 'waiting';
CREATE INDEX automation_runs_person ON automation_runs (account_id, user_id) WHERE status = 'waiting';

-- The tags a person carries on a site's platform (tag/untag nodes; the tag condition reads them).
CREATE TABLE automation_tags (
    site_id   text NOT NULL,
    platform  text NOT NULL,
    user_id   text NOT NULL,
    tag       text NOT NULL,
    tagged_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, platform, user_id, tag)
);

-- Read model (projections/automation_log.py): every message an automation queued or skipped. A
-- queued send's outcome (sent | failed) is the inbox's (inbox_replies, by reply id), joined when read.
CREATE TABLE automation_log (
    entry_id          text PRIMARY KEY,           -- the reply id, or the skipped send's event id
    automation_id     text NOT NULL,
    site_id           text NOT NULL,
    run_id            text NOT NULL,
    node_id           text NOT NULL,
    reply_id          text,                       -- NULL: skipped
    action            text NOT NULL,
    text              text,
    trigger_event_id  text NOT NULL,
    status            text NOT NULL,              -- queued | skipped (sent | failed: inbox_replies)
    code              text,
    reason            text,
    go_at             timestamptz,
    at                timestamptz NOT NULL        -- queued or skipped at
);
CREATE INDEX automation_log_automation ON automation_log (automation_id, at DESC);

-- One row per run, as its events tell it.
CREATE TABLE automation_run_list (
    run_id           text PRIMARY KEY,
    automation_id    text NOT NULL,
    site_id          text NOT NULL,
    account_id       text NOT NULL,
    platform         text NOT NULL,
    user_id          text NOT NULL,
    user_name        text NOT NULL DEFAULT '',
    keyword          text NOT NULL DEFAULT '',
    trigger_event_id text NOT NULL,
    status           text NOT NULL,               -- running | waiting | ended
    node_id          text,
    until            timestamptz,
    reason           text,
    started_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX automation_run_list_automation ON automation_run_list (automation_id, started_at DESC);
