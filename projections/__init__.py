"""The read side: Postgres read models fed by projectors, their checkpoints, replay and the read queries."""
