-- Followers over time (issue 25): each count a platform reported for a connected account
-- (FollowersCounted on social.engagement), one row per account and reading; the analytics read a
-- local day's last count.
CREATE TABLE follower_counts (
    account_id text        NOT NULL,
    counted_at timestamptz NOT NULL,
    site_id    text        NOT NULL,
    platform   text        NOT NULL,
    followers  bigint      NOT NULL,
    PRIMARY KEY (account_id, counted_at)
);
CREATE INDEX follower_counts_site ON follower_counts (site_id, counted_at);
