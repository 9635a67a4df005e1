-- Engagement as snapshots at fixed ages (domain.platforms.Ladder): each reading names its age's
-- label, how old the post was, and whether it came late; clicks, reach, saves and views have
-- columns of their own. Rows from before carry the defaults (no label).
ALTER TABLE engagement
    ADD COLUMN reach       bigint NOT NULL DEFAULT 0,
    ADD COLUMN saves       bigint NOT NULL DEFAULT 0,
    ADD COLUMN views       bigint NOT NULL DEFAULT 0,
    ADD COLUMN label       text NOT NULL DEFAULT '',
    ADD COLUMN age_seconds double precision;

ALTER TABLE engagement_history
    ADD COLUMN reach       bigint NOT NULL DEFAULT 0,
    ADD COLUMN saves       bigint NOT NULL DEFAULT 0,
    ADD COLUMN views       bigint NOT NULL DEFAULT 0,
    ADD COLUMN label       text NOT NULL DEFAULT '',
    ADD COLUMN age_seconds double precision,
    ADD COLUMN late        boolean NOT NULL DEFAULT false;
-- Best times and decay curves read one label's readings at a time.
CREATE INDEX engagement_history_label ON engagement_history (label, post_id);

-- What the engagement agent polled when: one row per post and ladder label, written after its
-- reading is on the log, so a restart neither repeats a snapshot nor loses one that fell due while
-- nothing ran. ``skipped``: a later label fell due as well before anything polled (never read);
-- ``found``: the platform still had the post.
CREATE TABLE engagement_polls (
    post_id   text        NOT NULL,
    label     text        NOT NULL,
    due_at    timestamptz NOT NULL,
    polled_at timestamptz NOT NULL,
    skipped   boolean     NOT NULL DEFAULT false,
    found     boolean     NOT NULL DEFAULT true,
    PRIMARY KEY (post_id, label)
);
