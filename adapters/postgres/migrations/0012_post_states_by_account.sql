-- The times an account's posts hold, for the cap and cooldown check of a person's schedule.
CREATE INDEX post_states_account ON post_states (account_id, scheduled_at) WHERE status IN ('scheduled', 'publishing', 'published');
