-- The adaptation engine's output on the read model: virality, the writer's note, media plan.
ALTER TABLE posts
    ADD COLUMN virality         smallint,
    ADD COLUMN virality_parts   jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN virality_reasons jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN writer_note      text,
    ADD COLUMN first_comment    text,
    ADD COLUMN media_plan       jsonb;
