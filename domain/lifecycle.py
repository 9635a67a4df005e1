"""A post's lifecycle, as sets of states written once: the decider (:mod:`commands.posts`) and
every reader ask these instead of spelling the states out."""

from __future__ import annotations

# What a manager may still change: schedule, edit, publish now, cancel.
EDITABLE: frozenset[str] = frozenset({"draft", "scheduled", "failed"})
# Where a post ends: nothing moves it on.
TERMINAL: frozenset[str] = frozenset({"published", "cancelled"})
