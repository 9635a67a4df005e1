-- The write side of video projects: each project's state as its single writer (the direct agent)
-- folds it from the project's own events on video.projects, whoever wrote them. ``version`` counts
-- the lifecycle events folded from the log (each once, by event id), ``applied`` the ids of the
-- last ones, so an event the writer appended is not folded again when it comes back from the log;
-- ``state`` is the folded project and the events the writer appended that have not come back yet.
-- What became of each command goes to command_outcomes, beside the posts' (its post_id column holds
-- the project's id there).
CREATE TABLE video_states (
    project_id  text PRIMARY KEY,
    site_id     text NOT NULL,
    version     integer NOT NULL,
    applied     text[] NOT NULL DEFAULT '{}',
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The read model counts versions as the writer does, so the API can tell the writer which version a
-- person read (ETag / If-Match). Projects from before count from 0 until the read model is replayed
-- (socializer replay video_projects); the writer folds their whole history.
ALTER TABLE video_projects ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE video_projects ADD COLUMN applied text[] NOT NULL DEFAULT '{}';
