-- API keys: one site each, scopes read/write; only a hash of the secret part is kept.
CREATE TABLE api_keys (
    key_id      text PRIMARY KEY,
    site_id     text NOT NULL,
    secret_hash bytea NOT NULL,
    scopes      text[] NOT NULL,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_site ON api_keys (site_id);
