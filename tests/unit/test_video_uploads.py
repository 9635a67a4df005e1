"""The upload adapters against the sandbox's upload protocols (YouTube resumable, Instagram Reels,
TikTok FILE_UPLOAD), over HTTP, with every fault of the acceptance matrix injected 100 times across
the three platforms at a drawn chunk: no duplicate video, every upload complete or refused with its
reason, the stored bytes the file's own, no resume re-sending more than a chunk, and never a request
the platform refuses as malformed. The draws (which chunk each fault strikes, the file's bytes) come
from ``random.Random(seed)``, the ``seed`` fixture: the same on every run, and named in a failure's
message (with the upload, platform and chunk), so running the test again replays the failing upload."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.exceptions import RateLimited, Rejected
from adapters.uploads import MemorySessions, OutgoingVideo, VideoFile, tag_for
from adapters.uploads.instagram import ReelsUploader
from adapters.uploads.tiktok import TikTokUploader, plan
from adapters.uploads.youtube import YouTubeUploader
from domain.accounts import Account

SCALE = 1024  # 256 KiB chunks become 256 B, TikTok's 5 MB 5 KiB: small files through every multi-chunk path
SIZE = 40_000
MODES = ("drop", "error", "expire", "hang", "quota")
PROVIDER = {"youtube": "youtube", "instagram": "facebook", "tiktok": "tiktok"}
# 400s that say where the platform stands (an injected expiry, a limit reached), not that a request was malformed.
STATES = ("has expired", "2207042", "spam_risk")


@pytest.fixture(scope="module")
def site(sandbox) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    httpx.post(f"{sandbox.url}/_sandbox/uploads", json={"scale": SCALE}).raise_for_status()
    yield sandbox
    httpx.post(f"{sandbox.url}/_sandbox/uploads", json={"scale": 1}).raise_for_status()
    for platform in PROVIDER:
        sandbox.fault(platform, "none", target="upload")


class Wire:
    """Every request the adapters send and what came back (bytes out per upload, refusals)."""

    def __init__(self) -> None:
        self.sent = 0
        self.refused: list[str] = []

    async def request(self, request: httpx.Request) -> None:
        if (
            request.method in ("PUT", "POST")
            and request.headers.get("content-type", "").startswith("video/")
            or "rupload" in str(request.url)
        ):
            self.sent += len(request.content)

    async def response(self, response: httpx.Response) -> None:
        if response.status_code == 400:
            await response.aread()
            if not any(state in response.text for state in STATES):
                self.refused.append(f"{response.request.method} {response.request.url.path}: {response.text[:200]}")


def uploader(platform: str, http: httpx.AsyncClient, base: str) -> Any:
    u: Any
    if platform == "youtube":
        u = YouTubeUploader(http, f"{base}/youtube", scale=SCALE)
    elif platform == "instagram":
        u = ReelsUploader(http, f"{base}/instagram/v21.0", scale=SCALE)
    else:
        u = TikTokUploader(http, f"{base}/tiktok", scale=SCALE)
    u.backoff = 0.0
    if hasattr(u, "poll_interval"):
        u.poll_interval = 0.0
    return u


def account(site: Any, platform: str, n: int, mode: str = "") -> Account:
    user = f"up-{platform}-{mode}-{n}-{os.getpid()}"
    acct = Account(account_id=f"acct-{user}", platform=platform, platform_account_id=f"ig-{user}", handle=user, site_id="s1")
    return acct.model_copy(update={"access_token": site.mint(PROVIDER[platform], user)})


def video(effect: str, acct: Account) -> OutgoingVideo:
    return OutgoingVideo(
        effect_id=effect, tag=tag_for(effect, acct.account_id), title="Replay, narrated", description=f"Replay rebuilds every view. {effect}",
        video_url="unused", tags=("event sourcing",), privacy="public",
    )  # fmt: skip


def chunks(platform: str) -> int:
    """How many chunks the adapter sends the file in."""
    return plan(SIZE, SCALE)[1] if platform == "tiktok" else -(-SIZE // chunk_of(platform))


def chunk_of(platform: str) -> int:
    """The largest chunk the adapter sends (TikTok's last one absorbs the remainder)."""
    chunk, count = plan(SIZE, SCALE)
    return {"youtube": 32 * 256 * 1024 // SCALE, "instagram": (8 << 20) // SCALE, "tiktok": SIZE - chunk * (count - 1)}[platform]


async def one(site: Any, platform: str, mode: str, n: int, after: int, data: bytes, clip: VideoFile) -> tuple[str, int, Wire]:
    """One upload with ``mode`` armed to strike after ``after`` chunks; (the outcome, the bytes sent, the wire)."""
    wire = Wire()
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(0.5, connect=2.0), event_hooks={"request": [wire.request], "response": [wire.response]}
    ) as http:
        up = uploader(platform, http, site.url)
        acct = account(site, platform, n, mode)
        effect = f"post-{platform}-{mode}-{n}"
        sessions = MemorySessions()
        await asyncio.to_thread(site.fault, platform, mode, target="upload", times=1, after=after, hang_seconds=0.8)
        outcome = "published"
        try:
            ref = await up.upload(acct, video(effect, acct), sessions, clip)
        except RateLimited as err:  # a quota: a stated reason, nothing created; the next try goes through
            assert mode == "quota", err
            outcome = "deferred"
            await asyncio.to_thread(site.fault, platform, "none", target="upload")
            ref = await up.upload(acct, video(effect, acct), sessions, clip)
        except Rejected as err:  # TikTok's spam verdict: refused with its reason, never retried
            assert mode == "quota" and err.code == "spam_risk_too_many_posts", err
            await asyncio.to_thread(site.fault, platform, "none", target="upload")
            assert [p for p in await asyncio.to_thread(site.posts, platform) if p["account"] == _owner(platform, acct)] == []
            return "refused", 0, wire
        await asyncio.to_thread(site.fault, platform, "none", target="upload")
        mine = [
            p for p in await asyncio.to_thread(site.posts, platform) if p["account"] in (acct.platform_account_id, _owner(platform, acct))
        ]
        assert [p["id"] for p in mine] == [ref.platform_post_id], (platform, mode, mine)  # exactly one video, the one we were told
        assert mine[0]["sha256"] == hashlib.sha256(data).hexdigest() and mine[0]["size"] == SIZE  # the file's own bytes, once
        return outcome, wire.sent, wire


def _owner(platform: str, acct: Account) -> str:
    from sandbox.oauth import identity

    user = acct.handle
    return {"youtube": lambda: identity("youtube", user)["channel"], "tiktok": lambda: identity("tiktok", user)["open_id"]}.get(
        platform, lambda: acct.platform_account_id
    )()


@pytest.mark.parametrize("mode", MODES)
async def test_each_fault_100_times_across_the_platforms_makes_no_duplicate(site: Any, mode: str, seed: str) -> None:
    rng = random.Random(seed)  # which chunk each fault strikes, and the file's bytes: fixed, and named below
    data = rng.randbytes(SIZE)
    clip = VideoFile.of(data)
    platforms = ("youtube", "instagram", "tiktok")
    outcomes: dict[str, int] = {}
    refused: list[str] = []
    # Where each fault strikes is drawn in upload order, then each platform's uploads run in turn while
    # the three platforms run side by side (a fault is armed per platform, so lanes never share one).
    plans = [(n, platforms[n % 3]) for n in range(100)]
    afters = [0 if mode == "quota" else rng.randrange(chunks(platform)) for n, platform in plans]

    async def lane(platform: str) -> None:
        for (n, p), after in zip(plans, afters, strict=True):
            if p != platform:
                continue
            where = f"seed {seed!r}: upload {n}, {platform}, {mode!r} after chunk {after}"
            try:
                outcome, sent, wire = await one(site, platform, mode, n, after, data, clip)
            except BaseException as err:
                err.add_note(where)  # which upload, so the failure can be replayed
                raise
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            refused.extend(f"{where}: {r}" for r in wire.refused)
            # A resume re-sends at most one chunk; an expired session took its bytes with it (a new one starts at 0).
            resent = sent - SIZE - (SIZE if mode == "expire" else 0)
            assert resent <= chunk_of(platform), f"{where}: re-sent {resent} bytes"

    try:
        await asyncio.gather(*(lane(p) for p in platforms))
    finally:
        clip.close()
    assert refused == [], f"seed {seed!r}"  # the adapters never send what the platforms refuse as malformed
    assert sum(outcomes.values()) == 100, f"seed {seed!r}: {outcomes}"
    if mode == "quota":  # YouTube at the session, Instagram at publish: deferred; TikTok's spam verdict: refused
        assert outcomes == {"deferred": 67, "refused": 33}, f"seed {seed!r}"


async def test_the_sandbox_refuses_what_the_platforms_refuse(site: Any) -> None:
    acct = account(site, "youtube", 9001)
    async with httpx.AsyncClient(timeout=10) as http:
        yt = await http.post(
            f"{site.url}/youtube/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
            json={"snippet": {"title": "t"}, "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False}},
            headers={
                "Authorization": f"Bearer {acct.access_token}",
                "X-Upload-Content-Length": "2000",
                "X-Upload-Content-Type": "video/mp4",
            },
        )
        odd = await http.put(yt.headers["location"], content=b"x" * 300, headers={"Content-Range": "bytes 0-299/2000"})
        assert odd.status_code == 400 and "multiple of 256" in odd.text  # a non-final chunk not in 256 KiB units (scaled)
        no_kids = await http.post(
            f"{site.url}/youtube/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
            json={"snippet": {"title": "t"}, "status": {"privacyStatus": "public"}},
            headers={
                "Authorization": f"Bearer {acct.access_token}",
                "X-Upload-Content-Length": "2000",
                "X-Upload-Content-Type": "video/mp4",
            },
        )
        assert no_kids.status_code == 400 and "selfDeclaredMadeForKids" in no_kids.text

        tt = account(site, "tiktok", 9002)
        auth = {"Authorization": f"Bearer {tt.access_token}"}
        early = await http.post(f"{site.url}/tiktok/v2/post/publish/video/init/", json={}, headers=auth)
        assert early.status_code == 400 and "creator_info" in early.text  # creator_info comes first
        await http.post(f"{site.url}/tiktok/v2/post/publish/creator_info/query/", json={}, headers=auth)
        bad = await http.post(
            f"{site.url}/tiktok/v2/post/publish/video/init/",
            json={"post_info": {"title": "t", "privacy_level": "SELF_ONLY"},
                  "source_info": {"source": "FILE_UPLOAD", "video_size": 40_000, "chunk_size": 6_000, "total_chunk_count": 7}},
            headers=auth,
        )  # fmt: skip
        assert bad.status_code == 400 and "floor" in bad.json()["error"]["message"]  # 40000 // 6000 = 6 chunks, not 7

        ig = account(site, "instagram", 9003)
        made = await http.post(
            f"{site.url}/instagram/v21.0/{ig.platform_account_id}/media",
            data={"media_type": "REELS", "upload_type": "resumable", "caption": "c"},
            headers={"Authorization": f"Bearer {ig.access_token}"},
        )
        soon = await http.post(
            f"{site.url}/instagram/v21.0/{ig.platform_account_id}/media_publish",
            data={"creation_id": made.json()["id"]},
            headers={"Authorization": f"Bearer {ig.access_token}"},
        )
        assert soon.status_code == 400 and soon.json()["error"]["error_subcode"] == 2207027  # not FINISHED: not publishable


async def test_a_spam_verdict_is_a_refusal_with_its_reason_not_a_retry(site: Any, seed: str) -> None:
    clip = VideoFile.of(random.Random(seed).randbytes(SIZE))
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            up = uploader("tiktok", http, site.url)
            acct = account(site, "tiktok", 9100)
            await asyncio.to_thread(site.fault, "tiktok", "quota", target="upload", times=1)
            with pytest.raises(Rejected, match="posted too many times") as refused:
                await up.upload(acct, video("spam-1", acct), MemorySessions(), clip)
            assert refused.value.code == "spam_risk_too_many_posts"
    finally:
        clip.close()
