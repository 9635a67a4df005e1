-- Video upload sessions, one per (post, account), written before the first byte is sent: a restarted
-- worker continues the session the platform knows instead of uploading the video a second time.
CREATE TABLE upload_sessions (
    effect_id   text NOT NULL,
    account_id  text NOT NULL,
    platform    text NOT NULL,
    session     text NOT NULL,          -- YouTube's session URI, Instagram's container id, TikTok's publish id
    url         text NOT NULL,          -- where the bytes go
    size        bigint NOT NULL,
    sha256      text NOT NULL,
    started_at  timestamptz NOT NULL,
    video_id    text,                   -- once published
    video_url   text,
    extra       jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (effect_id, account_id)
);
