"""Bulk import on the running system: a 1,000-row CSV previewed, imported through the posts' single
writer, imported again (nothing new); a bad row refuses the whole file at its row and column unless
partial=true; bulk schedule previews too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.conftest import System, eventually

pytestmark = pytest.mark.integration
IMPORT = "/api/v1/social/posts/import/"
CSV = {"content-type": "text/csv"}


def thousand_rows(system: System) -> str:
    """1,000 LinkedIn and X rows a year ahead, an hour apart per account (inside any cap and cooldown)."""
    start = datetime(datetime.now(UTC).year + 1, 1, 5, 6, 0, tzinfo=UTC)
    lines = ["account,text,link,time,post_type"]
    for i in range(1000):
        account = system.accounts["bulk-x" if i % 2 else "bulk-linkedin"]
        at = start + timedelta(hours=i // 2 * 5)
        lines.append(f"{account},Import row {i}: what we learned this week,https://blog.example/bulk/{i},{at.isoformat()},announcement")
    return "\n".join(lines) + "\n"


async def test_a_thousand_rows_previewed_imported_and_imported_again_create_nothing_new(system: System) -> None:
    body = thousand_rows(system)
    async with system.client("bulk", timeout=60) as c:
        dry = await c.post(IMPORT, params={"dry_run": "true"}, content=body, headers=CSV)
        assert dry.status_code == 200, dry.text
        preview = dry.json()
        assert preview["summary"] == {"create": 1000} and preview["count"] == 1000
        assert all(r["scheduled_at"] and r["slot"] == "given" for r in preview["results"])
        assert (await system.sql("SELECT count(*) AS n FROM posts WHERE site_id = 'bulk'"))[0]["n"] == 0  # a dry run creates nothing

        first = await c.post(IMPORT, params={"wait": "true"}, content=body, headers=CSV)
        assert first.status_code == 202, first.text
        assert first.json()["summary"] == {"create": 1000, "accepted": 1000}, first.json()["summary"]
        ids = {r["post_id"] for r in first.json()["results"]}
        assert ids == {r["post_id"] for r in preview["results"]}

        async def all_there() -> bool:
            rows = await system.sql("SELECT count(*) AS n FROM posts WHERE site_id = 'bulk' AND status = 'scheduled'")
            return rows[0]["n"] == 1000

        await eventually(all_there, timeout=60, what="1,000 imported posts in the read model")

        again = await c.post(IMPORT, content=body, headers=CSV)
        assert again.status_code == 202, again.text
        assert again.json()["summary"] == {"exists": 1000}
        assert (await system.sql("SELECT count(*) AS n FROM posts WHERE site_id = 'bulk'"))[0]["n"] == 1000


async def test_an_over_limit_x_text_is_refused_at_its_row_and_column_and_nothing_is_imported(system: System) -> None:
    soon = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0).isoformat()
    long = "too long " * 40
    rows = [
        {"account": system.accounts["bulk-linkedin"], "text": "A fine LinkedIn post", "time": soon},
        {"platform": "x", "text": long, "time": "next"},
        {"platform": "x", "text": "A fine tweet", "link": "https://blog.example/p"},
    ]
    async with system.client("bulk") as c:
        r = await c.post(IMPORT, json={"rows": rows})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["errors"] == [{"row": 2, "column": "text", "detail": problem["errors"][0]["detail"]}]
        assert "over x's 280" in problem["errors"][0]["detail"] and problem["field"] == "text"
        posts = await c.get("/api/v1/social/posts/", params={"platform": "linkedin", "date_from": soon, "limit": 5})
        assert posts.json()["total"] == 0

        partial = await c.post(IMPORT, params={"partial": "true", "wait": "true"}, json={"rows": rows})
        assert partial.status_code == 202, partial.text
        results = partial.json()["results"]
        assert [x["action"] for x in results] == ["create", "invalid", "create"]
        assert [x["outcome"] for x in results] == ["accepted", None, "accepted"]
        assert results[2]["scheduled_at"] is None  # no time: a draft
        drafted = await c.get(f"/api/v1/social/posts/{results[2]['post_id']}/")
        assert drafted.json()["status"] == "draft" and "utm_source=x" in drafted.json()["text"]


async def test_a_csv_file_upload_previews_slots_and_bulk_schedule_previews_without_changing_a_post(system: System) -> None:
    x = system.accounts["bulk-x"]
    csv = f"account,text,time\n{x},First of two on the next slots,next\n{x},Second of two on the next slots,next\n"
    async with system.client("bulk") as c:
        dry = await c.post(IMPORT, params={"dry_run": "true"}, files={"file": ("posts.csv", csv, "text/csv")})
        assert dry.status_code == 200, dry.text
        a, b = dry.json()["results"]
        assert a["slot"] == b["slot"] == "next" and a["scheduled_at"] < b["scheduled_at"]
        made = await c.post(IMPORT, params={"wait": "true"}, files={"file": ("posts.csv", csv.replace(",next", ","), "text/csv")})
        ids = [x["post_id"] for x in made.json()["results"]]
        preview = await c.post("/api/v1/social/posts/bulk-schedule/", params={"dry_run": "true"}, json={"post_ids": [*ids, "nope"]})
        assert preview.status_code == 200, preview.text
        out = preview.json()["results"]
        assert [x["outcome"] for x in out] == ["would_schedule", "would_schedule", "refused"]
        assert out[0]["scheduled_at"] < out[1]["scheduled_at"] and out[2]["problem"]["status"] == 404
        for pid in ids:
            assert (await c.get(f"/api/v1/social/posts/{pid}/")).json()["status"] == "draft"
