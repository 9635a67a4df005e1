"""Automations: how long a comment waits for its automated reply (goal: p99 comment-to-send <= 3 s
under budget), beside the same reply call made directly by the platform client, in the same run.

The real path, with the roles as ``socializer up`` runs them (projector, worker, API as processes
on an embedded broker and Postgres) and the sandbox in this process: a simulated user comments on an
Instagram post; the sandbox tells ``/webhooks/instagram/`` by a signed webhook; receive turns it into
``CommentReceived``; automate matches the active automation (a keyword, a flow of one public reply)
and records the reply attempt; answer sends it on its tick; the sandbox takes the reply. Latency is
the sandbox's own clock from the comment's creation to the reply's, so nothing of the driver counts.
Open loop: comment ``i`` is made at ``start + i / rate`` whatever happened before, at a rate far
under any budget (public replies have none on Instagram; the workers are not the limit).

Raw baseline: the same reply call (``InstagramClient.send_reply``, the worker's HTTP client settings)
made directly against the same sandbox, one at a time: what the platform call itself costs. The
ratio says what the pipeline adds to it (ticks, the broker, the read model the reply store checks).
Run: ``python -m bench.run --only automations [--smoke]``; ``python -m bench.automations`` alone.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

Line = Callable[[str, str, str, str, str, bool], None]
SITE = "bench-auto"
USER = "bench-ig"  # the sandbox user whose Instagram business account is connected
KEYWORD = "price"
REPLY = "Thanks {{name}}! The price list is on its way."
WARM = 10


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=1000)[int(q * 1000) - 1] if len(xs) > 1 else (xs[0] if xs else 0.0)


class Sandbox:
    """The sandbox app served on a free port from a thread of this process: its state (when each
    comment and reply was made) is read directly."""

    def __init__(self, port: int) -> None:
        import uvicorn

        from sandbox.app import create_sandbox

        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.app = create_sandbox()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="error", timeout_keep_alive=30))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Sandbox:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    @property
    def state(self) -> Any:
        return self.app.state.talk.st

    def replies(self, cid: str, by: str) -> list[Any]:
        st = self.state
        return [st.comments[r] for r in st.comments[cid].replies if st.comments[r].author_id == by]


async def connect(api: httpx.AsyncClient) -> dict[str, Any]:
    """The OAuth flow from the API alone, as a person connects an account (inbox included)."""
    r = await api.post("/api/v1/social/accounts/connect/instagram/", json={"account_type": "business", "features": ["publish", "inbox"]})
    assert r.status_code == 201, r.text
    consent = await api.get(f"{r.json()['authorization_url']}&sandbox_user={USER}")
    assert consent.status_code == 302, consent.text
    done = await api.get(consent.headers["location"])
    assert done.status_code == 201, done.text
    return dict(done.json()["results"][0])


async def automation(api: httpx.AsyncClient, account_id: str) -> str:
    definition = {
        "name": "bench price list",
        "trigger": {"on": ["comment"], "keywords": [KEYWORD], "account_ids": [account_id], "once_per_user": False},
        "nodes": [{"type": "public_reply", "id": "answer", "text": REPLY}],
        "start": "answer",
    }
    r = await decided(lambda: api.post("/api/v1/social/automations/", json=definition, headers={"Idempotency-Key": "bench-create"}))
    assert r.status_code == 201, r.text
    automation_id = str(r.json()["automation_id"])
    r = await decided(lambda: api.post(f"/api/v1/social/automations/{automation_id}/activate/", headers={"Idempotency-Key": "bench-on"}))
    assert r.status_code == 200, r.text
    return automation_id


async def decided(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A command's answer once its writer decided (a worker still joining its group answers
    ``pending``; the same Idempotency-Key asks again for the first answer)."""
    deadline = time.monotonic() + 90
    while True:
        r = await send()
        if not (r.status_code == 202 and r.json().get("status") == "pending") or time.monotonic() > deadline:
            return r
        await asyncio.sleep(1)


async def comment(sbx: httpx.AsyncClient, media: str, i: int, tag: str) -> str:
    r = await sbx.post(
        "/_sandbox/talk",
        json={
            "platform": "instagram",
            "post_id": media,
            "kind": "comment",
            "text": f"What's the {KEYWORD}? {tag}{i}",
            "author": f"{tag}{i}",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["comment"]["id"])


async def open_loop(sbx: httpx.AsyncClient, media: str, rate: float, n: int, tag: str) -> list[str]:
    """``n`` comments, comment ``i`` due at ``start + i / rate`` (each made by its own task)."""
    start = time.perf_counter()
    tasks = []
    for i in range(n):
        if (wait := start + i / rate - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(comment(sbx, media, i, tag)))
    return list(await asyncio.gather(*tasks))


async def answered(sandbox: Sandbox, cids: list[str], by: str, timeout: float) -> list[float]:
    """Each comment's comment-to-send seconds once every one has its reply (a missing one: inf)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(sandbox.replies(c, by) for c in cids):
        await asyncio.sleep(0.2)
    st = sandbox.state
    out = []
    for c in cids:
        mine = sandbox.replies(c, by)
        out.append(mine[0].created_at - st.comments[c].created_at if mine else float("inf"))
    return out


async def raw_calls(sandbox: Sandbox, sbx: httpx.AsyncClient, media: str, ig_user: str, n: int) -> list[float]:
    """The same reply, sent by the platform client straight to the sandbox, one call at a time."""
    from adapters.platforms.facebook import InstagramClient
    from adapters.ports import OutgoingReply
    from domain.accounts import Account
    from socializer.bootstrap import platform_http
    from socializer.settings import Settings

    settings = Settings(sandbox_port=sandbox.port)
    grant = await sbx.post("/_sandbox/oauth/grants", json={"provider": "facebook", "user": USER})
    grant.raise_for_status()
    account = Account(
        account_id="raw",
        platform="instagram",
        platform_account_id=ig_user,
        handle=USER,
        account_type="business",
        access_token=grant.json()["access_token"],
    )
    http = platform_http(settings)
    client = InstagramClient(http, settings.platform_base_url("instagram"))
    try:
        out = []
        for i in range(n + WARM):
            cid = await comment(sbx, media, i, "raw")
            reply = OutgoingReply(
                reply_id=uuid.uuid4().hex, action="reply", text=f"Thanks raw{i}!", target={"comment_id": cid, "post_id": media}
            )
            t0 = time.perf_counter()
            await client.send_reply(account, reply)
            if i >= WARM:
                out.append(time.perf_counter() - t0)
        return out
    finally:
        await http.aclose()


def bench_automations(rate: float, seconds: float, tmp: Path, line: Line, vault_keys: str) -> None:
    from bench.roles import roles
    from socializer.bootstrap import sandbox_apps
    from socializer.devstack import free_port
    from socializer.settings import Settings

    n = max(2, int(rate * seconds))
    sandbox = Sandbox(free_port()).start()
    sites = tmp / "auto-sites.json"
    sites.write_text(json.dumps({"sites": [{"site_id": SITE, "timezone": "UTC", "auto_social_publish": False}]}))
    extra = {"SOCIALIZER_SANDBOX_PORT": str(sandbox.port), "SOCIALIZER_SITES_FILE": str(sites), "SOCIALIZER_OUTBOUND_ALLOW": "loopback"}
    try:
        system = roles("auto", tmp, vault_keys, env=extra)
    except BaseException:
        sandbox.stop()
        raise
    stack, api_port = system.stack, system.api_port
    try:
        for provider, (cid, secret, uris) in sandbox_apps(Settings(api_port=api_port, sandbox_port=sandbox.port)).items():
            httpx.post(
                f"{sandbox.url}/_sandbox/oauth/clients",
                json={"provider": provider, "client_id": cid, "client_secret": secret, "redirect_uris": uris},
            ).raise_for_status()
        system.serve("projector", "worker", "api")
        auth = {"Authorization": f"Bearer {asyncio.run(system.api_key(SITE))}"}

        async def run() -> tuple[list[float], list[float], int]:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", headers=auth, timeout=30) as api,
                httpx.AsyncClient(base_url=sandbox.url, timeout=30, limits=httpx.Limits(max_connections=64)) as sbx,
            ):
                acct = await connect(api)
                ig_user = acct["platform_account_id"]
                made = await sbx.post("/_sandbox/posts", json={"platform": "instagram", "account": ig_user, "text": "Spring collection"})
                made.raise_for_status()
                media = made.json()["id"]
                raw = await raw_calls(sandbox, sbx, media, ig_user, n)  # before the webhook: these trigger nothing
                hook = await sbx.put(
                    "/_sandbox/webhooks/instagram",
                    json={"url": f"http://127.0.0.1:{api_port}/webhooks/instagram/", "verify_token": "sandbox-meta-verify-token"},
                )
                assert hook.status_code == 200, hook.text
                await automation(api, acct["account_id"])
                warm = await open_loop(sbx, media, min(rate, 5.0), WARM, "warm")
                await answered(sandbox, warm, ig_user, 120)
                cids = await open_loop(sbx, media, rate, n, "buyer")
                ours = await answered(sandbox, cids, ig_user, 60 + seconds)
                twice = sum(1 for c in cids if len(sandbox.replies(c, ig_user)) > 1)
                return ours, raw, twice

        ours, raw, twice = asyncio.run(run())
        lost = sum(1 for x in ours if x == float("inf"))
        done = [x for x in ours if x != float("inf")]
        p50, p99, raw_p50, raw_p99 = pct(done, 0.5), pct(done, 0.99), pct(raw, 0.5), pct(raw, 0.99)
        ok = lost == 0 and twice == 0 and p99 <= 3.0
        line(
            f"automation comment->send p99 ({n})",
            f"{p99 * 1000:,.0f} ms" if done else "none sent",
            f"{raw_p99 * 1000:.1f} ms",
            f"{p99 / raw_p99:,.0f}x" if done else "-",
            "<= 3 s",
            ok,
        )
        print(
            f"{'':<34} ({n} comments at {rate:g}/s, {lost} unanswered, {twice} answered twice; p50 {p50 * 1000:,.0f} ms"
            f" vs raw {raw_p50 * 1000:.1f} ms; raw = the platform client's reply call alone)",
            flush=True,
        )
    finally:
        sandbox.stop()
        stack.stop()


if __name__ == "__main__":  # python -m bench.automations [--smoke]: this figure alone
    import subprocess

    subprocess.run([sys.executable, "-m", "bench.run", "--only", "automations", *sys.argv[1:]], check=False)
