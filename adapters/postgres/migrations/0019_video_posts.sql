-- Video posts: which project a post publishes, and the video it carries (for publish-status and
-- the video analytics, per project).
ALTER TABLE posts ADD COLUMN video_project_id text, ADD COLUMN video jsonb;
CREATE INDEX posts_video_project ON posts (video_project_id) WHERE video_project_id IS NOT NULL;
