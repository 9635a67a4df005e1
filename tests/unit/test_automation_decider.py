"""An automation's lifecycle as its single writer decides it: draft → active ⇄ paused → deleted,
a version per edit, activation refused naming the first problem, stale versions refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from commands import automations as a
from commands.exceptions import AutomationNotFound, InvalidContent, InvalidTransition, VersionConflict
from schemas import commands as c
from schemas import events as e
from schemas.automations import Definition

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
GOOD = Definition.model_validate(
    {
        "name": "Guide",
        "trigger": {"on": ["comment"], "keywords": ["guide"]},
        "nodes": [{"id": "hi", "type": "private_reply", "text": "Here, {{name}}"}],
        "start": "hi",
    }
)
BAD = GOOD.model_copy(update={"nodes": [GOOD.nodes[0].model_copy(update={"text": "Use {{coupon}}"})]})


def cmd(n: int, *, site: str = "s1", expected: int | None = None, **action: Any) -> c.DecideAutomation:
    return c.DecideAutomation(command_id=f"cmd-{n}", automation_id="auto-1", site_id=site, expected_version=expected, **action)


def run(*commands: c.DecideAutomation) -> tuple[a.Automation | None, list[e.Event]]:
    state: a.Automation | None = None
    events: list[e.Event] = []
    for command in commands:
        made = a.handle(state, command, NOW)
        for ev in made:
            state = a.fold(state, ev)
        events += made
    return state, events


def test_a_created_automation_is_a_draft_at_version_one_even_when_half_written() -> None:
    state, events = run(cmd(1, create=c.CreateAutomation(definition=BAD)))
    assert state is not None and (state.status, state.version, state.definition) == ("draft", 1, BAD)
    assert isinstance(events[0], e.AutomationCreated) and events[0].definition["nodes"][0]["text"] == "Use {{coupon}}"


def test_activation_checks_the_flow_and_names_the_first_problem() -> None:
    state, _ = run(cmd(1, create=c.CreateAutomation(definition=BAD)))
    with pytest.raises(InvalidContent) as refused:
        a.handle(state, cmd(2, activate=c.ActivateAutomation()), NOW)
    assert refused.value.field == "nodes[0].text" and "{{coupon}}" in refused.value.detail


def test_an_edit_makes_a_new_version_and_the_fixed_flow_activates_on_it() -> None:
    state, events = run(
        cmd(1, create=c.CreateAutomation(definition=BAD)),
        cmd(2, expected=1, edit=c.EditAutomation(definition=GOOD)),
        cmd(3, activate=c.ActivateAutomation()),
    )
    assert state is not None and (state.status, state.version, state.definition) == ("active", 2, GOOD)
    assert [type(ev).__name__ for ev in events] == ["AutomationCreated", "AutomationEdited", "AutomationActivated"]
    assert events[2].version == 2  # type: ignore[attr-defined]


def test_an_active_automation_refuses_an_edit_that_would_not_pass_activation() -> None:
    state, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, activate=c.ActivateAutomation()))
    with pytest.raises(InvalidContent) as refused:
        a.handle(state, cmd(3, edit=c.EditAutomation(definition=BAD)), NOW)
    assert refused.value.field == "nodes[0].text"
    paused, _ = run(
        cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, activate=c.ActivateAutomation()), cmd(3, pause=c.PauseAutomation())
    )
    (edited,) = a.handle(paused, cmd(4, edit=c.EditAutomation(definition=BAD)), NOW)  # paused: may be half-written again
    assert isinstance(edited, e.AutomationEdited) and edited.version == 2


def test_active_and_paused_go_back_and_forth_then_delete_ends_it() -> None:
    state, events = run(
        cmd(1, create=c.CreateAutomation(definition=GOOD)),
        cmd(2, activate=c.ActivateAutomation()),
        cmd(3, pause=c.PauseAutomation()),
        cmd(4, activate=c.ActivateAutomation()),
        cmd(5, delete=c.DeleteAutomation()),
    )
    assert state is not None and (state.status, state.version) == ("deleted", 1)
    assert [type(ev).__name__ for ev in events][1:] == [
        "AutomationActivated",
        "AutomationPaused",
        "AutomationActivated",
        "AutomationDeleted",
    ]


def test_transitions_the_lifecycle_does_not_have_are_refused() -> None:
    draft, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)))
    with pytest.raises(InvalidTransition, match="cannot pause an automation that is draft"):
        a.handle(draft, cmd(2, pause=c.PauseAutomation()), NOW)
    with pytest.raises(InvalidTransition, match="exists already"):
        a.handle(draft, cmd(2, create=c.CreateAutomation(definition=GOOD)), NOW)
    active, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, activate=c.ActivateAutomation()))
    with pytest.raises(InvalidTransition, match="active already"):
        a.handle(active, cmd(3, activate=c.ActivateAutomation()), NOW)


def test_a_deleted_missing_or_other_sites_automation_is_not_found() -> None:
    deleted, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, delete=c.DeleteAutomation()))
    for state, command in (
        (deleted, cmd(3, activate=c.ActivateAutomation())),
        (deleted, cmd(3, delete=c.DeleteAutomation())),
        (None, cmd(3, edit=c.EditAutomation(definition=GOOD))),
    ):
        with pytest.raises(AutomationNotFound):
            a.handle(state, command, NOW)
    draft, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)))
    with pytest.raises(AutomationNotFound):
        a.handle(draft, cmd(3, site="s2", delete=c.DeleteAutomation()), NOW)


def test_a_stale_expected_version_is_a_conflict_naming_the_current_one() -> None:
    state, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, edit=c.EditAutomation(definition=GOOD)))
    with pytest.raises(VersionConflict) as refused:
        a.handle(state, cmd(3, expected=1, edit=c.EditAutomation(definition=BAD)), NOW)
    assert refused.value.field == "If-Match" and "is at version 2, not 1" in refused.value.detail
    (ok,) = a.handle(state, cmd(3, expected=2, delete=c.DeleteAutomation()), NOW)
    assert isinstance(ok, e.AutomationDeleted) and ok.version == 2


def test_folding_ignores_events_before_the_creation_and_a_repeated_creation() -> None:
    assert a.fold(None, e.AutomationActivated(automation_id="x", site_id="s1", version=1)) is None
    state, _ = run(cmd(1, create=c.CreateAutomation(definition=GOOD)), cmd(2, edit=c.EditAutomation(definition=BAD)))
    again = e.AutomationCreated(automation_id="auto-1", site_id="s1", definition=GOOD.model_dump(mode="json"))
    assert a.fold(state, again) == state
