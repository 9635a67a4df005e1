-- The inbox: comments and messages per post and conversation (read model, from social.inbox), the
-- replies made to them (read model), and the replies' at-most-once attempts (write side).

-- One row per comment or message, by the platform's id: a delivery repeated five times is one row.
CREATE TABLE inbox_items (
    item_id          text PRIMARY KEY,            -- derived from the platform and its comment or message id
    site_id          text NOT NULL,
    account_id       text NOT NULL,
    platform         text NOT NULL,
    kind             text NOT NULL,               -- comment | mention | story_reply | message
    platform_item_id text NOT NULL,               -- the platform's comment or message id
    thread           text NOT NULL,               -- the platform post id, or the conversation id
    post_id          text NOT NULL DEFAULT '',    -- ours, when the post is one we published
    parent_id        text NOT NULL DEFAULT '',
    author_id        text NOT NULL,
    author_name      text NOT NULL DEFAULT '',
    text             text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    echo             boolean NOT NULL DEFAULT false,
    event_id         text NOT NULL
);
CREATE INDEX inbox_items_site ON inbox_items (site_id, created_at DESC);
CREATE INDEX inbox_items_thread ON inbox_items (platform, thread, created_at);
CREATE INDEX inbox_items_platform_id ON inbox_items (platform, platform_item_id);

-- One row per reply (public, private, a DM) or hide, as its events tell it.
CREATE TABLE inbox_replies (
    reply_id          text PRIMARY KEY,
    site_id           text NOT NULL,
    account_id        text NOT NULL,
    platform          text NOT NULL,
    item_id           text NOT NULL,
    thread            text NOT NULL,
    action            text NOT NULL,              -- reply | private_reply | message | hide
    text              text NOT NULL DEFAULT '',
    status            text NOT NULL,              -- queued | sent | failed
    requested_at      timestamptz NOT NULL,
    go_at             timestamptz NOT NULL,       -- when it goes (later than requested: the send budget is spent)
    sent_at           timestamptz,
    platform_reply_id text,
    reconciled        boolean NOT NULL DEFAULT false,
    reason            text,
    code              text,
    echo_item_id      text                        -- our reply as it came back (its echo), once seen
);
CREATE INDEX inbox_replies_item ON inbox_replies (item_id);
CREATE INDEX inbox_replies_platform_id ON inbox_replies (platform, platform_reply_id);

-- The replies' attempts (write side): written before the call, as publish_attempts are.
CREATE TABLE reply_attempts (
    reply_id         text PRIMARY KEY,
    account_id       text NOT NULL,
    platform         text NOT NULL,
    site_id          text NOT NULL,
    item_id          text NOT NULL,
    action           text NOT NULL,
    state            text NOT NULL,               -- retry (queued) | started | unknown | published | failed
    tries            integer NOT NULL DEFAULT 1,
    started_at       timestamptz NOT NULL,
    lease_until      timestamptz NOT NULL,
    next_try_at      timestamptz,
    go_at            timestamptz NOT NULL,
    platform_reply_id text,
    sent_at          timestamptz,
    error            text,
    payload          jsonb NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_attempts_due ON reply_attempts (next_try_at) WHERE state IN ('retry', 'unknown', 'started');
CREATE INDEX reply_attempts_budget ON reply_attempts (account_id, action, go_at);
CREATE INDEX reply_attempts_item ON reply_attempts (item_id, action);
