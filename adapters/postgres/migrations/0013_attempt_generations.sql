-- A failed post can be retried: each dispatch (the post's due time) is an effect of its own, still
-- attempted at most once; the earlier attempts stay as the post's history.
ALTER TABLE publish_attempts ADD COLUMN due_at timestamptz;
UPDATE publish_attempts SET due_at = (payload->>'due_at')::timestamptz;
ALTER TABLE publish_attempts ALTER COLUMN due_at SET NOT NULL;
ALTER TABLE publish_attempts DROP CONSTRAINT publish_attempts_pkey;
ALTER TABLE publish_attempts ADD PRIMARY KEY (post_id, account_id, due_at);
