-- A post's version as its single writer counts it (each lifecycle event once, by event id), so
-- the API can tell the writer which version a person read: the writer decides on no older state.
ALTER TABLE posts ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN applied text[] NOT NULL DEFAULT '{}';
UPDATE posts p SET version = s.version, applied = ARRAY(SELECT jsonb_array_elements_text(s.applied))
    FROM post_states s WHERE s.post_id = p.post_id;
