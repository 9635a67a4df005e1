-- The token vault (adapters/vault): per-account data keys wrapped by a master key, and sealed secrets.
-- Nothing here is readable without the master keys, which live in settings, never in the database.
CREATE TABLE vault_data_keys (
    account_id  text PRIMARY KEY,
    dek_id      text NOT NULL,
    wrapped     bytea NOT NULL,
    kek_id      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz
);
CREATE INDEX vault_data_keys_kek ON vault_data_keys (kek_id);

CREATE TABLE vault_secrets (
    account_id  text NOT NULL,
    field       text NOT NULL,
    ciphertext  bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, field)
);
