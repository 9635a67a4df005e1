"""Operators' signals on the running system: every role's /metrics parses as Prometheus text with the
series operators alert on, the roles' log lines are JSON naming agent and event, and /healthz turns
503 while a role is down (the role is restarted and health comes back before the test ends)."""

from __future__ import annotations

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.articles import article
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration


def families(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """name -> {labels: value} of every sample at ``url``."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(httpx.get(url, timeout=10).text):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def total(series: dict[tuple[tuple[str, str], ...], float], **labels: str) -> float:
    return sum(v for k, v in series.items() if set(labels.items()) <= set(k))


async def test_every_roles_metrics_parse_with_lag_handled_and_publish_series(system) -> None:  # type: ignore[no-untyped-def]
    await system.emit(article("metrics-1"))

    def worker() -> dict:  # type: ignore[type-arg]
        return families(f"http://127.0.0.1:{system.metrics_ports['worker']}/metrics")

    async def published() -> bool:
        m = worker()
        return total(m.get("socializer_publish_outcomes_total", {}), outcome="created") > 0 and bool(
            m.get("socializer_platform_request_duration_seconds_count")
        )

    await eventually(published, timeout=90, what="a post published through the worker")
    m = worker()
    assert total(m["socializer_events_handled_total"], agent="intake") >= 1
    assert total(m["socializer_events_handled_total"], agent="publish") >= 1
    platforms = {dict(k)["platform"] for k in m["socializer_platform_request_duration_seconds_count"]}
    assert platforms & {"x", "linkedin", "facebook", "instagram"}
    assert all("post_id" not in dict(k) and "site_id" not in dict(k) for series in m.values() for k in series)

    api = families(f"{system.api}/metrics")  # open, like /healthz: no API key
    lag = api["socializer_consumer_lag_messages"]
    groups = {dict(k)["group"] for k in lag}
    assert {"socializer", "socializer.projector"} <= groups, groups
    assert all(v >= 0 for v in lag.values())
    assert api["socializer_posts_overdue"][()] == 0
    assert total(api["socializer_role_instances"], role="worker", state="up") >= 1

    projector = families(f"http://127.0.0.1:{system.metrics_ports['projector']}/metrics")
    assert projector["socializer_projected_events_total"][()] > 0
    # The video worker declares its render stage times (samples once a render has finished).
    video = httpx.get(f"http://127.0.0.1:{system.metrics_ports['video']}/metrics", timeout=10).text
    assert "socializer_render_stage_duration_seconds" in {f.name for f in text_string_to_metric_families(video)}

    lines = [orjson.loads(line) for line in system.log("projector").splitlines() if line.startswith("{")]
    assert all({"time", "level", "logger", "message"} <= set(d) and d.get("role") == "projector" for d in lines)


async def test_healthz_is_503_while_a_role_is_down_and_ok_once_it_is_back(system) -> None:  # type: ignore[no-untyped-def]
    async def health() -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as c:
            return await c.get(f"{system.api}/healthz")

    first = await health()
    assert first.json()["roles"].get("projector", {}).get("up", 0) >= 1
    system.kill("projector")
    try:

        async def down() -> bool:
            r = await health()
            return r.status_code == 503 and r.json()["roles"]["projector"]["down"] == 1

        await eventually(down, timeout=90, every=1, what="/healthz to call the killed projector down")
        body = (await health()).json()
        assert body["status"] == "degraded" and body["overdue_posts"] == 0
    finally:
        system.start("projector")

    async def back() -> bool:
        r = await health()
        return r.status_code == 200 and r.json()["roles"]["projector"] == {"up": 1, "down": 0}

    await eventually(back, timeout=90, every=1, what="/healthz ok once the projector beats again")
