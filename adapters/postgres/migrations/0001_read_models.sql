-- Checkpoints: the last offset a projection applied, per topic partition, written in the same
-- transaction as its rows. high_watermark is what the broker reported at that batch (for lag).
CREATE TABLE projection_checkpoints (
    projection      text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    "offset"        bigint      NOT NULL,
    high_watermark  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

CREATE TABLE contents (
    content_id   text PRIMARY KEY,
    site_id      text NOT NULL,
    title        text NOT NULL,
    url          text NOT NULL,
    excerpt      text NOT NULL DEFAULT '',
    html         text NOT NULL,
    keywords     jsonb NOT NULL DEFAULT '[]',
    image_urls   jsonb NOT NULL DEFAULT '[]',
    language     text NOT NULL DEFAULT 'en',
    published_at timestamptz NOT NULL,
    event_id     text NOT NULL
);
CREATE INDEX contents_site ON contents (site_id, published_at DESC);

CREATE TABLE posts (
    post_id           text PRIMARY KEY,
    site_id           text NOT NULL,
    content_id        text,
    account_id        text NOT NULL,
    platform          text NOT NULL,
    post_type         text NOT NULL,
    status            text NOT NULL,
    text              text NOT NULL,
    hashtags          jsonb NOT NULL DEFAULT '[]',
    link_url          text,
    utm               jsonb NOT NULL DEFAULT '{}',
    thread            jsonb,
    media_urls        jsonb NOT NULL DEFAULT '[]',
    writer            text NOT NULL DEFAULT '',
    scheduled_at      timestamptz,
    published_at      timestamptz,
    platform_post_id  text,
    platform_post_url text,
    error             text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    last_event_id     text NOT NULL
);
CREATE INDEX posts_site_status ON posts (site_id, status);
CREATE INDEX posts_site_scheduled ON posts (site_id, scheduled_at);
CREATE INDEX posts_site_published ON posts (site_id, published_at);
CREATE INDEX posts_content ON posts (content_id);

-- Latest engagement per post, and every reading (for trends and best-time learning).
CREATE TABLE engagement (
    post_id          text PRIMARY KEY,
    site_id          text NOT NULL,
    account_id       text NOT NULL,
    platform         text NOT NULL,
    platform_post_id text NOT NULL,
    likes            bigint NOT NULL,
    comments         bigint NOT NULL,
    shares           bigint NOT NULL,
    impressions      bigint NOT NULL,
    clicks           bigint NOT NULL,
    engagement_rate  double precision NOT NULL,
    fetched_at       timestamptz NOT NULL
);
CREATE INDEX engagement_site ON engagement (site_id, platform);

CREATE TABLE engagement_history (
    post_id         text NOT NULL,
    fetched_at      timestamptz NOT NULL,
    likes           bigint NOT NULL,
    comments        bigint NOT NULL,
    shares          bigint NOT NULL,
    impressions     bigint NOT NULL,
    clicks          bigint NOT NULL,
    engagement_rate double precision NOT NULL,
    raw             jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (post_id, fetched_at)
);
