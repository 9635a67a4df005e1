-- What each post says (drafted, then edited): an edit is checked against the whole post.
ALTER TABLE post_states ADD COLUMN content jsonb NOT NULL DEFAULT '{}';
