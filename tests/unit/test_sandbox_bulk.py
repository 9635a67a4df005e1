"""The sandbox's load-test switches: thousands of comments scripted in one call and told in Meta's
batched notifications (a fault strikes a whole notification, as a resend is the same bytes), and a
fault that accepts a reply and then hangs without touching the platform's other calls."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from sandbox.scopes import ALL
from tests.conftest import ServedSandbox
from tests.unit.test_sandbox_talk import SECRETS, Receiver, post, settled, subscribe, until


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
    until(lambda: r.server.started, "the receiver started")
    yield r
    r.server.should_exit = True
    r.thread.join(5)


def bulk(site: ServedSandbox, **body: object) -> httpx.Response:
    return httpx.post(f"{site.url}/_sandbox/talk/bulk", json=body, timeout=30)


def copies_in(site: ServedSandbox, receiver: Receiver, made: list[dict[str, object]]) -> bool:
    """Every one of ``made`` delivered and, when duplicated, its copy received too (a delivery counts
    as delivered before its copy is sent)."""
    ids = {d["id"] for d in made}
    mine = [d for d in httpx.get(f"{site.url}/_sandbox/talk/deliveries").json()["deliveries"] if d["id"] in ids]
    return all(d["state"] == "delivered" for d in mine) and len(receiver.got) == sum(1 + d["duplicated"] for d in mine)


def told(receiver: Receiver) -> Counter[str]:
    """How often each comment id reached the callback."""
    return Counter(change["value"]["id"] for body in receiver.bodies("instagram") for entry in body["entry"] for change in entry["changes"])


def test_a_thousand_comments_in_one_call_arrive_ten_to_a_notification_each_once(site, receiver) -> None:  # type: ignore[no-untyped-def]
    media = [post(site, "instagram", "17841400000000011", f"91000{i}") for i in range(3)]
    subscribe(site, receiver, "instagram")
    r = bulk(
        site,
        platform="instagram",
        batch=10,
        comments=[{"post_id": media[i % 3], "text": f"PRICE please {i}", "author": f"reader{i}"} for i in range(1000)],
    )
    assert r.status_code == 201, r.text
    made, deliveries = r.json()["comments"], r.json()["deliveries"]
    assert len(made) == 1000 and len({c["id"] for c in made}) == 1000
    assert len(deliveries) == 100 and all(d["events"] == 10 for d in deliveries)
    until(lambda: settled(site), "every notification delivered")
    bodies = receiver.bodies("instagram")
    assert len(bodies) == 100 and all(b["object"] == "instagram" and len(b["entry"]) == 10 for b in bodies)
    assert told(receiver) == Counter({c["id"]: 1 for c in made})
    first = bodies[0]["entry"][0]["changes"][0]["value"]  # each update in the single comment's shape
    assert first["from"]["username"].startswith("reader") and first["media"]["id"] in media
    st = site.app.state.talk.st
    assert st.comments[made[7]["id"]].text == "PRICE please 7" and st.comments[made[7]["id"]].post_id == media[1]


def test_a_duplicated_notification_repeats_every_comment_in_it_and_the_seed_picks_the_same_ones(site, receiver) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000012", "920001")
    subscribe(site, receiver, "instagram")
    picked = []
    for run in range(2):
        httpx.put(f"{site.url}/_sandbox/talk/faults", json={"seed": "bulk", "duplicate": 0.3}).raise_for_status()
        receiver.got.clear()
        r = bulk(
            site, platform="instagram", post_id=media, batch=4, comments=[{"text": f"c{run}-{i}", "author": "ivo"} for i in range(400)]
        )
        sent = r.json()["deliveries"]
        until(lambda: copies_in(site, receiver, sent), "every notification delivered, copies too")  # noqa: B023 - waited for here
        ids = [c["id"] for c in r.json()["comments"]]
        seen = told(receiver)
        assert set(seen) == set(ids) and all(seen[cid] in (1, 2) for cid in ids)
        twice = [i for i, cid in enumerate(ids) if seen[cid] == 2]
        doubled = {i // 4 for i in twice}
        assert twice == [i for i in range(400) if i // 4 in doubled]  # whole notifications, four comments each
        assert 15 <= len(doubled) <= 45  # about 30 of the 100 notifications
        picked.append(twice)
    assert picked[0] == picked[1]


def test_bulk_refuses_what_the_platform_would_not_send(site) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000013", "930001")
    tweet = post(site, "x", "4400000000000001", "4400000000000101")
    one = [{"text": "hi", "author": "ana"}]
    assert bulk(site, platform="instagram", post_id=media, batch=1001, comments=one).status_code == 422  # Meta: at most 1000 updates
    refused = bulk(site, platform="x", post_id=tweet, batch=2, comments=one)
    assert refused.status_code == 422 and "batch must be 1..1" in refused.json()["detail"]
    missing = bulk(site, platform="instagram", post_id="nope", comments=one)
    assert missing.status_code == 404 and "comments[0]" in missing.json()["detail"]
    assert bulk(site, platform="instagram", post_id=media, comments=[{"author": "ana"}]).status_code == 422
    assert bulk(site, platform="instagram", post_id=media, comments=[]).status_code == 422
    assert bulk(site, platform="x", post_id=tweet, comments=one).status_code == 201  # one event a delivery is fine


def test_a_reply_fault_accepts_the_reply_then_hangs_and_leaves_the_platforms_publishing_alone(site) -> None:  # type: ignore[no-untyped-def]
    ig = "17841400000000014"
    media = post(site, "instagram", ig, "940001")
    said = httpx.post(
        f"{site.url}/_sandbox/talk", json={"platform": "instagram", "post_id": media, "text": "PRICE?", "author": "mo"}
    ).json()
    cid = said["comment"]["id"]
    grant = httpx.post(f"{site.url}/_sandbox/oauth/grants", json={"provider": "facebook", "user": "it-ig", "scopes": ALL["facebook"]})
    auth = {"Authorization": f"Bearer {grant.json()['access_token']}"}
    x_grant = httpx.post(f"{site.url}/_sandbox/oauth/grants", json={"provider": "x", "user": "it-x", "scopes": ALL["x"]})

    site.fault("x", "hang_after_accept", target="replies", hang_seconds=30)
    tweet = httpx.post(
        f"{site.url}/x/2/tweets", json={"text": "not a reply"}, headers={"Authorization": f"Bearer {x_grant.json()['access_token']}"}
    )
    assert tweet.status_code == 201, tweet.text  # armed for replies: a publish goes through, answered

    site.fault("instagram", "hang_after_accept", target="replies", hang_seconds=3)
    with pytest.raises(httpx.ReadTimeout):  # the caller never hears back...
        httpx.post(f"{site.url}/instagram/v21.0/{cid}/replies", data={"message": "DM'd you!"}, headers=auth, timeout=0.5)
    st = site.app.state.talk.st
    [reply_id] = st.comments[cid].replies  # ...but the platform took the reply
    assert st.comments[reply_id].text == "DM'd you!" and st.comments[reply_id].author_id == ig
    [caller] = st.faults["instagram:replies"].struck  # who is hanging: the test can find the process
    assert caller.startswith("127.0.0.1:") and st.faults["x:replies"].struck == []
    again = httpx.post(f"{site.url}/instagram/v21.0/{cid}/replies", data={"message": "second"}, headers=auth, timeout=10)
    assert again.status_code == 200 and len(st.comments[cid].replies) == 2  # one strike (times=1), then answered again
    assert json.loads(again.text)["id"] == st.comments[cid].replies[1]


def test_with_a_batch_window_what_happens_close_together_shares_one_meta_notification(site, receiver) -> None:  # type: ignore[no-untyped-def]
    media = post(site, "instagram", "17841400000000015", "950001")
    subscribe(site, receiver, "instagram")
    httpx.put(f"{site.url}/_sandbox/talk/faults", json={"batch_window": 2.0}).raise_for_status()
    said = [
        httpx.post(f"{site.url}/_sandbox/talk", json={"platform": "instagram", "post_id": media, "text": f"hi {i}", "author": "pia"}).json()
        for i in range(5)
    ]
    assert len({s["delivery"]["id"] for s in said}) == 1  # one notification, gathering
    until(lambda: settled(site), "the notification sent")
    [body] = receiver.bodies("instagram")
    assert [e["changes"][0]["value"]["id"] for e in body["entry"]] == [s["comment"]["id"] for s in said]
    refused = httpx.put(f"{site.url}/_sandbox/talk/faults", json={"batch_window": -1})
    assert refused.status_code == 422
