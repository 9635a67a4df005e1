-- Sites are data: their settings change by command (PUT/PATCH /api/v1/social/settings/), applied
-- without a restart; each change is an event on social.sites, written through the outbox.
CREATE TABLE sites (
    site_id     text PRIMARY KEY,
    settings    jsonb NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT ''
);
-- A person's review of a draft (approve / reject): who and when, on the read model.
ALTER TABLE posts ADD COLUMN review text, ADD COLUMN reviewed_by text, ADD COLUMN reviewed_at timestamptz;
-- Articles that became no posts, and why (their site has social posting off).
CREATE TABLE content_skips (
    content_id  text PRIMARY KEY,
    site_id     text NOT NULL,
    reason      text NOT NULL,
    skipped_at  timestamptz NOT NULL,
    event_id    text NOT NULL
);
