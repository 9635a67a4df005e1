"""Every agent's handler through the fakes, without a broker: what it sends, what it refuses, what
it keeps. The same handlers run inside Faust in the integration tests."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from adapters.accounts import MemoryAccounts, MemoryTokens
from adapters.kafka import KafkaMessage, MemoryProducer, Position
from adapters.outbox import MemoryOutbox
from adapters.platforms.fake import FakePlatform, Killed
from adapters.published import MemoryPublished, PublishedPost
from adapters.publishing import MemoryAttempts
from adapters.scheduling import MemorySlots
from adapters.sites import MemorySites
from domain.accounts import Account, AccountSettings, Site
from domain.post.rules import RuleWriter
from domain.publishing import Policy
from schemas import commands as c
from schemas import events as e
from schemas import topics as t
from schemas.commands import GeneratePosts, PublishPost
from schemas.events import ContentPublished, EngagementRecorded
from schemas.exceptions import InvalidEvent
from schemas.registry import registry
from streams import adapt, engagement, intake, publish, relay, schedule
from streams.exceptions import Unprocessable
from tests.integration.articles import article

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
SITES = MemorySites([Site(site_id="s1", timezone="UTC", post_types=["announcement", "thread"], auto_social_publish=True)])
X = Account(
    account_id="a-x",
    platform="x",
    platform_account_id="x-1",
    handle="me",
    site_id="s1",
    settings=AccountSettings(best_times=["09:00"], max_per_day=1, cooldown_hours=0),
)
LI = Account(account_id="a-li", platform="linkedin", platform_account_id="li-1", handle="org", site_id="s1")
POLICY = Policy(lease=timedelta(seconds=50), reconcile_delay=timedelta(seconds=3), max_tries=5)


def encoded(message: object, key: str = "k") -> bytes:
    return registry.envelope(message, source="test", subject=key).encode()  # type: ignore[arg-type]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---------------------------------------------------------------- intake
async def test_intake_turns_an_article_into_generate_posts() -> None:
    out = MemoryProducer()
    a = ContentPublished.model_validate(article("c1", site_id="s1"))
    await intake.handle(encoded(a, "c1"), SITES, out)
    (cmd,) = out.messages(t.POSTS_GENERATE)
    assert isinstance(cmd, GeneratePosts) and cmd.article.content_id == "c1"
    await intake.handle(orjson.dumps(a.model_dump(mode="json")), SITES, out)  # the bare object is accepted too
    assert len(out.messages(t.POSTS_GENERATE)) == 2
    assert out.sent[0][1].key == b"c1" and out.sent[0][1].headers[0][0] == "content-type"


async def test_intake_refuses_an_unknown_site_and_garbage() -> None:
    out = MemoryProducer()
    with pytest.raises(Unprocessable, match="data.site_id"):
        await intake.handle(encoded(ContentPublished.model_validate(article("c1", site_id="nope"))), SITES, out)
    with pytest.raises(InvalidEvent):
        await intake.handle(b"{not json", SITES, out)
    assert out.sent == []


# ---------------------------------------------------------------- adapt
async def test_adapt_drafts_one_post_per_connected_account_and_type() -> None:
    out = MemoryProducer()
    cmd = GeneratePosts(article=ContentPublished.model_validate(article("c1", site_id="s1")))
    drafts = await adapt.handle(
        encoded(cmd, "c1"), sites=SITES, accounts=MemoryAccounts([X, LI]), writer=RuleWriter(), fallback=RuleWriter(), out=out
    )
    kinds = sorted((d.platform, d.post_type) for d in drafts)
    assert kinds == [("linkedin", "announcement"), ("x", "announcement"), ("x", "thread")]
    assert [m.post_id for m in out.messages(t.POSTS)] == [d.post_id for d in drafts]
    again = await adapt.handle(
        encoded(cmd, "c1"), sites=SITES, accounts=MemoryAccounts([X, LI]), writer=RuleWriter(), fallback=RuleWriter(), out=MemoryProducer()
    )
    assert [d.post_id for d in again] == [d.post_id for d in drafts]  # a redelivery drafts the same posts


async def test_adapt_refuses_a_command_for_an_unknown_site() -> None:
    cmd = GeneratePosts(article=ContentPublished.model_validate(article("c1", site_id="nope")))
    with pytest.raises(Unprocessable, match="data.article.site_id"):
        await adapt.handle(
            encoded(cmd), sites=SITES, accounts=MemoryAccounts([]), writer=RuleWriter(), fallback=RuleWriter(), out=MemoryProducer()
        )


# ---------------------------------------------------------------- schedule
def drafted(post_id: str, account: Account = X, auto: bool = True) -> e.PostDrafted:
    return e.PostDrafted(
        post_id=post_id,
        site_id="s1",
        account_id=account.account_id,
        platform=account.platform,  # type: ignore[arg-type]
        post_type="announcement",
        text=f"post {post_id}",
        auto_schedule=auto,
    )


def scheduling(clock: Clock, out: MemoryProducer, accounts: list[Account] | None = None) -> schedule.Scheduling:
    return schedule.Scheduling(slots=MemorySlots(), accounts=MemoryAccounts(accounts or [X]), sites=SITES, out=out, clock=clock)


async def test_schedule_slots_auto_drafts_under_the_cap_and_dispatches_when_due() -> None:
    out, clock = MemoryProducer(), Clock(NOW)
    s = scheduling(clock, out)
    for pid in ("p1", "p2"):
        await schedule.handle(registry.decode(encoded(drafted(pid), pid)), s)
    first, second = out.messages(t.POSTS)
    assert first.scheduled_at == datetime(2026, 11, 22, 9, tzinfo=UTC)
    assert second.scheduled_at == datetime(2026, 11, 23, 9, tzinfo=UTC)  # max_per_day 1
    assert await schedule.dispatch_due(s) == 0
    clock.now = datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)
    assert await schedule.dispatch_due(s) == 1
    (cmd,) = out.messages(t.PUBLISH)
    assert isinstance(cmd, PublishPost) and cmd.post_id == "p1" and cmd.text == "post p1"
    assert await schedule.dispatch_due(s) == 0  # dispatched once


async def test_schedule_leaves_a_manual_draft_and_a_disconnected_account_alone() -> None:
    out = MemoryProducer()
    gone = X.model_copy(update={"status": "disconnected"})
    s = scheduling(Clock(NOW), out, [gone])
    await schedule.handle(registry.decode(encoded(drafted("p1", auto=False))), s)
    await schedule.handle(registry.decode(encoded(drafted("p2"))), s)
    assert out.sent == []
    assert {p: st.state for p, st in s.slots.rows.items()} == {"p1": "draft", "p2": "draft"}  # type: ignore[attr-defined]


async def test_schedule_keeps_edits_and_cancels() -> None:
    out = MemoryProducer()
    s = scheduling(Clock(NOW), out)
    await schedule.handle(registry.decode(encoded(drafted("p1"))), s)
    await schedule.handle(registry.decode(encoded(e.PostEdited(post_id="p1", text="better"))), s)
    assert s.slots.rows["p1"].payload["text"] == "better"  # type: ignore[attr-defined]
    await schedule.handle(registry.decode(encoded(e.PostCancelled(post_id="p1"))), s)
    assert s.slots.rows["p1"].state == "cancelled"  # type: ignore[attr-defined]


async def test_schedule_refuses_a_command_on_the_event_topic() -> None:
    with pytest.raises(InvalidEvent, match="does not belong"):
        await schedule.handle(
            registry.decode(encoded(GeneratePosts(article=ContentPublished.model_validate(article("c1"))))),
            scheduling(Clock(NOW), MemoryProducer()),
        )


# ---------------------------------------------------------------- publish
def publishing(platform: FakePlatform, clock: Clock, out: MemoryProducer, accounts: list[Account] | None = None) -> publish.Publishing:
    memory = MemoryAccounts(accounts or [X])
    ids = iter(f"t{i}" for i in range(100))
    attempts = MemoryAttempts()
    return publish.Publishing(
        attempts=attempts,
        tokens=MemoryTokens(memory),
        platforms={"x": platform},
        out=out,
        policy=POLICY,
        outbox=attempts.outbox,
        clock=clock,
        new_id=lambda: next(ids),
    )


CMD = PublishPost(post_id="p1", site_id="s1", account_id="a-x", platform="x", text="hello", due_at=NOW)


async def test_publish_creates_once_and_repeats_the_outcome_on_redelivery() -> None:
    x, out = FakePlatform(), MemoryProducer()
    p = publishing(x, Clock(NOW), out)
    await publish.handle(CMD, p)
    await publish.handle(CMD, p)
    assert x.calls == 1 and len(x.posts) == 1
    publishing_, published, again = out.messages(t.POSTS)
    assert isinstance(publishing_, e.PostPublishing) and isinstance(published, e.PostPublished) and again == published
    ids = [env.id for env in out.envelopes(t.POSTS)]
    assert ids[1] == ids[2]  # the same event id: consumers drop the repeat


async def test_publish_looks_up_an_unknown_outcome_instead_of_posting_twice() -> None:
    x, out, clock = FakePlatform(faults=["hang_after_accept"]), MemoryProducer(), Clock(NOW)
    p = publishing(x, clock, out)
    await publish.handle(CMD, p)
    assert [type(m).__name__ for m in out.messages(t.POSTS)] == ["PostPublishing"]
    assert await publish.sweep(p) == 0  # not due yet
    clock.now = NOW + timedelta(seconds=4)
    assert await publish.sweep(p) == 1
    assert x.calls == 1 and len(x.posts) == 1  # found, not created again
    last = out.messages(t.POSTS)[-1]
    assert isinstance(last, e.PostPublished) and last.reconciled


class DiesSendingTheOutcome(MemoryProducer):
    """A broker connection whose worker is killed as it sends how a publish ended."""

    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        if isinstance(message.decoded().message, e.PostPublished):
            raise Killed("killed before the outcome was sent")
        return await super().send(topic, message)


async def test_publish_outcome_outlives_a_worker_killed_before_sending_it() -> None:
    x, out, clock = FakePlatform(), DiesSendingTheOutcome(), Clock(NOW)
    p = publishing(x, clock, out)
    with pytest.raises(Killed):
        await publish.handle(CMD, p)
    assert [type(m).__name__ for m in out.messages(t.POSTS)] == ["PostPublishing"]
    # The attempt is over (nothing will run it again), and its outcome waits in the outbox with it.
    restarted = MemoryProducer()
    assert await relay.relay_all(p.outbox, restarted) == 1  # the next worker's relay timer
    (published,) = restarted.messages(t.POSTS)
    assert isinstance(published, e.PostPublished) and published.platform_post_id in x.posts
    clock.now = NOW + POLICY.lease * 2
    assert await publish.sweep(p) == 0 and x.calls == 1


async def test_publish_looks_up_a_retry_whose_worker_died_mid_create() -> None:
    x, out, clock = FakePlatform(faults=["rate_limit", "die_after_accept"]), MemoryProducer(), Clock(NOW)
    p = publishing(x, clock, out)
    await publish.handle(CMD, p)  # 429: a retry in 30 s
    clock.now = NOW + timedelta(seconds=31)
    with pytest.raises(Killed):
        await publish.sweep(p)  # the retry's create lands, the worker dies before the answer
    clock.now += POLICY.lease + timedelta(seconds=1)
    assert await publish.sweep(p) == 1  # the next worker takes it over: a lookup, not a second create
    assert x.calls == 2 and len(x.posts) == 1
    last = out.messages(t.POSTS)[-1]
    assert isinstance(last, e.PostPublished) and last.reconciled


async def test_publish_retries_a_rate_limit_and_fails_an_unusable_account() -> None:
    x, out, clock = FakePlatform(faults=["rate_limit"]), MemoryProducer(), Clock(NOW)
    p = publishing(x, clock, out)
    await publish.handle(CMD, p)
    clock.now = NOW + timedelta(seconds=31)
    await publish.sweep(p)
    assert x.calls == 2 and isinstance(out.messages(t.POSTS)[-1], e.PostPublished)

    revoked = X.model_copy(update={"status": "needs_reauth", "status_reason": "revoked"})
    out2 = MemoryProducer()
    await publish.handle(CMD, publishing(FakePlatform(), Clock(NOW), out2, [revoked]))
    failed = out2.messages(t.POSTS)[-1]
    assert isinstance(failed, e.PostPublishFailed) and failed.code == "needs_reauth"


async def test_publish_decode_refuses_anything_but_publish_post() -> None:
    with pytest.raises(InvalidEvent, match="expected PublishPost"):
        publish.decode(encoded(e.PostQueued(post_id="p1", account_id="a")))


# ---------------------------------------------------------------- engagement, relay
async def test_engagement_polls_each_post_once_per_snapshot_age_and_stamps_its_label_and_age() -> None:
    x = FakePlatform()
    ref = await x.create_post(X, publish.OutgoingPost(post_id="p1", text="hi"))
    published = MemoryPublished(
        [
            PublishedPost("p1", "a-x", "s1", "x", ref.platform_post_id, NOW - timedelta(hours=2)),
            PublishedPost("old", "a-x", "s1", "x", "999", NOW - timedelta(days=90)),  # past its ladder
            PublishedPost("p9", "gone", "s1", "x", "998", NOW - timedelta(hours=2)),  # its account is not connected
        ]
    )
    out = MemoryProducer()
    tokens = MemoryTokens(MemoryAccounts([X]))
    n = await engagement.collect(published, tokens, {"x": x}, out, now=NOW)
    (rec,) = out.messages(t.ENGAGEMENT)
    assert n == 1 and isinstance(rec, EngagementRecorded) and (rec.post_id, rec.likes, rec.impressions) == ("p1", 1, 10)
    assert (rec.label, rec.age_seconds, rec.late, rec.engagement_rate) == ("1h", 7200.0, True, 0.1)  # an hour past a 1 h age is late

    # The same tick again reads nothing; the 24 h snapshot is read once it is due.
    assert await engagement.collect(published, tokens, {"x": x}, out, now=NOW + timedelta(minutes=5)) == 0
    assert await engagement.collect(published, tokens, {"x": x}, out, now=NOW + timedelta(hours=22, minutes=1)) == 1
    last = out.messages(t.ENGAGEMENT)[-1]
    assert (last.label, last.late) == ("24h", False)

    # A video's ladder starts at 24 h: nothing of it is read at 2 h.
    video = await x.create_post(X, publish.OutgoingPost(post_id="v1", text="a video"))
    published.posts.append(PublishedPost("v1", "a-x", "s1", "x", video.platform_post_id, NOW - timedelta(hours=2), post_type="video"))
    polled = MemoryProducer()
    assert await engagement.collect(published, tokens, {"x": x}, polled, now=NOW) == 0
    await engagement.collect(published, tokens, {"x": x}, polled, now=NOW + timedelta(hours=22, minutes=1))
    assert [(m.post_id, m.label) for m in polled.messages(t.ENGAGEMENT)] == [("v1", "24h")]


async def test_engagement_after_a_restart_reads_the_snapshot_that_fell_due_and_skips_the_ones_it_passed() -> None:
    x = FakePlatform()
    ref = await x.create_post(X, publish.OutgoingPost(post_id="p1", text="hi"))
    published = MemoryPublished([PublishedPost("p1", "a-x", "s1", "x", ref.platform_post_id, NOW)])
    tokens, out = MemoryTokens(MemoryAccounts([X])), MemoryProducer()
    # Down from 30 min to 25 h after publishing: the 1 h and the 24 h readings both fell due meanwhile.
    assert await engagement.collect(published, tokens, {"x": x}, out, now=NOW + timedelta(minutes=30)) == 0
    assert await engagement.collect(published, tokens, {"x": x}, out, now=NOW + timedelta(hours=25)) == 1
    (rec,) = out.messages(t.ENGAGEMENT)
    assert (rec.label, rec.age_seconds) == ("24h", 25 * 3600.0)
    assert {k: (p.skipped, p.found) for k, p in published.polls.items()} == {("p1", "1h"): (True, True), ("p1", "24h"): (False, True)}
    assert await engagement.collect(published, tokens, {"x": x}, out, now=NOW + timedelta(hours=26)) == 0  # no repeat


async def test_relay_sends_the_outbox_in_batches() -> None:
    box, out = MemoryOutbox(), MemoryProducer()
    env = registry.envelope(e.PostQueued(post_id="p", account_id="a"), source="test", subject="a")
    box.pending = [(t.ACCOUNTS, f"a{i}", env) for i in range(450)]
    assert await relay.relay_all(box, out) == 450
    assert len(out.sent) == 450 and box.pending == []


# ---------------------------------------------------------------- wiring
def test_the_worker_app_registers_every_agent_and_timer_from_the_fakes() -> None:
    from socializer.bootstrap import AGENTS, memory_deps, stream_settings
    from socializer.settings import Settings
    from streams.app import create_app

    app, agent = create_app(memory_deps(stream_settings(Settings(broker="127.0.0.1:1"))), list(AGENTS.values()), app_id="wiring")
    assert set(app.agents) >= {"intake", "adapt", "schedule", "publish"}
    assert set(agent.topics) == set(t.ALL)
    timers = {getattr(fn, "__name__", "") for fn in app._app_tasks}  # noqa: SLF001 - the timers Faust will start
    assert timers >= {"schedule_dispatch_due", "publish_sweep", "engagement_collect", "refresh_tokens", "relay_outbox"}


async def test_a_cancel_before_the_call_wins_an_edit_before_the_call_is_published_and_after_it_they_are_refused() -> None:
    from adapters.post_states import MemoryPostStates
    from streams import decide

    states = MemoryPostStates()
    d = decide.Deciding(states=states, out=MemoryProducer(), clock=lambda: NOW)

    async def draft(post_id: str) -> None:
        ev = e.PostDrafted(post_id=post_id, site_id="s1", account_id="a-x", platform="x", post_type="announcement", text="hello")
        await decide.fold(registry.decode(encoded(ev, post_id)), d)

    def command(post_id: str, cid: str, **action: object) -> object:
        return registry.decode(encoded(c.DecidePost(command_id=cid, post_id=post_id, site_id="s1", **action), post_id))  # type: ignore[arg-type]

    await draft("p1")
    await draft("p2")

    class InlineWriter:  # the post's writer, asked in process: what the Kafka round trip would answer
        async def ask(self, cmd: c.DecidePost) -> object:
            return await decide.decide(registry.decode(registry.envelope(cmd, source="test", subject=cmd.post_id).encode()), d)

    x, out = FakePlatform(), MemoryProducer()
    p = publishing(x, Clock(NOW), out)
    p.states, p.writer = states, InlineWriter()  # type: ignore[assignment]
    # p1 is cancelled after it was dispatched, before its call: the call never happens.
    assert (await decide.decide(command("p1", "cancel", cancel=c.CancelPost()), d)).status == 202  # type: ignore[arg-type]
    await publish.handle(CMD, p)
    assert x.calls == 0 and out.sent == []
    # p2 is edited after dispatch: what is published is the edit.
    assert (await decide.decide(command("p2", "edit", edit=c.EditPost(text="hello, edited")), d)).status == 202  # type: ignore[arg-type]
    await publish.handle(CMD.model_copy(update={"post_id": "p2"}), p)
    assert [text for _, text, _ in x.posts.values()] == ["hello, edited"]
    # From the call on, a cancel is refused with the reason.
    late = await decide.decide(command("p2", "late", cancel=c.CancelPost()), d)  # type: ignore[arg-type]
    assert late.status == 409 and "publishing" in late.body["detail"]


async def test_a_failed_post_dispatched_again_is_a_new_attempt_published_once() -> None:
    from dataclasses import replace

    x, out = FakePlatform(), MemoryProducer()
    revoked = X.model_copy(update={"status": "needs_reauth", "status_reason": "revoked"})
    p = publishing(x, Clock(NOW), out, [revoked])
    await publish.handle(CMD, p)
    assert isinstance(out.messages(t.POSTS)[-1], e.PostPublishFailed) and x.calls == 0
    p = replace(p, tokens=MemoryTokens(MemoryAccounts([X])))  # reconnected
    retry = CMD.model_copy(update={"due_at": NOW + timedelta(minutes=5)})
    await publish.handle(retry, p)
    await publish.handle(retry, p)  # redelivered
    assert x.calls == 1 and isinstance(out.messages(t.POSTS)[-1], e.PostPublished)
    assert sorted(a.state for a in p.attempts.rows.values()) == ["failed", "published"]  # type: ignore[attr-defined]
    first_failure, published = out.envelopes(t.POSTS)[1], out.envelopes(t.POSTS)[3]
    assert first_failure.id != published.id


# ---------------------------------------------------------------- sites are data
async def test_an_article_of_a_site_with_social_off_is_recorded_and_skipped_not_dead_lettered() -> None:
    sites = MemorySites([Site(site_id="s1")])
    out = MemoryProducer()
    await sites.update("s1", {"social_enabled": False}, by="key k1")
    await intake.handle(encoded(ContentPublished.model_validate(article("c1", site_id="s1")), "c1"), sites, out)
    assert out.messages(t.POSTS_GENERATE) == []
    (skipped,) = out.messages(t.POSTS)
    assert isinstance(skipped, e.ContentSkipped) and skipped.content_id == "c1" and "social_enabled" in skipped.reason
    await sites.update("s1", {"social_enabled": True}, by="key k1")  # applied at once: no restart
    await intake.handle(encoded(ContentPublished.model_validate(article("c2", site_id="s1")), "c2"), sites, out)
    assert len(out.messages(t.POSTS_GENERATE)) == 1


async def test_site_settings_change_by_patch_and_refuse_what_is_invalid() -> None:
    from pydantic import ValidationError

    sites = MemorySites([Site(site_id="s1", timezone="Europe/Berlin", post_types=["announcement", "thread"])])
    site = await sites.update("s1", {"auto_social_publish": True}, by="key k1")
    assert site.timezone == "Europe/Berlin" and site.post_types == ["announcement", "thread"] and site.auto_social_publish
    new = await sites.update("s2", {"utm_campaign": "spring"}, by="key k2")  # a site added later: created by its first change
    assert new.utm_campaign == "spring" and new.social_enabled and not new.auto_social_publish  # the seed's default: manual review
    with pytest.raises(ValidationError, match="timezone"):
        await sites.update("s1", {"timezone": "Mars/Olympus"}, by="key k1")
    assert (await sites.site("s1")).timezone == "Europe/Berlin"  # type: ignore[union-attr]
    assert [ev.changed for ev in sites.events] == [["auto_social_publish"], ["utm_campaign"]]


async def test_drafts_wait_for_review_unless_site_and_account_both_auto_publish() -> None:
    auto = X.model_copy(update={"settings": AccountSettings(auto_publish=True)})
    cmd = GeneratePosts(article=ContentPublished.model_validate(article("c1", site_id="s1")))
    for site_auto, expected in ((False, False), (True, True)):
        sites = MemorySites([Site(site_id="s1", auto_social_publish=site_auto, utm_campaign="spring")])
        drafts = await adapt.handle(
            encoded(cmd, "c1"),
            sites=sites,
            accounts=MemoryAccounts([auto]),
            writer=RuleWriter(),
            fallback=RuleWriter(),
            out=MemoryProducer(),
        )
        assert drafts and all(d.auto_schedule is expected for d in drafts)
        assert all("utm_campaign=spring" in (d.link_url or d.text) for d in drafts)  # the site's campaign on its links


async def test_a_skipped_article_on_the_posts_topic_moves_no_slot_and_is_not_a_fault() -> None:
    out = MemoryProducer()
    s = scheduling(Clock(NOW), out)
    skipped = e.ContentSkipped(content_id="c1", site_id="s1", reason="site s1 has social posting off")
    await schedule.handle(registry.decode(encoded(skipped, "c1")), s)  # raises nothing: not dead-lettered
    assert out.sent == []


async def test_a_nul_in_an_articles_text_is_dropped_and_in_its_id_refused_naming_the_field() -> None:
    out = MemoryProducer()
    raw = article("c-nul", site_id="s1").model_dump(mode="json")
    await intake.handle(orjson.dumps({**raw, "html": raw["html"] + "\x00tail", "title": "A\x00B"}), SITES, out)
    (cmd,) = out.messages(t.POSTS_GENERATE)
    assert "\x00" not in cmd.article.html and cmd.article.title == "AB"
    with pytest.raises(InvalidEvent, match="content_id"):
        await intake.handle(orjson.dumps({**raw, "content_id": "c\x00x"}), SITES, out)


# ---------------------------------------------------------------- film, render
def job(until: str = "video") -> c.RenderVideo:
    from commands.video import start

    d = start(
        ContentPublished.model_validate(article("c1", site_id="s1")),
        project_id="v1", preset="youtube_short", voice_id="tone", words_per_second=2.6, review=False,
    )  # fmt: skip
    assert d.job is not None
    return d.job.model_copy(update={"until": until})


async def test_film_starts_a_project_for_a_site_with_video_on_in_review_or_straight_through() -> None:
    from adapters.video_states import MemoryVideoStates
    from adapters.voice import ToneSynthesizer
    from streams import direct, film

    async def directed(out: MemoryProducer) -> MemoryProducer:
        """What the projects' single writer makes of the commands film sent."""
        d = direct.Directing(states=MemoryVideoStates(), out=MemoryProducer())
        for env in out.envelopes(t.VIDEO_COMMANDS):
            await direct.decide(registry.decode(env.encode()), d)
        return d.out  # type: ignore[return-value]

    raw = encoded(ContentPublished.model_validate(article("c1", site_id="s1")), "c1")
    off = MemoryProducer()
    assert await film.handle(raw, SITES, ToneSynthesizer(), off) is None and off.sent == []  # video_enabled is off by default

    review = MemorySites([Site(site_id="s1", video_enabled=True)])
    out = MemoryProducer()
    cmd = await film.handle(raw, review, ToneSynthesizer(), out)
    assert cmd is not None and cmd.create is not None and cmd.create.review and out.messages(t.VIDEO_PROJECTS) == []  # film decides nothing
    made = await directed(out)
    assert [type(m).__name__ for m in made.messages(t.VIDEO_PROJECTS)] == ["VideoProjectCreated", "VideoScriptDrafted"]
    assert made.messages(t.VIDEO_RENDER) == []
    again = MemoryProducer()
    await film.handle(raw, review, ToneSynthesizer(), again)  # redelivered: the same project, the same command
    assert [m.id for m in again.envelopes(t.VIDEO_COMMANDS)] == [m.id for m in out.envelopes(t.VIDEO_COMMANDS)]
    assert again.messages(t.VIDEO_COMMANDS) == out.messages(t.VIDEO_COMMANDS)

    auto = MemorySites([Site(site_id="s1", video_enabled=True, video_review=False, video_preset="tiktok")])
    out = MemoryProducer()
    await film.handle(raw, auto, ToneSynthesizer(), out)
    made = await directed(out)
    names = [type(m).__name__ for m in made.messages(t.VIDEO_PROJECTS)]
    assert names == ["VideoProjectCreated", "VideoScriptDrafted", "VideoScriptApproved", "VideoRenderRequested"]
    [rendered] = made.messages(t.VIDEO_RENDER)
    assert isinstance(rendered, c.RenderVideo) and rendered.preset == "tiktok" and rendered.revision == 1

    german = encoded(ContentPublished.model_validate(article("c2", site_id="s1", language="de")), "c2")
    out = MemoryProducer()
    await film.handle(german, auto, ToneSynthesizer(), out)
    made = await directed(out)
    failed = made.messages(t.VIDEO_PROJECTS)[-1]
    assert isinstance(failed, e.VideoProjectFailed) and failed.stage == "voice" and "'de'" in failed.reason
    assert made.messages(t.VIDEO_RENDER) == []  # never English phonemes read over German


async def test_a_render_that_cannot_succeed_marks_the_project_failed_with_the_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from adapters.voice import VoiceUnavailable
    from streams import render

    def broken(*_: object) -> dict[str, object]:
        raise ValueError("cannot identify image file")

    def no_voice(*_: object) -> dict[str, object]:
        raise VoiceUnavailable("language: no configured voice speaks 'de'")

    for make, stage, reason in ((broken, "voice", "ValueError: cannot identify image file"), (no_voice, "voice", "'de'")):
        out = MemoryProducer()
        failed = await render.handle(
            encoded(job(), "v1"), render.Rendering(out=out, store=str(tmp_path), media_url="http://api/media/video", make=make)
        )
        assert isinstance(failed, e.VideoProjectFailed) and failed.stage == stage and reason in failed.reason
        assert out.messages(t.VIDEO_PROJECTS) == [failed]


def voice_only(store: str, media_url: str, job_json: str, progress: str) -> dict[str, object]:
    """A render job that tells its progress as the studio does (whole files, replaced), then what it made."""
    import json
    import time
    from pathlib import Path

    for done in (0.5, 1.0):
        Path(progress + ".tmp").write_text(json.dumps({"stage": "voice", "done": done, "seconds": done}))
        Path(progress + ".tmp").replace(progress)
        time.sleep(0.1)
    return {"audio_url": f"{media_url}/audio-1.wav", "durations": [1.0, 2.0], "seconds": 3.0, "pictures": [], "timings": {}, "made": {}}


async def test_a_render_tells_its_progress_stage_by_stage_and_what_it_made(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from streams import render

    out = MemoryProducer()
    with ThreadPoolExecutor(1) as pool:
        r = render.Rendering(out=out, store=str(tmp_path), media_url="http://api/media/video", make=voice_only, cpu=pool, every=0.02)
        voiced = await render.handle(encoded(job("voice"), "v1"), r)
    assert isinstance(voiced, e.VideoVoiced) and voiced.durations == [1.0, 2.0] and voiced.audio_url.endswith("audio-1.wav")
    told = [m for m in out.messages(t.VIDEO_PROJECTS) if isinstance(m, e.VideoStageProgressed)]
    assert [(m.stage, m.done) for m in told] == [("voice", 0.5), ("voice", 1.0)]
    assert out.messages(t.VIDEO_PROJECTS)[-1] == voiced and not list(Path(tmp_path, ".progress").iterdir())


async def test_a_clean_render_becomes_a_video_post_per_video_account_and_a_long_one_for_youtube_alone() -> None:
    from adapters.accounts import MemoryAccounts
    from domain.platforms import rules
    from streams import share

    accts = MemoryAccounts(
        [
            Account(
                account_id=f"a-{p}",
                platform=p,
                platform_account_id=f"{p}-1",
                handle="me",
                site_id="s1",
                settings=AccountSettings(auto_publish=True),
            )
            for p in ("youtube", "instagram", "tiktok", "x")
        ]
    )
    sites = MemorySites([Site(site_id="s1", auto_social_publish=True)])
    seo = {
        "title": "Replay, narrated #shorts",
        "description": "Replay rebuilds every view.\n\nRead the article: https://blog.example/r",
        "tags": ["event sourcing", "kafka"],
    }
    rendered = e.VideoRendered(
        project_id="v1", preset="youtube_short", revision=2, site_id="s1", content_id="c1", title="Replay, narrated", video_url="http://api/media/video/video-1.mp4",
        srt_url="s", vtt_url="http://api/media/video/video-1.vtt", thumbnail_url="http://api/media/video/thumbnail-1.jpg", seconds=42.0, sections=4, seo=seo,
    )  # fmt: skip
    out = MemoryProducer()
    drafts = await share.handle(encoded(rendered, "v1"), sites, accts, out)
    assert sorted(d.platform for d in drafts) == ["instagram", "tiktok", "youtube"] and out.messages(t.POSTS) == drafts
    by = {d.platform: d for d in drafts}
    yt = by["youtube"]
    assert yt.text.startswith(seo["description"].split("https://")[0].strip()) and "utm_content=" in yt.text  # the article's link, tagged
    assert yt.video and yt.video.title == seo["title"]
    for p in ("instagram", "tiktok"):  # no link in a caption they would not make clickable; a few hashtags
        assert "https://" not in by[p].text and "#EventSourcing" in by[p].hashtags and len(by[p].text) <= rules(p).hard_limit
    assert all(d.post_type == "video" and d.auto_schedule and d.video and d.video.revision == 2 for d in drafts)
    again = MemoryProducer()
    await share.handle(encoded(rendered, "v1"), sites, accts, again)  # a later delivery, or render: the same posts
    assert [d.post_id for d in again.messages(t.POSTS)] == [d.post_id for d in drafts]

    long = rendered.model_copy(update={"preset": "youtube_long"})
    assert [d.platform for d in await share.handle(encoded(long, "v1"), sites, accts, MemoryProducer())] == ["youtube"]
    broken = rendered.model_copy(update={"problems": ["fps 25, not 30"]})
    assert await share.handle(encoded(broken, "v1"), sites, accts, MemoryProducer()) == []


async def test_an_article_with_unknown_fields_is_processed_and_the_fields_are_said() -> None:
    raw = {
        **ContentPublished.model_validate(article("c9", site_id="s1")).model_dump(mode="json"),
        "images": ["https://x/a.jpg"],
        "tags": ["k"],
    }
    raw.pop("image_urls")
    out = MemoryProducer()
    assert await intake.handle(orjson.dumps(raw), SITES, out) == ["images", "tags"]
    [cmd] = out.messages(t.POSTS_GENERATE)
    assert cmd.article.content_id == "c9" and cmd.article.image_urls == []  # processed: nothing lost that was understood
    with pytest.raises(Unprocessable, match="unknown fields images, tags"):
        await intake.handle(orjson.dumps(raw), SITES, MemoryProducer(), strict=True)  # strict mode: to the DLQ with the names
