-- The fields an upstream event carried that ContentPublished does not know: accepted, and said.
ALTER TABLE contents ADD COLUMN unknown_fields jsonb NOT NULL DEFAULT '[]', ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX contents_unknown_fields ON contents (recorded_at) WHERE unknown_fields <> '[]';
