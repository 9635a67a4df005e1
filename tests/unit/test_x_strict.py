"""X as strict as X, and the X adapter surviving it: links come back as ``t.co`` with their
entities, a repeated tweet is refused, windows run out, and every request the adapter sends is
checked against X's OpenAPI document (../shared/specs/x-api-v2-openapi.json) with a JSON-schema
validator of its own (jsonschema_rs), not the sandbox's.

The Meta usage headers and throttling are here too: they are the other half of the rate windows."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from adapters.exceptions import OutcomeUnknown, RateLimited, Rejected
from adapters.platforms import clients_for
from adapters.platforms.base import OutgoingPost
from adapters.platforms.ratelimit import RateWindows, attach
from domain.accounts import Account
from sandbox.oauth import identity
from sandbox.platforms.meta_usage import BUC_CALLS_PER_DAY
from tests.conftest import ServedSandbox

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "specs" / "x-api-v2-openapi.json"
VENDORED = ROOT / "sandbox" / "specs" / "x-api-v2-openapi.json"
LINK = "https://blog.example.com/strict-sandbox?utm_source=x&utm_medium=social&utm_campaign=socializer"


class Recording(httpx.AsyncBaseTransport):
    """Sends for real and keeps every request, body read, for the OpenAPI check."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@cache
def spec() -> dict[str, Any]:
    return dict(json.loads(SPEC.read_text()))


@cache
def validator(schema_json: str) -> Any:
    root = {**json.loads(schema_json), "components": spec()["components"]}  # so "#/components/..." resolves
    return jsonschema_rs.validator_for(root)


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    return [e.message for e in validator(json.dumps(schema, sort_keys=True)).iter_errors(value)]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, _, section, name = node["$ref"].split("/")
        node = spec()["components"][section][name]
    return node


def openapi_problems(request: httpx.Request, prefix: str = "/x") -> list[str]:
    """What in ``request`` the X OpenAPI document does not allow: path, method, query, body."""
    path = request.url.path.removeprefix(prefix)
    for template, ops in spec()["paths"].items():
        m = re.match("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$", path)
        if m and request.method.lower() in ops:
            op, path_params = ops[request.method.lower()], m.groupdict()
            break
    else:
        return [f"{request.method} {path}: no such operation"]
    problems: list[str] = []
    params = [resolve(p) for p in op.get("parameters", [])]
    query = {p["name"]: p for p in params if p["in"] == "query"}
    given = request.url.params.multi_items()
    for name, raw in given:
        if name not in query:
            problems.append(f"query parameter {name!r} is not in the document")
            continue
        schema = resolve(query[name]["schema"])
        value: Any = raw.split(",") if schema.get("type") == "array" else int(raw) if schema.get("type") == "integer" else raw
        problems += [f"{name}: {e}" for e in schema_errors(query[name]["schema"], value)]
    names = [n for n, _ in given]
    problems += [f"{n}: given twice" for n in set(names) if names.count(n) > 1]
    problems += [f"{p['name']}: required" for p in params if p.get("required") and p["in"] == "query" and p["name"] not in names]
    problems += [f"{p['name']}: {e}" for p in params if p["in"] == "path" for e in schema_errors(p["schema"], path_params[p["name"]])]
    body = op.get("requestBody")
    if body is None:
        return problems + (["a body the operation does not take"] if request.content else [])
    kind = request.headers.get("content-type", "").split(";")[0]
    if kind not in body["content"]:
        return problems + [f"content type {kind!r} is not one of {list(body['content'])}"]
    if kind == "application/json":
        value = json.loads(request.content)
    else:  # multipart/form-data: each part by its name, files as their bytes' stand-in
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
        value = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            value[name] = "<binary>" if part.get_filename() else part.get_content()
    return problems + [f"body: {e}" for e in schema_errors(body["content"][kind]["schema"], value)]


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    s = ServedSandbox().start()
    yield s
    s.stop()


def account(sandbox: ServedSandbox, platform: str = "x", user: str = "alice") -> Account:
    ids = {
        "x": identity("x", user)["id"],
        "facebook": identity("facebook", user)["pages"][0]["id"],
        "instagram": identity("facebook", user)["pages"][0]["ig"]["id"],
    }
    return Account(
        account_id=f"strict-{platform}",
        platform=platform,
        platform_account_id=ids[platform],
        handle=user,
        access_token=sandbox.mint("facebook" if platform == "instagram" else platform, user),
    )


@pytest.fixture
async def wire(sandbox):  # type: ignore[no-untyped-def]
    """(clients, the recording transport); after the test, every X request it sent must fit the document."""
    sandbox.reset()
    recording = Recording()
    async with httpx.AsyncClient(transport=recording, timeout=httpx.Timeout(1.5, connect=2.0)) as http:
        attach(http, RateWindows(max_wait=0.5))
        yield clients_for(sandbox.base, http), recording
    sent = [r for r in recording.sent if r.url.path.startswith("/x/")]
    problems = {f"{r.method} {r.url}": p for r in sent if (p := openapi_problems(r))}
    assert problems == {}


def generated(text: str, post_id: str = "g") -> OutgoingPost:
    return OutgoingPost(post_id=post_id, text=f"{text} {LINK} #EventSourcing", link_url=LINK)


async def test_a_generated_post_whose_create_times_out_is_found_by_the_lookup_and_published_once(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, _ = wire
    x, alice = clients["x"], account(sandbox)
    post = generated("Exactly once, whatever X did to the link:")
    since = datetime.now(UTC) - timedelta(seconds=1)
    sandbox.fault("x", "hang_after_accept", times=1, hang_seconds=5)
    with pytest.raises(OutcomeUnknown):
        await x.create_post(alice, post)
    [landed] = sandbox.posts("x")
    assert LINK not in landed["text"] and "https://t.co/" in landed["text"]  # what X keeps is not what was sent
    found = await x.find_post(alice, post, since)
    assert found is not None and found.platform_post_id == landed["id"]
    with pytest.raises(Rejected) as err:  # creating it again instead is what the lookup spares the post
        await x.create_post(alice, post)
    assert err.value.status == 403 and "duplicate content" in err.value.message
    assert [p["id"] for p in sandbox.posts("x")] == [landed["id"]]


async def test_the_lookup_finds_nothing_for_another_text_with_the_same_link_or_before_the_window(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, _ = wire
    x, alice = clients["x"], account(sandbox)
    await x.create_post(alice, generated("The first of two posts"))
    assert await x.find_post(alice, generated("The second of two posts"), datetime.now(UTC) - timedelta(seconds=5)) is None
    assert await x.find_post(alice, generated("The first of two posts"), datetime.now(UTC) + timedelta(seconds=5)) is None


async def test_a_thread_with_links_resumes_after_the_tweets_that_landed(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, _ = wire
    x, alice = clients["x"], account(sandbox)
    thread = tuple(f"{i}/4 part {i}, read more: {LINK}&part={i}" for i in range(1, 5))
    post = OutgoingPost(post_id="t", text=thread[0], thread=thread)
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.fault("x", "error", after=2)
    with pytest.raises(OutcomeUnknown):
        await x.create_post(alice, post)
    assert await x.find_post(alice, post, since) is None
    ref = await x.create_post(alice, post, resume_since=since)
    tweets = sandbox.posts("x")
    assert [t["submitted_text"] for t in tweets] == list(thread)  # each once, in order
    assert [t["in_reply_to"] for t in tweets[1:]] == [t["id"] for t in tweets[:-1]]
    assert await x.find_post(alice, post, since) == ref


async def test_links_come_back_as_t_co_with_entities_and_only_the_fields_asked_for(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, _ = wire
    alice = account(sandbox)
    ref = await clients["x"].create_post(alice, generated("Entities"))
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=auth) as c:
        bare = (await c.get("/x/2/tweets", params={"ids": ref.platform_post_id})).json()["data"][0]
        full = (await c.get("/x/2/tweets", params={"ids": ref.platform_post_id, "tweet.fields": "entities,created_at"})).json()["data"][0]
    assert set(bare) == {"id", "text", "edit_history_tweet_ids"}
    [url] = full["entities"]["urls"]
    assert full["text"][url["start"] : url["end"]] == url["url"] and re.fullmatch(r"https://t\.co/[A-Za-z0-9]{10}", url["url"])
    assert url["expanded_url"] == LINK and url["display_url"].startswith("blog.example.com/") and "created_at" in full


async def test_requests_outside_the_document_get_xs_invalid_request_problem(sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.reset()
    alice = account(sandbox)
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=auth) as c:
        field = await c.post("/x/2/tweets", json={"text": "hi", "txet": "typo"})
        param = await c.get(f"/x/2/users/{alice.platform_account_id}/tweets", params={"max_results": "100", "since": "yesterday"})
        small = await c.get(f"/x/2/users/{alice.platform_account_id}/tweets", params={"max_results": "2"})
    for r in (field, param, small):
        assert r.status_code == 400 and r.json()["title"] == "Invalid Request"
        assert r.json()["type"] == "https://api.x.com/2/problems/invalid-request" and r.json()["errors"]
    assert "txet" in field.json()["errors"][0]["message"] and param.json()["errors"][0]["parameters"] == {"since": ["yesterday"]}
    assert sandbox.posts("x") == []


async def test_every_x_answer_has_its_windows_headers_and_a_spent_window_is_a_429_the_adapter_then_waits_out(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, recording = wire
    bob = account(sandbox, user="bob")
    auth = {"Authorization": f"Bearer {bob.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=auth) as c:
        answers = [await c.post("/x/2/tweets", json={"text": f"tweet number {i}"}) for i in range(100)]
        refused = await c.post("/x/2/tweets", json={"text": "one too many"})
        lookup = await c.get("/x/2/tweets", params={"ids": answers[0].json()["data"]["id"]})
    assert [a.headers["x-rate-limit-remaining"] for a in answers[:2]] == ["99", "98"] and answers[-1].headers[
        "x-rate-limit-remaining"
    ] == "0"
    assert {a.headers["x-rate-limit-limit"] for a in answers} == {"100"}
    assert refused.status_code == 429 and refused.headers["x-rate-limit-remaining"] == "0"
    assert int(refused.headers["x-rate-limit-reset"]) > datetime.now(UTC).timestamp() + 800  # the 15-minute window
    assert lookup.status_code == 200 and lookup.headers["x-rate-limit-limit"] == "5000"  # another endpoint, its own window
    with pytest.raises(RateLimited):
        await clients["x"].create_post(bob, OutgoingPost(post_id="late", text="told to wait"))
    before = len(recording.sent)
    with pytest.raises(RateLimited) as err:  # the window is known now: nothing is sent until its reset
        await clients["x"].create_post(bob, OutgoingPost(post_id="late", text="told to wait"))
    assert len(recording.sent) == before and err.value.code == "rate_window" and err.value.retry_after > 800


async def test_every_request_the_x_adapter_sends_fits_the_openapi_document(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, recording = wire
    x, alice = clients["x"], account(sandbox)
    media = (f"{sandbox.url}/_sandbox/images/a.jpg?w=1200&h=675",)
    with_media = OutgoingPost(post_id="m", text=f"With an image {LINK}", media_urls=media)
    ref = await x.create_post(alice, with_media)
    thread = ("1/2 first", "2/2 second")
    await x.create_post(alice, OutgoingPost(post_id="t", text=thread[0], thread=thread))
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert await x.find_post(alice, with_media, since) == ref
    await x.create_post(alice, OutgoingPost(post_id="t", text=thread[0], thread=thread), resume_since=since)
    metrics = await x.fetch_metrics(alice, [ref.platform_post_id])
    assert metrics[ref.platform_post_id].impressions > 0
    kinds = {(r.method, re.sub(r"/\d{3,}/", "/{id}/", r.url.path)) for r in recording.sent if r.url.path.startswith("/x/")}
    assert kinds == {("POST", "/x/2/media/upload"), ("POST", "/x/2/tweets"), ("GET", "/x/2/users/{id}/tweets"), ("GET", "/x/2/tweets")}
    assert all(openapi_problems(r) == [] for r in recording.sent if r.url.path.startswith("/x/"))  # and again at teardown


def test_a_request_outside_the_document_is_caught_by_the_check() -> None:
    """The check itself refuses what X would: the old ``tweet.fields`` is not in the document."""
    bad = httpx.Request("GET", "http://sandbox/x/2/tweets", params={"ids": "12345", "tweet.fields": "entities"})
    body = httpx.Request("POST", "http://sandbox/x/2/tweets", json={"text": "hi", "reply": {"in_reply_to_tweet_id": "not-an-id"}})
    assert openapi_problems(bad) == ["query parameter 'tweet.fields' is not in the document"]
    assert len(openapi_problems(body)) == 1


def test_the_sandbox_checks_requests_against_the_same_document() -> None:
    """The sandbox's copy is the document's own operations and every schema they name."""
    vendored, full = json.loads(VENDORED.read_text()), spec()
    for path, ops in vendored["paths"].items():
        for method, op in ops.items():
            assert op == {k: v for k, v in full["paths"][path][method].items() if k != "responses"}
    for section, items in vendored["components"].items():
        for name, schema in items.items():
            assert schema == full["components"][section][name]


async def test_meta_answers_carry_usage_headers_and_a_spent_business_window_is_refused_then_waited_out(wire, sandbox) -> None:  # type: ignore[no-untyped-def]
    clients, recording = wire
    ig = account(sandbox, "instagram")
    await clients["instagram"].create_post(ig, OutgoingPost(post_id="i", text="caption", media_urls=("https://m.example/1.jpg",)))
    graph = [r for r in recording.sent if r.url.path.startswith("/instagram/")]
    assert graph
    auth = {"Authorization": f"Bearer {ig.access_token}"}
    async with httpx.AsyncClient(base_url=sandbox.url, headers=auth) as c:
        answer = await c.get(f"/instagram/v21.0/{ig.platform_account_id}/media")
        usage = json.loads(answer.headers["x-business-use-case-usage"])[ig.platform_account_id][0]
        assert set(json.loads(answer.headers["x-app-usage"])) == {"call_count", "total_cputime", "total_time"}
        assert usage["type"] == "instagram" and 0 < usage["call_count"] < 100
        # The account's day is spent: as many calls as Meta allows it have been made.
        sandbox.app.state.sandbox.calls[f"meta:buc:{ig.platform_account_id}"] = [datetime.now(UTC).timestamp()] * BUC_CALLS_PER_DAY
        refused = await c.get(f"/instagram/v21.0/{ig.platform_account_id}/media")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 80002
    spent = json.loads(refused.headers["x-business-use-case-usage"])[ig.platform_account_id][0]
    assert spent["call_count"] == 100 and spent["estimated_time_to_regain_access"] > 0
    post = OutgoingPost(post_id="j", text="later", media_urls=("https://m.example/2.jpg",))
    with pytest.raises(RateLimited) as err:
        await clients["instagram"].create_post(ig, post)
    assert err.value.code == "80002"
    before = len(recording.sent)
    with pytest.raises(RateLimited) as again:
        await clients["instagram"].create_post(ig, post)
    assert len(recording.sent) == before and again.value.code == "rate_window"
