"""A script that uses every layout the scene grammar has: the frame tests' and the bench's short."""

from __future__ import annotations

from domain.video.script import Script, _section

URL = "https://blog.example/event-sourcing-in-practice"


def every_layout(form: str = "short") -> Script:
    """Ten sections, each with the content for one layout (the planner picks them all: see test_video_scenes)."""
    s = [
        _section("hook", "", "Event sourcing keeps every change, so nothing you learn is ever lost.", images=()),
        _section("point", "The figure", "The figure. Teams cut incident time by 42% after one year of events in production."),
        _section(
            "point",
            "Why events",
            "Why events. Every change is kept. Replays rebuild any view. Audits become a query. Debugging gets easier.",
        ),
        _section("point", "Two ways", "Two ways. Mutable rows forget their history instead of events that remember all of it."),
        _section(
            "point", "In their words", "In their words. One architect said “the log is the database and the rest is a cache” on stage."
        ),
        _section("point", "How to start", "How to start. First, name your events. Then, write a decider. Finally, project them to tables."),
        _section(
            "code",
            "A decider",
            "Here is what a decider looks like in code.",
            code="def decide(state, cmd):\n    if cmd.kind == 'add':\n        return [Added(cmd.item)]\n    return []",
        ),
        _section(
            "point",
            "In practice",
            "In practice. The team ships small changes behind flags and watches the replays.",
            images=("https://blog.example/1.jpg",),
        ),
        _section("point", "The lesson", "The lesson. Keep the log, and the rest follows from it."),
        _section("cta", "", "Read the whole article, Event Sourcing in Practice, with the link in the description."),
    ]
    return Script("Event Sourcing in Practice: Lessons from Five Years", form, "en", 2.6, tuple(s))  # type: ignore[arg-type]
