"""The automations' audit log is a projection of ``social.automation.runs`` alone: the projector gives
each topic to one projection, so reading ``social.inbox`` here would starve the inbox's (sends'
outcomes are joined from ``inbox_replies`` when the log is read)."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.automation_log import AUTOMATION_LOG
from projections.read_models import ALL
from schemas import events as e
from schemas import topics as t
from schemas.registry import registry

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def test_no_two_projections_read_one_topic() -> None:
    seen: dict[str, str] = {}
    for p in ALL.values():
        for topic in p.topics:
            assert topic not in seen, f"{topic} is read by {seen[topic]} and {p.name}"
            seen[topic] = p.name
    assert AUTOMATION_LOG.topics == (t.AUTOMATION_RUNS,)


def test_a_queued_send_and_a_skipped_one_become_log_rows_keyed_by_reply_id_and_event_id() -> None:
    queued = e.AutomationSendQueued(
        run_id="run", automation_id="auto", node_id="pr", reply_id="rid", action="private_reply", text="hi", go_at=NOW, site_id="s"
    )
    skipped = e.AutomationSendSkipped(
        run_id="run", automation_id="auto", node_id="dm", action="message", code="deduplicated", reason="why", at=NOW, site_id="s"
    )
    rows = []
    for ev in (queued, skipped):
        env = registry.envelope(ev, source="tests", subject="run")
        rows += [(k, args, env.id) for k, args in AUTOMATION_LOG.statements(registry.decode(env.encode()))]
    (k1, a1, _), (k2, a2, skipped_id) = rows
    assert (k1, a1[0], a1[1], a1[2]) == ("queued", "rid", "auto", "s")
    assert (k2, a2[0], a2[7], a2[8]) == ("skipped", skipped_id, "deduplicated", "why")
