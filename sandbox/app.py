"""The sandbox HTTP app (one process, in-memory state shared by every platform).

Operator endpoints, outside any platform's namespace:
    GET  /_sandbox/posts?platform=        what was posted (the exactly-once check reads this)
    POST /_sandbox/faults                 {"platform", "mode": rate_limit|error|hang_after_accept|none,
                                           "times": n, "retry_after": s, "hang_seconds": s,
                                           "after": n (creates that pass first)}
    POST /_sandbox/reset                  forget posts and faults
    /_sandbox/oauth/...                   clients, grants, expiry, revocation: see sandbox/oauth.py
"""

from __future__ import annotations

from fastapi import FastAPI

from sandbox import operator
from sandbox.oauth import Client as OAuthClientApp
from sandbox.oauth import install as install_oauth
from sandbox.platforms import Plumbing, linkedin, meta, tiktok, x
from sandbox.state import SandboxState


def create_sandbox(growth_seconds: float = 600.0, apps: dict[str, tuple[str, str, list[str]]] | None = None) -> FastAPI:
    """``apps``: provider -> (client id, client secret, redirect URIs) registered from the start."""
    app = FastAPI(title="Socializer platform sandbox", version="1")
    st = SandboxState(growth_seconds)
    for provider, (cid, secret, uris) in (apps or {}).items():
        st.oauth.clients[(provider, cid)] = OAuthClientApp(provider, cid, secret, set(uris))
    app.state.sandbox = st
    install_oauth(app, st.oauth)  # first: /facebook/{v}/me must win over the Graph API's /{node}
    p = Plumbing(st)
    operator.install(app, st)
    for platform in (x, linkedin, meta, tiktok):
        platform.install(app, st, p)
    return app
