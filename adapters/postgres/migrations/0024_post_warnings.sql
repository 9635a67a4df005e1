-- What a published post's optional finishing steps said when they failed (a YouTube thumbnail on an
-- unverified channel, captions without youtube.force-ssl, a first comment): the post is live all the
-- same. Folded from PostPublished.warnings; posts published before have none.
ALTER TABLE posts ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
