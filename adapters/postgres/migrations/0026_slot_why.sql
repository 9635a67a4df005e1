-- Why the scheduler chose a post's time (PostScheduled.why): lift, interval, the alternative, explored.
ALTER TABLE posts ADD COLUMN slot_why jsonb;
