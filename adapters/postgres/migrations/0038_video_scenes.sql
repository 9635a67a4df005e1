-- Each render's contact sheet (one frame per scene, the platform's covered margins drawn) and its scenes' layouts.
ALTER TABLE video_projects
    ADD COLUMN contact_sheet_url text,
    ADD COLUMN layouts           jsonb NOT NULL DEFAULT '[]';
