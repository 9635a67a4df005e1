-- Automations (issue 22): the definitions' write side and read model.

-- The write side: each automation's state as its single writer (the define agent) folds it from the
-- automation's own events on social.automations. ``version`` is the definition's (1, then one more per
-- edit); ``applied`` the ids of the last events folded, so an event the writer appended is not folded
-- again when it comes back from the log. The runs read the active ones from here (adapters.automations
-- .PostgresAutomations), never from the read model. Outcomes go to command_outcomes (post_id holds the
-- automation's id there).
CREATE TABLE automation_states (
    automation_id  text PRIMARY KEY,
    site_id        text NOT NULL,
    status         text NOT NULL,                -- draft | active | paused | deleted
    version        integer NOT NULL,
    definition     jsonb NOT NULL,
    applied        text[] NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automation_states_active ON automation_states (site_id) WHERE status = 'active';

-- The read model (projection "automations", from social.automations): one row per automation.
CREATE TABLE automations (
    automation_id  text PRIMARY KEY,
    site_id        text NOT NULL,
    name           text NOT NULL,
    status         text NOT NULL,
    version        integer NOT NULL,
    definition     jsonb NOT NULL,
    created_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    activated_at   timestamptz,                  -- the last activation
    applied        text[] NOT NULL DEFAULT '{}'  -- the last events' ids: a repeat on the log is not applied again
);
CREATE INDEX automations_site ON automations (site_id, status, created_at DESC);
