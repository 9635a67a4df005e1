-- Each running role instance says it is alive every few seconds; /healthz calls a role down when an
-- instance that once said so has gone silent (a clean stop deletes its row: it is not down, it is gone).
CREATE TABLE role_heartbeats (
    role        text NOT NULL,          -- worker | video | projector | api (| whatever role beats)
    instance    text NOT NULL,          -- SOCIALIZER_INSTANCE, or the host's name
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role, instance)
);
