-- Each (account, post type) an article was asked for and did not become, with the reason: said, not silent.
CREATE TABLE post_skips (
    post_id     text PRIMARY KEY,    -- the id the post would have had
    site_id     text NOT NULL,
    content_id  text NOT NULL,
    account_id  text NOT NULL,
    platform    text NOT NULL,
    post_type   text NOT NULL,
    reason      text NOT NULL,
    skipped_at  timestamptz NOT NULL,
    event_id    text NOT NULL
);
CREATE INDEX post_skips_content ON post_skips (content_id);
