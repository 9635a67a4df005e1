"""The best-time learner and the slots it picks: pure, seeded, inside the cap and the cooldown."""

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.learner import DECAY_TAU_HOURS, Evidence, decay_for, impute_24h, learn, pooled_prior, prior
from domain.schedule import SlotPolicy, learned_slot, next_slot

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def policy(tz: str = "UTC", max_per_day: int = 2, cooldown_hours: float = 4.0) -> SlotPolicy:
    return SlotPolicy(timezone=tz, best_times=(), max_per_day=max_per_day, cooldown_hours=cooldown_hours, interval_minutes=None)


def best_hour(beliefs: object, weekday: int = 2) -> int:
    row = beliefs.mean[weekday]  # type: ignore[attr-defined]
    return max(range(6, 24), key=row.__getitem__)


def simulate(curve: list[float], days: int, seed: int, sigma: float = 0.7) -> tuple[list[int], float, float]:
    """Two posts a day by learned_slot on a day curve (the same every weekday): the hours chosen, and the
    expected engagement of ours against the platform's defaults."""
    rng, noise = random.Random(seed), random.Random(seed + 1)
    base = prior("facebook")
    posts: list[tuple[datetime, float]] = []
    hours: list[int] = []
    ours = 0.0
    for day in range(days):
        now = MONDAY + timedelta(days=day)
        seen = [Evidence(t.weekday(), t.hour, v, t) for t, v in posts if t <= now - timedelta(hours=24)]
        beliefs = learn(base, seen, now)
        occupied = [t for t, _ in posts if t > now - timedelta(days=1)]
        for _ in range(2):
            pick = learned_slot(policy(), "facebook", occupied, now, beliefs, rng)
            occupied.append(pick.at)
            posts.append((pick.at, curve[pick.hour] + noise.gauss(0, sigma)))
            hours.append(pick.hour)
            ours += math.exp(curve[pick.hour])
    defaults = days * (math.exp(curve[9]) + math.exp(curve[13]))  # Facebook's 09:00 and 13:00
    return hours, ours, defaults


def test_with_only_the_prior_the_platforms_default_times_are_chosen() -> None:
    beliefs = prior("linkedin")
    now = MONDAY + timedelta(hours=1)
    for seed in range(20):
        pick = learned_slot(policy(), "linkedin", [], now, beliefs, random.Random(seed))
        assert pick.at == next_slot(policy(), "linkedin", [], now) == MONDAY + timedelta(hours=8)
        assert not pick.explored and pick.lift == pytest.approx(0.0)
    assert {best_hour(beliefs, d) for d in range(7)} == {8}  # 08:00, 12:00, 17:00 tie: the earliest


def test_a_clear_peak_at_19_is_learned_from_synthetic_evidence() -> None:
    rng = random.Random(7)
    evidence = []
    for i in range(144):  # every hour from 06:00 to 23:00 eight times, four posts a day, noise sd 0.5
        hour = 6 + i % 18
        at = MONDAY + timedelta(days=i // 4, hours=hour)
        peak = 0.8 * math.exp(-((hour - 19) ** 2) / (2 * 1.5**2))  # audiences peak over hours, not in one
        evidence.append(Evidence(at.weekday(), hour, 2.0 + peak + rng.gauss(0, 0.5), at))
    beliefs = learn(prior("linkedin"), evidence, MONDAY + timedelta(days=37))
    assert all(best_hour(beliefs, d) == 19 for d in range(7))
    lift, low, high = beliefs.lift(2, 19)
    assert low < lift < high and low > 0.2  # surely better than LinkedIn's defaults (08:00, 12:00, 17:00)
    assert beliefs.n == 144 and beliefs.level == pytest.approx(2.0, abs=0.3)


def test_the_scheduler_moves_toward_a_hidden_peak_while_posting() -> None:
    curve = [0.9 * math.exp(-((h - 19) ** 2) / 4.5) for h in range(24)]
    hours, ours, defaults = simulate(curve, days=70, seed=3)
    late = hours[-28:]
    assert sum(18 <= h <= 20 for h in late) >= len(late) // 2  # one of the two daily posts, at least
    assert ours > 1.1 * defaults


def test_a_flat_curve_loses_nothing_beyond_exploration() -> None:
    hours, ours, defaults = simulate([1.0] * 24, days=42, seed=5)
    assert ours == pytest.approx(defaults)  # every hour is worth the same: exploring is free
    assert len(hours) == 84 and all(6 <= h <= 23 for h in hours)


def test_cap_and_cooldown_are_never_broken_whatever_is_occupied() -> None:
    gen = random.Random(11)
    for case in range(200):
        p = policy(
            tz=gen.choice(["UTC", "Europe/Berlin", "America/New_York"]),
            max_per_day=gen.randint(1, 3),
            cooldown_hours=gen.choice([0, 2, 4, 6]),
        )
        now = MONDAY + timedelta(minutes=gen.randrange(0, 7 * 1440))
        occupied = [now + timedelta(minutes=gen.randrange(-1440, 3 * 1440)) for _ in range(gen.randint(0, 8))]
        evidence = [
            Evidence(gen.randrange(7), gen.randrange(6, 24), gen.gauss(1, 1), now - timedelta(days=gen.randrange(1, 60))) for _ in range(30)
        ]
        beliefs = learn(prior("x"), evidence, now)
        pick = learned_slot(p, "x", occupied, now, beliefs, random.Random(case))
        assert pick.at > now
        tz = ZoneInfo(p.timezone)
        local_day = pick.at.astimezone(tz).date()
        assert sum(o.astimezone(tz).date() == local_day for o in occupied) < p.max_per_day
        assert all(abs(pick.at - o) >= timedelta(hours=p.cooldown_hours) for o in occupied)
        if p.cooldown_hours == 0:
            assert pick.at not in occupied
        # never more than a day later than the first free slot next_slot would give
        assert pick.at.astimezone(tz).date() <= next_slot(p, "x", occupied, now).astimezone(tz).date() + timedelta(days=1)


def test_picks_are_deterministic_per_seed() -> None:
    evidence = [Evidence(d, h, (h % 5) / 3, MONDAY + timedelta(days=d, hours=h)) for d in range(7) for h in range(6, 24, 3)]
    beliefs = learn(prior("instagram"), evidence, MONDAY + timedelta(days=9))
    now = MONDAY + timedelta(days=9)
    first = [learned_slot(policy(), "instagram", [], now, beliefs, random.Random(s)) for s in range(10)]
    again = [learned_slot(policy(), "instagram", [], now, beliefs, random.Random(s)) for s in range(10)]
    assert first == again
    assert learn(prior("instagram"), evidence, now) == beliefs


def test_content_effects_are_taken_out_so_a_video_hour_does_not_look_best() -> None:
    """Videos do 1.5 (log) better wherever they go; most of them went out at 14:00. Without taking the
    content out, 14:00 would look best; the true peak is 10:00."""
    rng = random.Random(2)
    evidence = []
    for i in range(160):
        hour = rng.choice([10, 14, 18])
        video = rng.random() < (0.8 if hour == 14 else 0.15)
        value = 1.0 + (0.4 if hour == 10 else 0.0) + (1.5 if video else 0.0) + rng.gauss(0, 0.3)
        at = MONDAY + timedelta(days=i // 3, hours=hour)
        evidence.append(Evidence(at.weekday(), hour, value, at, post_type="video" if video else "text", media=video))
    now = MONDAY + timedelta(days=60)
    beliefs = learn(prior("facebook", ["12:00"]), evidence, now)
    assert all(beliefs.mean[d][10] > beliefs.mean[d][14] for d in range(7))
    effects = dict(beliefs.effects)
    assert effects["post_type:video"] + effects.get("media", 0.0) == pytest.approx(1.5, abs=0.3)
    naive = learn(prior("facebook", ["12:00"]), [Evidence(e.weekday, e.hour, e.value, e.at) for e in evidence], now)
    assert all(naive.mean[d][14] > naive.mean[d][10] for d in range(7))  # what the covariates prevent


def test_old_evidence_weighs_less_than_new() -> None:
    now = MONDAY + timedelta(days=400)
    old = [Evidence(2, 9, 3.0, now - timedelta(days=300, hours=i)) for i in range(20)]
    old += [Evidence(2, 17, 1.0, now - timedelta(days=300, hours=i)) for i in range(20)]
    new = [Evidence(2, 9, 1.0, now - timedelta(days=5, hours=i)) for i in range(20)]
    new += [Evidence(2, 17, 3.0, now - timedelta(days=5, hours=i)) for i in range(20)]
    beliefs = learn(prior("x", ["12:00"]), old + new, now)
    assert beliefs.mean[2][17] > beliefs.mean[2][9]  # the recent taste wins
    fresh_only = learn(prior("x", ["12:00"]), new, now)
    gap, fresh_gap = (b.mean[2][17] - b.mean[2][9] for b in (beliefs, fresh_only))
    assert gap > 0.8 * fresh_gap  # 300 days is over five half-lives: the old posts count for little
    same_age = learn(prior("x", ["12:00"]), [Evidence(e.weekday, e.hour, e.value, now - timedelta(days=5)) for e in old + new], now)
    assert abs(same_age.mean[2][17] - same_age.mean[2][9]) < 0.05  # had they been as recent, a tie


def test_a_pooled_prior_leans_toward_what_the_sites_other_accounts_learned() -> None:
    now = MONDAY + timedelta(days=30)
    evidence = [
        Evidence(d, h, 2.0 + (1.0 if h == 21 else 0.0), now - timedelta(days=1)) for d in range(7) for h in range(6, 24) for _ in range(2)
    ]
    other = learn(prior("tiktok"), evidence, now)
    pooled = pooled_prior("tiktok", [other, other])
    base = prior("tiktok")
    assert base.mean[3][21] < pooled.mean[3][21] < other.mean[3][21]
    assert pooled.n == 0 and pooled.sd == base.sd
    assert pooled_prior("tiktok", []) == base


def test_an_early_snapshot_is_imputed_to_24_hours_through_the_decay_curve() -> None:
    assert impute_24h(100.0, 30.0, "x") == 100.0
    assert impute_24h(100.0, 24.0, "linkedin") == 100.0
    tau = DECAY_TAU_HOURS["x"]
    expected = 100.0 * (1 - math.exp(-24 / tau)) / (1 - math.exp(-2 / tau))
    assert impute_24h(100.0, 2.0, "x") == pytest.approx(expected)
    assert impute_24h(100.0, 2.0, "youtube") > impute_24h(100.0, 2.0, "x")  # slower platforms scale up more
    assert impute_24h(10.0, 0.0, "facebook") == pytest.approx(200.0)  # never more than 20×
    assert impute_24h(50.0, 6.0, lambda t: t / 24) == pytest.approx(200.0)  # a decay curve of one's own
    assert decay_for("tiktok")(24.0) == pytest.approx(1.0)
