-- The receive agent's memory of what it has put on social.inbox: a comment or message a platform
-- sends again (Meta retries for up to 36 h, TikTok for 72 h, LinkedIn every 5 min for 8 h) is
-- recognised by its derived event id and not emitted a second time. Agent state, not a read model:
-- replay does not touch it.
CREATE TABLE IF NOT EXISTS inbox_seen (
    event_id text PRIMARY KEY,
    seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inbox_seen_at ON inbox_seen (seen_at);
