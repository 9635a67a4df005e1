-- The Video Creator's read model: one row per project, what it is at and what it made.
CREATE TABLE video_projects (
    project_id     text PRIMARY KEY,
    site_id        text NOT NULL,
    content_id     text NOT NULL,
    title          text NOT NULL DEFAULT '',
    preset         text NOT NULL,
    voice_id       text NOT NULL,
    form           text NOT NULL,
    status         text NOT NULL,      -- rendering | ready | failed
    stage          text,               -- where it failed
    error          text,
    video_url      text,
    srt_url        text,
    vtt_url        text,
    thumbnail_url  text,
    seconds        double precision,
    sections       integer,
    chapters       jsonb NOT NULL DEFAULT '[]',
    problems       jsonb NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    last_event_id  text NOT NULL
);
CREATE INDEX video_projects_site ON video_projects (site_id, created_at DESC);
