-- Dead letters already re-sent to their topic: `socializer redrive` re-sends each one once.
CREATE TABLE dead_letters_redriven (
    dlq_topic   text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    topic       text NOT NULL,
    key         text,
    reason      text NOT NULL,
    redriven_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dlq_topic, partition, "offset")
);
