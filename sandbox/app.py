"""The sandbox HTTP app (one process, in-memory state shared by every platform).

Operator endpoints, outside any platform's namespace:
    GET  /_sandbox/posts?platform=        what was posted (the exactly-once check reads this)
    POST /_sandbox/faults                 {"platform", "mode": rate_limit|error|hang_after_accept|none,
                                           "times": n, "retry_after": s, "hang_seconds": s,
                                           "after": n (creates that pass first)}
    POST /_sandbox/faults                 {"platform": youtube|instagram|tiktok, "target": "upload",
                                           "mode": drop|error|expire|hang|quota, ...}: the video upload protocols' faults
    POST /_sandbox/faults                 {"platform", "target": "replies", "mode": rate_limit|error|hang_after_accept, ...}:
                                          a fault for replies, private replies, DMs and hides only (not publishes)
    POST /_sandbox/uploads                {"scale": n, "youtube_verified": bool, "tiktok_audited": bool}
    POST /_sandbox/posts                  {"platform", "account", "text", "created_at": unix s | RFC 3339, "id"?, "extra"?}:
                                          a post made at a past time, as the platform would hold it (history for tests)
    GET  /_sandbox/accounts/{platform}/{account}/curve
                                          the account's hidden response curve (its seeded default until set)
    PUT  /_sandbox/accounts/{platform}/{account}/curve
                                          {"timezone": str, "curve": [[float × 24] × 7]} log multipliers over
                                          weekday (Monday first) × local hour, or {"peak_hour": 19}; kept across restarts
    POST /_sandbox/reset                  forget posts, comments, conversations and faults (curves and webhooks stay)
    /_sandbox/oauth/...                   clients, grants, expiry, revocation: see sandbox/oauth.py
    /_sandbox/talk/..., /_sandbox/webhooks/...
                                          simulated users and the signed webhooks that tell of them: see sandbox/talk.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI, Request

from sandbox import operator, talk
from sandbox.oauth import Client as OAuthClientApp
from sandbox.oauth import install as install_oauth
from sandbox.platforms import Plumbing, linkedin, listings, meta, replies, tiktok, uploads, x
from sandbox.state import SandboxState


def create_sandbox(
    growth_seconds: float = 600.0,
    apps: dict[str, tuple[str, str, list[str]]] | None = None,
    state_file: Path | None = None,
    talk_seed: str = "sandbox",
) -> FastAPI:
    """``apps``: provider -> (client id, client secret, redirect URIs) registered from the start.
    ``state_file``: where the platforms keep their posts and tokens across restarts, as real ones do;
    written before a changing request is answered, so a killed sandbox forgets nothing it confirmed.
    ``talk_seed``: the seed of the simulated audience and of its webhook faults (:mod:`sandbox.talk`)."""
    app = FastAPI(title="Socializer platform sandbox", version="1")
    st = SandboxState(growth_seconds)
    if state_file is not None and state_file.exists():
        st.load(state_file.read_bytes())
    if state_file is not None:
        keep(app, st, state_file)
    for provider, (cid, secret, uris) in (apps or {}).items():
        st.oauth.clients[(provider, cid)] = OAuthClientApp(provider, cid, secret, set(uris))
    app.state.sandbox = st
    install_oauth(app, st.oauth, st.followers)  # first: /facebook/{v}/me must win over the Graph API's /{node}
    p = Plumbing(st)
    operator.install(app, st)
    app.state.talk = audience = talk.Talk(st, talk_seed)
    talk.install(app, st, audience)
    for platform in (x, linkedin, meta, tiktok, uploads, listings):
        platform.install(app, st, p)
    replies.install(app, st, p)  # the inbox's replies, DMs and hides
    return app


def keep(app: FastAPI, st: SandboxState, state_file: Path) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    last = [st.dump()]
    writing = asyncio.Lock()  # one writer of the file at a time; the snapshot itself is taken on the loop

    def write(blob: bytes) -> None:
        tmp = state_file.with_suffix(".tmp")
        tmp.write_bytes(blob)
        tmp.replace(state_file)

    @app.middleware("http")
    async def save(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        async with writing:
            blob = st.dump()
            if blob != last[0]:
                await asyncio.to_thread(write, blob)  # file I/O off the event loop
                last[0] = blob
        return response
