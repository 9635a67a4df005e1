-- Video projects with a script a person may review, edit and approve, rendered stage by stage.
ALTER TABLE video_projects
    ADD COLUMN review            boolean NOT NULL DEFAULT false,
    ADD COLUMN motion            text    NOT NULL DEFAULT 'mixed',
    ADD COLUMN url               text    NOT NULL DEFAULT '',
    ADD COLUMN summary           text    NOT NULL DEFAULT '',
    ADD COLUMN keywords          jsonb   NOT NULL DEFAULT '[]',
    ADD COLUMN revision          integer NOT NULL DEFAULT 0,   -- the script's; every change adds one
    ADD COLUMN approved_revision integer,
    ADD COLUMN script            jsonb,
    ADD COLUMN until             text,                          -- how far the running render goes: voice | visuals | video
    ADD COLUMN progress          jsonb   NOT NULL DEFAULT '{}', -- stage -> fraction done, of the running render
    ADD COLUMN timings           jsonb   NOT NULL DEFAULT '{}', -- stage -> seconds
    ADD COLUMN audio_url         text,
    ADD COLUMN pictures          jsonb   NOT NULL DEFAULT '[]',
    ADD COLUMN durations         jsonb   NOT NULL DEFAULT '[]',
    ADD COLUMN seo               jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN made              jsonb   NOT NULL DEFAULT '{}';
-- Projects from before scripts were events were drafted and approved at once.
UPDATE video_projects SET revision = 1, approved_revision = 1;

-- Every render a project had, one per script revision (the project row shows the current one).
CREATE TABLE video_renders (
    project_id     text NOT NULL,
    revision       integer NOT NULL,
    preset         text NOT NULL,
    video_url      text NOT NULL,
    srt_url        text NOT NULL,
    vtt_url        text NOT NULL,
    thumbnail_url  text NOT NULL,
    seconds        double precision NOT NULL,
    problems       jsonb NOT NULL DEFAULT '[]',
    timings        jsonb NOT NULL DEFAULT '{}',
    made           jsonb NOT NULL DEFAULT '{}',
    rendered_at    timestamptz NOT NULL,
    PRIMARY KEY (project_id, revision, preset)
);
