"""The sandbox talks back: simulated users' comments and messages reach a registered callback as the
platforms send them — signed with the app's secret, in each platform's payload shape, with the
seeded drops, duplicates and Meta's retries — and the listings a sweep reads return what was said,
page by page, behind each platform's scopes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from sandbox.oauth import identity
from sandbox.scopes import ALL
from sandbox.state import Post, SandboxState
from sandbox.talk import Talk
from socializer.devstack import free_port
from tests.conftest import ServedSandbox

SECRETS = {"facebook": "fb-app-secret", "x": "x-consumer-secret", "tiktok": "tt-client-secret", "linkedin": "li-client-secret"}
VERIFY = "our-verify-token"


class Receiver:
    """A callback that answers each platform's handshake as documented (or wrongly, when told) and
    keeps every POST's raw body and headers; ``fail_next`` answers that many POSTs with a 500."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes, dict[str, str]]] = []
        self.fail_next = 0
        self.wrong = False
        app = FastAPI()

        @app.get("/hook/{platform}")
        async def challenge(platform: str, request: Request) -> Response:
            q = request.query_params
            if "hub.challenge" in q:
                ok = q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == VERIFY and not self.wrong
                return PlainTextResponse(q["hub.challenge"] if ok else "nope", status_code=200 if ok else 403)
            if "crc_token" in q:
                key = b"wrong" if self.wrong else SECRETS["x"].encode()
                token = base64.b64encode(hmac.new(key, q["crc_token"].encode(), hashlib.sha256).digest()).decode()
                return JSONResponse({"response_token": f"sha256={token}"})
            if "challengeCode" in q:
                key = b"wrong" if self.wrong else SECRETS["linkedin"].encode()
                answer = hmac.new(key, q["challengeCode"].encode(), hashlib.sha256).hexdigest()
                return JSONResponse({"challengeCode": q["challengeCode"], "challengeResponse": answer})
            return Response(status_code=400)

        @app.post("/hook/{platform}")
        async def receive(platform: str, request: Request) -> Response:
            self.got.append((platform, await request.body(), dict(request.headers)))
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=500)
            return Response(status_code=200)

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def bodies(self, platform: str) -> list[dict[str, Any]]:
        return [json.loads(body) for p, body, _ in self.got if p == platform]


@pytest.fixture
def site() -> Iterator[ServedSandbox]:
    s = ServedSandbox().start()
    s.register({p: (f"sandbox-{p}", secret, []) for p, secret in SECRETS.items()})
    yield s
    s.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    while not r.server.started:
        time.sleep(0.01)
    yield r
    r.server.should_exit = True
    r.thread.join(5)


def until(check: Callable[[], bool], what: str) -> None:
    """Wait for a background delivery to have happened (a condition, never a duration)."""
    deadline = time.monotonic() + 10
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def settled(site: ServedSandbox) -> bool:
    return httpx.get(f"{site.url}/_sandbox/talk/deliveries").json()["pending"] == 0


def post(site: ServedSandbox, platform: str, account: str, pid: str) -> str:
    r = httpx.post(f"{site.url}/_sandbox/posts", json={"platform": platform, "account": account, "text": "our post", "id": pid})
    r.raise_for_status()
    return pid


def subscribe(site: ServedSandbox, receiver: Receiver, platform: str) -> httpx.Response:
    return httpx.put(f"{site.url}/_sandbox/webhooks/{platform}", json={"url": f"{receiver.url}/{platform}", "verify_token": VERIFY})


def talk(site: ServedSandbox, **event: Any) -> dict[str, Any]:
    r = httpx.post(f"{site.url}/_sandbox/talk", json=event)
    assert r.status_code == 201, r.text
    return dict(r.json())


def token(site: ServedSandbox, provider: str, user: str, without: tuple[str, ...] = ()) -> str:
    scopes = [s for s in ALL[provider] if s not in without]
    r = httpx.post(f"{site.url}/_sandbox/oauth/grants", json={"provider": provider, "user": user, "scopes": scopes})
    return str(r.json()["access_token"])


def test_a_scripted_instagram_comment_arrives_in_metas_shape_signed_with_the_facebook_apps_secret(site, receiver) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000001", "900001")
    assert subscribe(site, receiver, "instagram").json()["verified"] is True
    said = talk(site, platform="instagram", post_id=media, kind="comment", text="Où est le lien ? 🔗", author="chen")
    until(lambda: len(receiver.got) == 1, "the comment's webhook")
    _, body, headers = receiver.got[0]
    expected = hmac.new(SECRETS["facebook"].encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature-256"] == f"sha256={expected}"
    assert body.isascii()  # Meta escapes non-ASCII as \uXXXX: a receiver must hash the raw bytes
    entry = json.loads(body)["entry"][0]
    assert json.loads(body)["object"] == "instagram" and entry["id"] == "17841400000000001"
    change = entry["changes"][0]
    assert change["field"] == "comments"
    assert change["value"]["id"] == said["comment"]["id"]
    assert change["value"]["text"] == "Où est le lien ? 🔗"
    assert change["value"]["media"]["id"] == media and change["value"]["from"]["username"] == "chen"


def test_x_tiktok_and_linkedin_sign_as_each_documents_and_messages_come_in_their_shapes(site, receiver) -> None:  # type: ignore[no-untyped-def]
    me = identity("x", "owner")["id"]
    tweet = post(site, "x", me, "1700000000000000001")
    video = post(site, "tiktok", "-000openid", "7300000000000000001")
    share = post(site, "linkedin", "urn:li:organization:12345", "7100000000000000001")
    for platform in ("x", "tiktok", "linkedin", "facebook"):
        assert subscribe(site, receiver, platform).status_code == 200
    talk(site, platform="x", post_id=tweet, kind="comment", text="@owner nice", author="bo")
    talk(site, platform="x", account=me, kind="message", text="hi there", author="bo")
    talk(site, platform="tiktok", post_id=video, kind="comment", text="first", author="kira")
    talk(site, platform="linkedin", post_id=share, kind="comment", text="Congrats!", author="lea")
    talk(site, platform="facebook", account="104000000000001", kind="message", text="Are you open?", author="mo")
    until(lambda: len(receiver.got) == 5, "five webhooks")
    for platform, body, headers in receiver.got:
        secret = SECRETS[platform].encode()
        if platform == "x":
            digest = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
            assert headers["x-twitter-webhooks-signature"] == f"sha256={digest}"
        elif platform == "tiktok":
            t, s = (part.split("=", 1)[1] for part in headers["tiktok-signature"].split(","))
            assert s == hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
            assert abs(int(t) - time.time()) < 300
        elif platform == "linkedin":
            assert headers["x-li-signature"] == hmac.new(secret, b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        else:
            assert headers["x-hub-signature-256"] == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    reply, dm = receiver.bodies("x")
    assert reply["for_user_id"] == me and reply["tweet_create_events"][0]["in_reply_to_status_id_str"] == tweet
    assert dm["direct_message_events"][0]["message_create"]["message_data"]["text"] == "hi there"
    assert dm["direct_message_events"][0]["message_create"]["target"]["recipient_id"] == me
    (tt,) = receiver.bodies("tiktok")
    assert tt["client_key"] == "sandbox-tiktok" and json.loads(tt["content"])["video_id"] == video
    (li,) = receiver.bodies("linkedin")
    note = li["notifications"][0]
    assert li["type"] == "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS" and note["action"] == "COMMENT"
    assert note["sourcePost"] == f"urn:li:share:{share}" and note["decoratedGeneratedActivity"]["comment"]["text"] == "Congrats!"
    (fb,) = receiver.bodies("facebook")
    messaging = fb["entry"][0]["messaging"][0]
    assert fb["object"] == "page" and messaging["recipient"]["id"] == "104000000000001"
    assert messaging["message"]["text"] == "Are you open?" and messaging["message"]["mid"].startswith("m_")


def test_a_callback_that_fails_the_platforms_handshake_is_refused_and_nothing_is_sent_there(site, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.wrong = True
    for platform in ("instagram", "x", "linkedin"):
        refused = subscribe(site, receiver, platform)
        assert refused.status_code == 400, platform
    assert "Response does not match challenge" in subscribe(site, receiver, "facebook").json()["detail"]
    assert httpx.get(f"{site.url}/_sandbox/webhooks").json() == {}
    wrong_token = httpx.put(f"{site.url}/_sandbox/webhooks/instagram", json={"url": f"{receiver.url}/instagram", "verify_token": "other"})
    receiver.wrong = False
    assert wrong_token.status_code == 400
    media = post(site, "instagram", "17841400000000002", "900002")
    said = talk(site, platform="instagram", post_id=media, text="hello?", author="ana")
    assert said["delivery"]["state"] == "unsubscribed" and receiver.got == []
    assert subscribe(site, receiver, "x").status_code == 200  # answered right, it is accepted


def test_seeded_drops_and_duplicates_strike_the_same_deliveries_on_every_run(site, receiver) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000003", "900003")
    subscribe(site, receiver, "instagram")
    runs = []
    for _ in range(2):
        httpx.put(
            f"{site.url}/_sandbox/talk/faults",
            json={"seed": "talk-faults", "drop": 0.25, "duplicate": 0.25, "reorder": 0.2, "reorder_delay": 0.05},
        )
        before = len(httpx.get(f"{site.url}/_sandbox/talk/deliveries").json()["deliveries"])
        said = [talk(site, platform="instagram", post_id=media, text=f"comment {i}", author="ivo") for i in range(40)]
        until(lambda: settled(site), "every delivery settled")
        runs.append((said, httpx.get(f"{site.url}/_sandbox/talk/deliveries").json()["deliveries"][before:]))
    (said, deliveries), (_, again) = runs
    assert [(d["state"], d["duplicated"], d["delayed"]) for d in deliveries] == [(d["state"], d["duplicated"], d["delayed"]) for d in again]
    dropped = [d for d in deliveries if d["state"] == "dropped"]
    doubled = [d for d in deliveries if d["duplicated"] and d["state"] == "delivered"]
    assert 0 < len(dropped) < 40 and doubled and any(d["delayed"] for d in deliveries)
    expected = {
        s["comment"]["id"]: (0 if d["state"] == "dropped" else 2 if d["duplicated"] else 1) for s, d in zip(said, deliveries, strict=True)
    }

    def received() -> list[str]:
        return [json.loads(b)["entry"][0]["changes"][0]["value"]["id"] for _, b, _ in receiver.got]

    # A duplicate is marked delivered with its first copy; its second copy follows: wait for it.
    until(lambda: all(received().count(cid) >= n for cid, n in expected.items()), "every duplicate's second copy")
    got = received()
    assert set(got) & set(expected) == {cid for cid, n in expected.items() if n}
    assert {cid: got.count(cid) for cid in expected} == expected


def test_meta_retries_a_failed_delivery_until_the_callback_takes_it(site, receiver) -> None:  # type: ignore[no-untyped-def]
    page = "104000000000002"
    fb_post = post(site, "facebook", page, "104000000000002_5")
    subscribe(site, receiver, "facebook")
    httpx.put(f"{site.url}/_sandbox/talk/faults", json={"retry_scale": 0.00001})
    receiver.fail_next = 3
    said = talk(site, platform="facebook", post_id=fb_post, text="retry me", author="gus")
    until(lambda: settled(site), "the delivery settled")
    (d,) = httpx.get(f"{site.url}/_sandbox/talk/deliveries", params={"platform": "facebook"}).json()["deliveries"]
    assert d["state"] == "delivered" and [a["status"] for a in d["attempts"]] == [500, 500, 500, 200]
    bodies = {b for _, b, _ in receiver.got}
    assert len(bodies) == 1  # every retry is the same bytes
    value = json.loads(bodies.pop())["entry"][0]["changes"][0]["value"]
    assert value["item"] == "comment" and value["verb"] == "add" and value["comment_id"] == said["comment"]["id"]
    assert value["post_id"] == fb_post and said["comment"]["id"].startswith(f"{fb_post}_")


def test_the_listings_return_what_was_said_page_by_page(site) -> None:  # type: ignore[no-untyped-def]
    ig, page = "17841400000000004", "104000000000003"
    media, fb_post = post(site, "instagram", ig, "900004"), post(site, "facebook", page, "104000000000003_9")
    me = identity("x", "lister")["id"]
    tweet = post(site, "x", me, "1700000000000000009")
    share = post(site, "linkedin", "urn:li:organization:777", "7100000000000000009")
    video = post(site, "tiktok", "-000lister", "7300000000000000009")
    ids = [talk(site, platform="instagram", post_id=media, text=f"c{i}", author=f"u{i}")["comment"]["id"] for i in range(30)]
    top = talk(site, platform="facebook", post_id=fb_post, text="top", author="ana")["comment"]["id"]
    talk(site, platform="facebook", post_id=fb_post, parent_id=top, text="a reply", author="bo")
    for i in range(12):
        talk(site, platform="x", post_id=tweet, text=f"@lister {i}", author=f"x{i}")
        talk(site, platform="x", account=me, kind="message", text=f"dm {i}", author="dana")
        talk(site, platform="linkedin", post_id=share, text=f"li {i}", author=f"l{i}")
        talk(site, platform="tiktok", post_id=video, text=f"tt {i}", author=f"t{i}")
        talk(site, platform="instagram", account=ig, kind="message", text=f"ig dm {i}", author="eli")
    fb, x, li, tt = (
        token(site, "facebook", "lister"),
        token(site, "x", "lister"),
        token(site, "linkedin", "lister"),
        token(site, "tiktok", "lister"),
    )
    with httpx.Client(base_url=site.url) as c:
        first = c.get(
            f"/instagram/v21.0/{media}/comments", params={"fields": "id,text,username"}, headers={"Authorization": f"Bearer {fb}"}
        ).json()
        assert [x["id"] for x in first["data"]] == ids[:25] and first["data"][0] == {"id": ids[0], "text": "c0", "username": "u0"}
        rest = c.get(first["paging"]["next"].removeprefix(site.url), headers={"Authorization": f"Bearer {fb}"}).json()
        assert [x["id"] for x in rest["data"]] == ids[25:] and "next" not in rest["paging"]
        fb_top = c.get(f"/facebook/v21.0/{fb_post}/comments", headers={"Authorization": f"Bearer {fb}"}).json()["data"]
        assert [(x["id"], x["message"], x["from"]["name"]) for x in fb_top] == [(top, "top", "ana")]
        under = c.get(
            f"/facebook/v21.0/{top}/comments", params={"fields": "id,message,parent"}, headers={"Authorization": f"Bearer {fb}"}
        ).json()
        assert [x["message"] for x in under["data"]] == ["a reply"] and under["data"][0]["parent"] == {"id": top}
        convs = c.get(
            f"/instagram/v21.0/{ig}/conversations",
            params={"platform": "instagram", "fields": "id,participants"},
            headers={"Authorization": f"Bearer {fb}"},
        ).json()
        (conv,) = convs["data"]
        assert conv["participants"]["data"][0]["username"] == "eli"
        msgs = c.get(
            f"/instagram/v21.0/{conv['id']}/messages",
            params={"fields": "id,message,from", "limit": 10},
            headers={"Authorization": f"Bearer {fb}"},
        ).json()
        assert [m["message"] for m in msgs["data"]] == [f"ig dm {i}" for i in range(11, 1, -1)] and "next" in msgs["paging"]

        auth = {"Authorization": f"Bearer {x}"}
        one = c.get(
            f"/x/2/users/{me}/mentions",
            params={"max_results": 5, "tweet.fields": "conversation_id", "expansions": "author_id"},
            headers=auth,
        ).json()
        assert [t["text"] for t in one["data"]] == [f"@lister {i}" for i in range(11, 6, -1)]
        assert one["data"][0]["conversation_id"] == tweet and one["meta"]["result_count"] == 5
        assert one["includes"]["users"][0] == {"id": one["data"][0]["author_id"], "name": "X11", "username": "x11"}
        two = c.get(
            f"/x/2/users/{me}/mentions", params={"max_results": 5, "pagination_token": one["meta"]["next_token"]}, headers=auth
        ).json()
        assert [t["text"] for t in two["data"]] == [f"@lister {i}" for i in range(6, 1, -1)]
        found = c.get("/x/2/tweets/search/recent", params={"query": f"conversation_id:{tweet}", "max_results": 100}, headers=auth).json()
        assert found["meta"]["result_count"] == 12
        dms = c.get("/x/2/dm_events", params={"dm_event.fields": "created_at,dm_conversation_id", "max_results": 10}, headers=auth).json()
        assert [e["text"] for e in dms["data"]] == [f"dm {i}" for i in range(11, 1, -1)]
        assert dms["data"][0]["event_type"] == "MessageCreate" and me in dms["data"][0]["dm_conversation_id"].split("-")
        more = c.get("/x/2/dm_events", params={"max_results": 10, "pagination_token": dms["meta"]["next_token"]}, headers=auth).json()
        assert [e["text"] for e in more["data"]] == ["dm 1", "dm 0"] and "next_token" not in more["meta"]
        bad = c.get("/x/2/dm_events", params={"max_results": 500}, headers=auth)
        assert bad.status_code == 400 and bad.json()["title"] == "Invalid Request"

        li_auth = {"Authorization": f"Bearer {li}", "LinkedIn-Version": "202505"}
        page1 = c.get(f"/linkedin/rest/socialActions/urn:li:share:{share}/comments", params={"count": 10}, headers=li_auth).json()
        assert [e["message"]["text"] for e in page1["elements"]] == [f"li {i}" for i in range(10)]
        assert page1["paging"]["total"] == 12 and page1["paging"]["links"][0]["rel"] == "next"
        assert page1["elements"][0]["commentUrn"].startswith(f"urn:li:comment:(urn:li:share:{share},")

        tt1 = c.get(
            "/tiktok/open_api/v1.3/business/comment/list/",
            params={"business_id": "-000lister", "video_id": video, "max_count": 10},
            headers={"Access-Token": tt},
        ).json()
        assert tt1["code"] == 0 and tt1["data"]["has_more"] is True and len(tt1["data"]["comments"]) == 10
        tt2 = c.get(
            "/tiktok/open_api/v1.3/business/comment/list/",
            params={"business_id": "-000lister", "video_id": video, "max_count": 10, "cursor": tt1["data"]["cursor"]},
            headers={"Access-Token": tt},
        ).json()
        assert [x["text"] for x in tt2["data"]["comments"]] == ["tt 10", "tt 11"] and tt2["data"]["has_more"] is False


def test_a_listing_without_its_scope_is_refused_in_the_platforms_own_words(site) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000005", "900005")
    share = post(site, "linkedin", "urn:li:organization:778", "7100000000000000010")
    video = post(site, "tiktok", "-000scopeless", "7300000000000000010")
    with httpx.Client(base_url=site.url) as c:
        ig = c.get(
            f"/instagram/v21.0/{media}/comments",
            headers={"Authorization": f"Bearer {token(site, 'facebook', 's', ('instagram_manage_comments',))}"},
        )
        assert ig.status_code == 403 and ig.json()["error"]["code"] == 10 and ig.json()["error"]["type"] == "OAuthException"
        messenger = c.get(
            "/facebook/v21.0/104000000000009/conversations",
            headers={"Authorization": f"Bearer {token(site, 'facebook', 's', ('pages_messaging',))}"},
        )
        assert messenger.status_code == 403 and messenger.json()["error"]["code"] == 10
        dms = c.get("/x/2/dm_events", headers={"Authorization": f"Bearer {token(site, 'x', 's', ('dm.read',))}"})
        assert dms.status_code == 403 and dms.json() == {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
        li = c.get(
            f"/linkedin/rest/socialActions/urn:li:share:{share}/comments",
            headers={"Authorization": f"Bearer {token(site, 'linkedin', 's', ('r_organization_social',))}", "LinkedIn-Version": "202505"},
        )
        assert li.status_code == 403 and li.json()["code"] == "ACCESS_DENIED"
        tt = c.get(
            "/tiktok/open_api/v1.3/business/comment/list/",
            params={"business_id": "-000scopeless", "video_id": video},
            headers={"Access-Token": token(site, "tiktok", "s", ("comment.list",))},
        )
        assert tt.json()["code"] == 40001 and "comment.list" in tt.json()["message"]
        unknown = c.get(
            f"/instagram/v21.0/{media}/comments",
            params={"fields": "id,colour"},
            headers={"Authorization": f"Bearer {token(site, 'facebook', 's')}"},
        )
        assert unknown.json()["error"]["message"] == "(#100) Tried accessing nonexisting field (colour) on node type (IGComment)"


def test_the_background_audience_says_the_same_things_under_the_same_seed() -> None:
    def audience(seed: str) -> tuple[list[tuple[str, ...]], set[str]]:
        st = SandboxState()
        for i in range(3):
            st.posts["instagram"][f"90000{i}"] = Post(f"90000{i}", "instagram", "1784", "p", 0.0)
        t = Talk(st, seed)
        for _ in range(30):
            t.random_event("instagram", t.talk_rng)
        said = [(c.kind, c.author_name, c.text, c.post_id) for c in st.comments.values()]
        said += [
            ("message", conv.participant_name, m.text, "story" if m.story_id else "")
            for conv in st.conversations.values()
            for m in conv.messages
        ]
        return said, {d.state for d in t.deliveries}

    (one, states), (again, _), (other, _) = audience("s1"), audience("s1"), audience("s2")
    assert one == again and one != other
    assert len(one) == 30 and {kind for kind, *_ in one} >= {"comment", "message"}
    assert states == {"unsubscribed"}  # nothing registered: recorded for the sweep, sent nowhere
