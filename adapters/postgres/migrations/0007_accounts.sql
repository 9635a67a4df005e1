-- Connected accounts (write-side state of adapters/accounts): what the scheduler, the publisher and
-- the API read. Tokens are not here: they are sealed in vault_secrets under the account's data key.
CREATE TABLE accounts (
    account_id          text PRIMARY KEY,
    site_id             text NOT NULL,
    platform            text NOT NULL,
    platform_account_id text NOT NULL,
    handle              text NOT NULL DEFAULT '',
    account_type        text NOT NULL DEFAULT 'personal',
    scopes              text[] NOT NULL DEFAULT '{}',
    status              text NOT NULL DEFAULT 'active',
    status_reason       text,
    settings            jsonb NOT NULL DEFAULT '{}',
    token_expires_at    timestamptz,
    refresh_expires_at  timestamptz,
    token_version       integer NOT NULL DEFAULT 0,
    refreshable         boolean NOT NULL DEFAULT false,
    connection_id       text NOT NULL,
    connected_by        text NOT NULL DEFAULT '',
    connected_at        timestamptz NOT NULL DEFAULT now(),
    refreshed_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, platform, platform_account_id)
);
CREATE INDEX accounts_site ON accounts (site_id, platform);
CREATE INDEX accounts_due_refresh ON accounts (token_expires_at) WHERE status = 'active' AND refreshable;

-- One-time OAuth states: only a hash of the state is kept; a state is consumed by the first callback.
CREATE TABLE oauth_states (
    state_hash     bytea PRIMARY KEY,
    platform       text NOT NULL,
    site_id        text NOT NULL,
    key_id         text NOT NULL,
    user_ref       text NOT NULL DEFAULT '',
    account_type   text NOT NULL,
    features       text[] NOT NULL,
    scopes         text[] NOT NULL,
    selected       text[],
    settings       jsonb,
    code_verifier  text,
    redirect_uri   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- Transactional outbox: an event is stored with the state change that caused it and relayed to its
-- topic afterwards (at least once, same event id), so a crash cannot keep one without the other.
CREATE TABLE outbox (
    seq        bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        text NOT NULL,
    value      bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
