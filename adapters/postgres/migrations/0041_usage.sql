-- The usage ledger (issue 25). The write side: each site's credit account and each charge as its
-- single writer (the charge agent) folded them. The read side (projection "usage", from
-- social.usage): every grant and every committed operation as a ledger row, the reservations still
-- open, and what each post or video project cost and which model did the work.
CREATE TABLE IF NOT EXISTS credit_accounts (
    site_id    text PRIMARY KEY,
    opened     boolean NOT NULL DEFAULT false,
    granted    numeric NOT NULL DEFAULT 0,
    spent      numeric NOT NULL DEFAULT 0,
    reserved   numeric NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS credit_charges (
    charge_id  text PRIMARY KEY,
    site_id    text NOT NULL,
    state      text NOT NULL,
    credits    numeric NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS usage_ledger (
    entry_id   text PRIMARY KEY,  -- the event's id and the line's operation: a repeated event is kept once
    site_id    text NOT NULL,
    charge_id  text NOT NULL DEFAULT '',
    kind       text NOT NULL,  -- grant | charge
    operation  text NOT NULL DEFAULT '',
    quantity   numeric NOT NULL DEFAULT 0,
    credits    numeric NOT NULL,  -- signed: a grant adds, a charge takes
    model      text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_ledger_site_at ON usage_ledger (site_id, at);
CREATE TABLE IF NOT EXISTS usage_reservations (
    charge_id  text PRIMARY KEY,
    site_id    text NOT NULL,
    credits    numeric NOT NULL,
    open       boolean NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_reservations_open ON usage_reservations (site_id) WHERE open;
CREATE TABLE IF NOT EXISTS usage_subjects (
    subject_id text NOT NULL,
    charge_id  text NOT NULL,
    site_id    text NOT NULL,
    kind       text NOT NULL,
    credits    numeric NOT NULL,
    model      text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (subject_id, charge_id)
);
