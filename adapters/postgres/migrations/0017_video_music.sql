-- A track looped under a video's voice (ducked while it speaks), chosen per project or per site.
ALTER TABLE video_projects ADD COLUMN music_url text;
