"""The write side: pure deciders that validate a command against state and return the events to append."""
