"""The usage ledger: the cost table, the account's decider (reserve, commit, release; idempotent per
causing event; refused when short), its single writer over the memory store, and the work that
charges through it (adapt, render) with the broker port wired to that writer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal

import pytest

from adapters.accounts import MemoryAccounts
from adapters.credits import BrokerCredits, MemoryCreditStore, command_id, wire
from adapters.kafka import KafkaMessage, MemoryProducer, Position
from adapters.outcomes import MemoryOutcomes
from adapters.sites import MemorySites
from commands import usage
from domain.accounts import Account, Site
from domain.post.rules import RuleWriter
from domain.usage import DEFAULT_COSTS, Charge, parse_costs, post_lines, price, total, video_lines, voice_minutes
from domain.usage import Account as Credits
from schemas import events as e
from schemas import topics as t
from schemas.commands import DecideCredits, GeneratePosts
from schemas.events import ContentPublished
from schemas.registry import registry
from streams import adapt, charge, render
from tests.integration.articles import article

OPEN = Decimal(100)


def cmd(action: str, charge_id: str = "ev-1", *lines: tuple[str, int], credits: int = 0) -> DecideCredits:
    priced = wire([price(DEFAULT_COSTS, op, q) for op, q in lines])
    return DecideCredits(
        command_id=f"{charge_id}-{action}", site_id="s1", action=action, charge_id=charge_id, lines=priced, credits=Decimal(credits)
    )  # type: ignore[arg-type]


def run(events: list[e.Event], account: Credits, ch: Charge | None = None) -> tuple[Credits, Charge | None]:
    for ev in events:
        account, ch = usage.evolve(account, ev), usage.evolve_charge(ch, ev)
    return account, ch


# ---------------------------------------------------------------- the cost table
def test_the_cost_table_is_the_plans_and_takes_overrides_as_json() -> None:
    assert DEFAULT_COSTS["adaptation"] == 1 and DEFAULT_COSTS["hashtags"] == Decimal("0.5") and DEFAULT_COSTS["render"] == 5
    costs = parse_costs('{"image": 5, "voice_minutes": "20"}')
    assert costs["image"] == 5 and costs["voice_minutes"] == 20 and costs["thread"] == 2
    assert parse_costs("") == dict(DEFAULT_COSTS)
    for bad, named in (('{"images": 1}', "credit_costs.images"), ('{"image": -1}', "credit_costs.image"), ("[1]", "JSON object")):
        with pytest.raises(ValueError, match=named):
            parse_costs(bad)


def test_a_post_costs_its_adaptation_hashtags_kind_and_image_and_voice_is_per_started_minute() -> None:
    assert total(post_lines(DEFAULT_COSTS, "announcement", image=False)) == Decimal("1.5")
    assert total(post_lines(DEFAULT_COSTS, "thread", image=False)) == Decimal("3.5")
    assert total(post_lines(DEFAULT_COSTS, "carousel", image=True)) == Decimal("9.5")
    assert [voice_minutes(s) for s in (1, 60, 61, 600)] == [1, 1, 2, 10]
    assert total(video_lines(DEFAULT_COSTS, voice_seconds=90, render=True)) == 25


# ---------------------------------------------------------------- the decider
def test_the_first_command_opens_the_account_with_the_opening_grant_then_reserve_and_commit() -> None:
    events = usage.decide(Credits("s1"), None, cmd("reserve", "ev-1", ("adaptation", 2), ("hashtags", 2)), opening=OPEN)
    assert [type(x).__name__ for x in events] == ["CreditsGranted", "CreditsReserved"]
    account, ch = run(events, Credits("s1"))
    assert (account.balance, account.reserved, account.available) == (100, 3, 97) and ch == Charge("ev-1", "reserved", Decimal(3))
    done = usage.decide(account, ch, cmd("commit", "ev-1", ("adaptation", 1), ("hashtags", 1)), opening=OPEN)
    assert [type(x).__name__ for x in done] == ["CreditsCommitted"]  # opened already: no second grant
    account, ch = run(done, account, ch)
    assert (account.balance, account.reserved, account.available) == (Decimal("98.5"), 0, Decimal("98.5"))
    assert ch is not None and ch.state == "committed"


def test_a_charge_is_idempotent_per_causing_event() -> None:
    account, ch = run(usage.decide(Credits("s1"), None, cmd("reserve", "ev-1", ("render", 1)), opening=OPEN), Credits("s1"))
    assert usage.decide(account, ch, cmd("reserve", "ev-1", ("render", 1)), opening=OPEN) == []  # redelivered: held once
    account, ch = run(usage.decide(account, ch, cmd("commit", "ev-1", ("render", 1)), opening=OPEN), account, ch)
    assert usage.decide(account, ch, cmd("commit", "ev-1", ("render", 1)), opening=OPEN) == []  # charged once
    assert usage.decide(account, ch, cmd("release", "ev-1"), opening=OPEN) == []  # a done charge is not given back
    assert usage.decide(account, ch, cmd("reserve", "ev-1", ("render", 1)), opening=OPEN) == []
    assert account.balance == 95 and account.reserved == 0


def test_a_release_gives_the_reservation_back() -> None:
    account, ch = run(usage.decide(Credits("s1"), None, cmd("reserve", "ev-1", ("render", 1)), opening=OPEN), Credits("s1"))
    released = usage.decide(account, ch, cmd("release", "ev-1"), opening=OPEN)
    assert [type(x).__name__ for x in released] == ["CreditsReleased"]
    account, ch = run(released, account, ch)
    assert (account.balance, account.reserved) == (100, 0) and ch is not None and ch.state == "released"
    assert usage.decide(account, ch, cmd("commit", "ev-1", ("render", 1)), opening=OPEN) == []  # released work is never charged


def test_insufficient_credits_refuse_the_reservation_and_remember_it() -> None:
    account = Credits("s1", opened=True, granted=Decimal(7), reserved=Decimal(3))
    refused = usage.decide(account, None, cmd("reserve", "ev-1", ("render", 1)), opening=OPEN)
    assert [type(x).__name__ for x in refused] == ["CreditsRefused"]
    no = usage.refused(refused)
    assert no is not None and no.available == 4 and no.credits == 5 and "4 credits available" in no.reason
    account, ch = run(refused, account)
    assert account.available == 4 and ch is not None and ch.state == "refused"
    assert usage.decide(account, ch, cmd("commit", "ev-1", ("render", 1)), opening=OPEN) == []  # refused work is never charged
    exact = usage.decide(account, None, cmd("reserve", "ev-2", ("adaptation", 4)), opening=OPEN)
    assert [type(x).__name__ for x in exact] == ["CreditsReserved"]  # exactly what is left: held


def test_a_grant_adds_and_a_negative_grant_takes_back() -> None:
    account, _ = run(usage.decide(Credits("s1"), None, cmd("grant", "", credits=-100), opening=OPEN), Credits("s1"))
    assert account.balance == 0 and account.opened
    refused = usage.decide(account, None, cmd("reserve", "ev-1", ("hashtags", 1)), opening=OPEN)
    assert isinstance(refused[0], e.CreditsRefused)
    account, _ = run(usage.decide(account, None, cmd("grant", "", credits=25), opening=OPEN), account)
    assert account.balance == 25


# ---------------------------------------------------------------- the single writer and the port
class ChargingProducer(MemoryProducer):
    """The broker between the working agents and the charge agent: a command sent to
    ``social.usage.commands`` is decided at once by the writer (over the memory store)."""

    def __init__(self, opening: Decimal = OPEN) -> None:
        super().__init__()
        self.store = MemoryCreditStore()
        self.writer = charge.Charging(store=self.store, out=self, opening=opening)

    async def send(self, topic: str, message: KafkaMessage) -> Awaitable[Position]:
        done = await super().send(topic, message)
        if topic == t.USAGE_COMMANDS:
            await charge.decide(message.decoded(), self.writer)
        return done

    def credits(self) -> BrokerCredits:
        return BrokerCredits(self, MemoryOutcomes(self.store.outcomes), timeout=1.0)


def envelope_of(message: object, key: str) -> bytes:
    return registry.envelope(message, source="test", subject=key).encode()  # type: ignore[arg-type]


async def test_the_writer_answers_a_repeated_command_with_its_first_outcome_and_appends_once() -> None:
    bus = ChargingProducer()
    raw = envelope_of(cmd("reserve", "ev-1", ("render", 1)), "s1")
    first = await charge.decide(registry.decode(raw), bus.writer)
    again = await charge.decide(registry.decode(raw), bus.writer)
    assert first == again and first.status == 202 and first.body["available"] == "95"
    assert [type(m).__name__ for m in bus.messages(t.USAGE)] == ["CreditsGranted", "CreditsReserved"]
    assert {k.decode() for k in (m.key for _, m in bus.sent)} == {"s1"}  # keyed by the site: one account, one partition


async def test_a_refused_reservation_is_a_402_outcome() -> None:
    bus = ChargingProducer(opening=Decimal(2))
    held = await bus.credits().reserve(
        "s1", "ev-1", [price(DEFAULT_COSTS, "render")], registry.decode(envelope_of(cmd("grant"), "s1")).envelope
    )
    assert not held.held and "2 credits available" in held.reason
    assert bus.store.outcomes[command_id("ev-1", "reserve")].status == 402


SITE = MemorySites([Site(site_id="s1", timezone="UTC", post_types=["announcement", "thread"])])
X = Account(account_id="a-x", platform="x", platform_account_id="x-1", handle="me", site_id="s1")


async def test_adapt_reserves_before_writing_commits_what_it_drafted_and_a_redelivery_charges_once() -> None:
    bus = ChargingProducer()
    raw = envelope_of(GeneratePosts(article=ContentPublished.model_validate(article("c1", site_id="s1"))), "c1")
    kw = {"sites": SITE, "accounts": MemoryAccounts([X]), "writer": RuleWriter(), "fallback": RuleWriter(), "credits": bus.credits()}
    drafts = await adapt.handle(raw, out=bus, **kw)  # type: ignore[arg-type]
    again = await adapt.handle(raw, out=bus, **kw)  # type: ignore[arg-type]
    assert [d.post_id for d in again] == [d.post_id for d in drafts] and len(drafts) == 2
    kinds = [type(m).__name__ for m in bus.messages(t.USAGE)]
    assert kinds == ["CreditsGranted", "CreditsReserved", "CreditsCommitted"]  # one charge for two deliveries
    committed = bus.messages(t.USAGE)[-1]
    assert committed.credits == Decimal("5")  # an announcement (1.5) and a thread (3.5), neither with an image
    assert {s.subject_id for s in committed.subjects} == {d.post_id for d in drafts} and committed.model == "rules"
    assert bus.store.accounts["s1"].balance == 95 and bus.store.accounts["s1"].reserved == 0


async def test_adapt_skips_an_article_its_site_cannot_pay_for_before_any_writing() -> None:
    bus = ChargingProducer(opening=Decimal(1))
    raw = envelope_of(GeneratePosts(article=ContentPublished.model_validate(article("c1", site_id="s1"))), "c1")
    drafts = await adapt.handle(
        raw, sites=SITE, accounts=MemoryAccounts([X]), writer=RuleWriter(), fallback=RuleWriter(), out=bus, credits=bus.credits()
    )
    assert drafts == [] and bus.messages(t.POSTS)[0].reason.startswith("site s1 has 1 credits available")
    assert [type(m).__name__ for m in bus.messages(t.POSTS)] == ["ContentSkipped"]  # no post, no half-done work


def job(until: str = "video") -> object:
    from commands.video import start

    d = start(
        ContentPublished.model_validate(article("c1", site_id="s1")),
        project_id="v1", preset="youtube_short", voice_id="tone", words_per_second=2.6, review=False,
    )  # fmt: skip
    assert d.job is not None
    return d.job.model_copy(update={"until": until})


def made_video(store: str, media_url: str, job_json: str, progress: str) -> dict[str, object]:
    return {
        "video_url": f"{media_url}/v.mp4", "audio_url": f"{media_url}/a.wav", "seconds": 75.0, "durations": [75.0], "pictures": [],
        "srt_url": f"{media_url}/c.srt", "vtt_url": f"{media_url}/c.vtt", "thumbnail_url": f"{media_url}/t.jpg", "sections": 1,
        "timings": {}, "made": {},
    }  # fmt: skip


async def test_a_redelivered_render_job_charges_once_and_a_failed_one_releases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bus = ChargingProducer()
    raw = envelope_of(job(), "v1")
    r = render.Rendering(out=bus, store=str(tmp_path), media_url="http://api/media/video", make=made_video, credits=bus.credits())
    first = await render.handle(raw, r)
    second = await render.handle(raw, r)
    if isinstance(first, e.VideoProjectFailed):
        pytest.fail(first.reason)
    assert type(second) is type(first)
    kinds = [type(m).__name__ for m in bus.messages(t.USAGE)]
    assert kinds == ["CreditsGranted", "CreditsReserved", "CreditsCommitted"]
    committed = bus.messages(t.USAGE)[-1]
    assert committed.credits == 25 and [(x.operation, x.quantity) for x in committed.lines] == [("voice_minutes", 2), ("render", 1)]
    assert committed.subjects[0].subject_id == "v1" and committed.model == "voice:tone + ffmpeg"

    def broken(*_: object) -> dict[str, object]:
        raise ValueError("cannot identify image file")

    r.make = broken
    failed = await render.handle(envelope_of(job(), "v1"), r)  # another job (another envelope): another charge
    assert isinstance(failed, e.VideoProjectFailed)
    assert [type(m).__name__ for m in bus.messages(t.USAGE)][-2:] == ["CreditsReserved", "CreditsReleased"]
    assert bus.store.accounts["s1"].balance == 75 and bus.store.accounts["s1"].reserved == 0


async def test_a_render_the_site_cannot_pay_for_fails_the_project_before_any_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bus = ChargingProducer(opening=Decimal(3))
    calls: list[str] = []

    def watched(*args: object) -> dict[str, object]:
        calls.append("made")
        return made_video(*args)  # type: ignore[arg-type]

    r = render.Rendering(out=bus, store=str(tmp_path), media_url="http://api/media/video", make=watched, credits=bus.credits())
    failed = await render.handle(envelope_of(job(), "v1"), r)
    assert isinstance(failed, e.VideoProjectFailed) and "3 credits available" in failed.reason and calls == []
    await asyncio.sleep(0)
