-- The calendar reads a site's posts by the time they go (or went) out.
CREATE INDEX posts_site_calendar ON posts (site_id, (coalesce(published_at, scheduled_at)));
