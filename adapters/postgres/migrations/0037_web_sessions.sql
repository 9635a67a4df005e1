-- The dashboard's sessions: signing in exchanges a site's API key for a session whose id is a
-- random secret in an HttpOnly cookie. Only its SHA-256 is stored (a database leak yields no usable
-- cookie), with the key it was made from: revoking the key ends its sessions. The CSRF token every
-- form and script sends back is kept beside it. Sessions survive a restart of the API.
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash    bytea PRIMARY KEY,
    site_id    text NOT NULL,
    key_id     text NOT NULL,
    scopes     text[] NOT NULL,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires_at);
