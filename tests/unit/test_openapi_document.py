"""The API's document says what each answer is: errors as ``application/problem+json``, but
``/healthz``'s 503 as the same JSON report its 200 is (schemathesis holds the server to it)."""

from __future__ import annotations

from adapters.voice import ToneSynthesizer
from socializer.http.app import create_api
from socializer.settings import Settings


def test_errors_are_problems_and_the_health_report_is_json_either_way() -> None:
    spec = create_api(Settings(), {}, ToneSynthesizer()).openapi()
    health = spec["paths"]["/healthz"]["get"]["responses"]
    assert set(health["503"]["content"]) == {"application/json"}
    assert health["503"]["content"]["application/json"]["schema"] == health["200"]["content"]["application/json"]["schema"]
    posts = spec["paths"]["/api/v1/social/posts/"]["post"]["responses"]
    errors = [code for code in posts if code[:1] in ("4", "5")]
    assert errors and all(set(posts[c]["content"]) == {"application/problem+json"} for c in errors)
