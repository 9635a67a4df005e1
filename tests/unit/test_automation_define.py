"""The automations' single writer: commands decided once (a redelivery gets the first answer), its
own events not folded twice when they come back from the log, and the runs' directory following it."""

from __future__ import annotations

from adapters.automations import MemoryAutomations, MemoryAutomationStates
from adapters.kafka import MemoryProducer
from schemas import commands as c
from schemas import topics as t
from schemas.automations import Definition
from schemas.registry import registry
from streams import define

GOOD = Definition.model_validate(
    {
        "name": "Guide",
        "trigger": {"on": ["comment"], "keywords": ["guide"]},
        "nodes": [{"id": "hi", "type": "private_reply", "text": "Here, {{name}}"}],
        "start": "hi",
    }
)
BAD = GOOD.model_copy(update={"nodes": [GOOD.nodes[0].model_copy(update={"text": "{{coupon}}"})]})


def command(n: int, **action: object) -> bytes:
    cmd = c.DecideAutomation(command_id=f"cmd-{n}", automation_id="auto-1", site_id="s1", **action)  # type: ignore[arg-type]
    return registry.envelope(cmd, source="tests", subject="auto-1").encode()


async def test_the_writer_decides_once_folds_its_own_events_once_and_keeps_the_directory() -> None:
    directory = MemoryAutomations()
    d = define.Defining(states=MemoryAutomationStates(directory=directory), out=MemoryProducer())
    created = await define.decide(registry.decode(command(1, create=c.CreateAutomation(definition=BAD))), d)
    assert created.status == 202 and (created.body["status"], created.body["version"]) == ("draft", 1)
    refused = await define.decide(registry.decode(command(2, activate=c.ActivateAutomation())), d)
    assert refused.status == 422 and refused.body["field"] == "nodes[0].text" and refused.body["state"] == {"status": "draft", "version": 1}
    stale = await define.decide(registry.decode(command(3, expected_version=7, edit=c.EditAutomation(definition=GOOD))), d)
    assert stale.status == 409 and "is at version 1" in stale.body["detail"]
    await define.decide(registry.decode(command(4, expected_version=1, edit=c.EditAutomation(definition=GOOD))), d)
    active = await define.decide(registry.decode(command(5, activate=c.ActivateAutomation())), d)
    assert (active.status, active.body["status"], active.body["version"]) == (202, "active", 2)
    [found] = await directory.active("s1")
    assert (found.automation_id, found.version, found.definition) == ("auto-1", 2, GOOD)

    again = await define.decide(registry.decode(command(5, activate=c.ActivateAutomation())), d)  # redelivered
    assert again == active
    out = d.out
    assert isinstance(out, MemoryProducer)
    assert [type(m).__name__ for m in out.messages(t.AUTOMATIONS)] == ["AutomationCreated", "AutomationEdited", "AutomationActivated"]
    for _, message in list(out.sent):  # its own events back from the log: already folded
        await define.fold(message.decoded(), d)
    assert d.states.rows["auto-1"].version == 2 and d.states.rows["auto-1"].status == "active"  # type: ignore[attr-defined]

    paused = await define.decide(registry.decode(command(6, pause=c.PauseAutomation())), d)
    assert paused.body["status"] == "paused" and await directory.active("s1") == [] and await directory.get("auto-1") is None
    gone = await define.decide(registry.decode(command(7, delete=c.DeleteAutomation())), d)
    assert gone.body["status"] == "deleted"
    missing = await define.decide(registry.decode(command(8, activate=c.ActivateAutomation())), d)
    assert missing.status == 404 and "state" not in missing.body


async def test_a_crash_between_the_append_and_the_save_is_repaired_from_the_log() -> None:
    d = define.Defining(states=MemoryAutomationStates(), out=MemoryProducer())
    await define.decide(registry.decode(command(1, create=c.CreateAutomation(definition=GOOD))), d)
    lost = MemoryAutomationStates()  # the state saved nowhere: the writer crashed after the append
    d2 = define.Defining(states=lost, out=MemoryProducer())
    for _, message in d.out.sent:  # type: ignore[attr-defined]
        await define.fold(message.decoded(), d2)  # the fold finds the event on the log
    again = await define.decide(registry.decode(command(1, create=c.CreateAutomation(definition=GOOD))), d2)
    assert again.status == 202 and again.body["status"] == "draft" and d2.out.sent == []  # type: ignore[attr-defined]
