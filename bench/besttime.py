"""``python -m bench.besttime --curves FILE``: best times that learn, simulated with the scheduler's own code.

Each account has a hidden curve: ``curve[d][h]``, the log expected engagement of a post on weekday ``d``
(0 = Monday) at local hour ``h``. Every simulated day at 00:00 two posts are reserved, 06:00-23:00 local,
at least 4 h apart, at most 2 a day; a post's engagement is ``exp(curve + N(0, sigma))``, seen 24 h later.

Policies, each on the same accounts:

- defaults: ``domain.schedule.next_slot`` on the platform's default best times (what ships today);
- population: the best fixed schedule under the platform's population curve (Buffer's and Later's tables);
- greedy: each weekday × hour's average engagement over the last 16 weeks, best two (Sprout's way; an
  untried hour counts as the account's average, the defaults win ties), never exploring on purpose;
- ours: ``domain.learner.learn`` once a day and ``domain.schedule.learned_slot`` per post, the code the
  scheduler runs;
- oracle: the best fixed schedule under the true curve.

Figures are of expected engagement ``exp(curve)`` of the slots chosen (the noise is the same in
expectation whatever the slot; learning sees the noisy values). A post counts in the week it was
reserved, so every policy has 14 a week.

- ``lift_vs_defaults.weeks_9_12`` / ``weeks_23_26``: median over accounts of ours / defaults - 1;
- ``gap_closed_week_26``: weeks 1-26, sum over accounts of (ours - defaults) / (oracle - defaults), each
  account's engagement relative to its defaults' (so big accounts do not dominate), accounts with a gap;
- ``beats_population_share``: share of accounts (not flat: there every slot ties) where ours beats the
  population schedule over weeks 23-26;
- ``flat_loss``: median over flat accounts of 1 - ours / defaults, weeks 1-26.

``--make-curves FILE [--style main|alt] [--curve-seed N]`` writes a curves file (``bench/curves.json``
is ``--style main --curve-seed 19``; ``--style alt --curve-seed 7`` is a differently generated set to
check the goals hold for other curves too).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.learner import Evidence, learn, prior
from domain.platforms import profile
from domain.schedule import SlotPolicy, learned_slot, next_slot

HOURS = list(range(6, 24))
PAIRS = [(a, b) for a in HOURS for b in HOURS if b - a >= 4]  # two posts a day, 4 h or more apart
PLATFORMS = ["linkedin", "x", "facebook", "instagram", "tiktok", "youtube"]
POLICIES = ["defaults", "population", "greedy", "ours", "oracle"]
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
GREEDY_WEEKS = 16
GOALS = {
    "lift_vs_defaults.weeks_23_26": (">=", 0.10),
    "gap_closed_week_26": (">=", 0.40),
    "beats_population_share": (">=", 0.60),
    "flat_loss": ("<=", 0.01),
}

Curve = list[list[float]]


# ----------------------------------------------------------------- curves
def _bump(h: float, centre: float, width: float) -> float:
    return math.exp(-((h - centre) ** 2) / (2 * width * width))


# The population's day per platform: (centre, width, height) bumps, and how much quieter the weekend is.
POPULATION = {
    "linkedin": ([(9.0, 1.5, 0.6), (12.5, 1.5, 0.5), (17.5, 1.5, 0.35)], -0.45),
    "x": ([(10.0, 2.0, 0.45), (13.0, 1.5, 0.4), (18.0, 2.0, 0.5)], -0.15),
    "facebook": ([(10.0, 2.0, 0.4), (14.0, 1.5, 0.45), (20.0, 2.0, 0.55)], 0.0),
    "instagram": ([(12.0, 2.0, 0.45), (18.0, 1.5, 0.5), (21.0, 1.5, 0.5)], 0.05),
    "tiktok": ([(13.0, 2.0, 0.35), (19.5, 1.5, 0.55), (22.0, 1.5, 0.5)], 0.1),
    "youtube": ([(14.0, 2.0, 0.4), (17.5, 2.0, 0.55), (20.5, 1.5, 0.45)], 0.1),
}


def population_day(platform: str, shift: float = 0.0, scale: float = 1.0) -> list[float]:
    bumps, _ = POPULATION[platform]
    return [scale * sum(a * _bump(h - shift, c, w) for c, w, a in bumps) for h in range(24)]


def make_main(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Several families around each platform's population curve."""
    families = ["shifted"] * 7 + ["bimodal"] * 4 + ["weekend"] * 3 + ["evening"] * 2 + ["morning"] * 2 + ["flat"] * 2
    out = []
    for i in range(n):
        platform = PLATFORMS[i % len(PLATFORMS)]
        family = families[i % len(families)]
        level = rng.uniform(1.0, 5.0)
        _, weekend_gap = POPULATION[platform]
        curve: Curve
        if family == "flat":
            curve = [[level] * 24 for _ in range(7)]
        elif family == "shifted":
            day = population_day(platform, rng.uniform(-3.0, 3.0), rng.uniform(0.5, 1.8))
            curve = [[level + v + (weekend_gap if d >= 5 else 0.0) + rng.gauss(0, 0.05) for v in day] for d in range(7)]
        elif family == "bimodal":
            m, e = rng.uniform(7.0, 10.5), rng.uniform(17.5, 22.5)
            am, ae, wm, we = rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9), rng.uniform(1.0, 2.5), rng.uniform(1.0, 2.5)
            curve = [[level + am * _bump(h, m, wm) + ae * _bump(h, e, we) for h in range(24)] for _ in range(7)]
        elif family == "weekend":
            day = population_day(platform, rng.uniform(-1.5, 1.5), rng.uniform(0.6, 1.2))
            c, a, w, lift = rng.uniform(10.0, 15.0), rng.uniform(0.4, 0.9), rng.uniform(1.5, 3.0), rng.uniform(0.2, 0.5)
            curve = [[level + v for v in day] for _ in range(5)]
            curve += [[level + lift + a * _bump(h, c, w) for h in range(24)] for _ in range(2)]
        else:
            c = rng.uniform(20.0, 23.0) if family == "evening" else rng.uniform(6.0, 9.0)
            a, w = rng.uniform(0.4, 1.0), rng.uniform(1.5, 3.0)
            curve = [[level + a * _bump(h, c, w) + rng.gauss(0, 0.05) for h in range(24)] for _ in range(7)]
        out.append({"id": f"{family}-{i:03d}", "platform": platform, "family": family, "curve": [[round(v, 4) for v in r] for r in curve]})
    return out


def make_alt(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Differently made: random sums of bumps and dips, each weekday moved a little on its own, some
    accounts with a weekend of their own, a tenth flat; nothing tied to the platform's population."""
    out = []
    for i in range(n):
        platform = PLATFORMS[rng.randrange(len(PLATFORMS))]
        level = rng.uniform(0.0, 6.0)
        if rng.random() < 0.1:
            curve = [[level] * 24 for _ in range(7)]
            family = "flat"
        else:
            bumps = [(rng.uniform(6.0, 23.0), rng.uniform(1.0, 4.0), rng.gauss(0.0, 0.4)) for _ in range(rng.randint(2, 5))]
            weekend = [(rng.uniform(8.0, 22.0), rng.uniform(1.5, 4.0), rng.gauss(0.2, 0.4)) for _ in range(2)]
            own_weekend = rng.random() < 0.3
            curve = []
            for d in range(7):
                shift, lv = rng.gauss(0.0, 0.7), rng.gauss(0.0, 0.1)
                bs = weekend if (own_weekend and d >= 5) else bumps
                curve.append([level + lv + sum(a * _bump(h - shift, c, w) for c, w, a in bs) for h in range(24)])
            family = "own-weekend" if own_weekend else "bumps"
        out.append({"id": f"{family}-{i:03d}", "platform": platform, "family": family, "curve": [[round(v, 4) for v in r] for r in curve]})
    return out


# ----------------------------------------------------------------- schedules
def best_pairs(curve: Curve) -> list[tuple[int, int]]:
    """Per weekday the two hours 4 h or more apart with the most expected engagement."""
    out = []
    for d in range(7):
        e = [math.exp(v) for v in curve[d]]
        out.append(max(PAIRS, key=lambda p: e[p[0]] + e[p[1]]))
    return out


def default_pair(platform: str, policy: SlotPolicy) -> tuple[int, int]:
    first = next_slot(policy, platform, [], START)
    second = next_slot(policy, platform, [first], START)
    if second.date() != first.date():  # YouTube's 15:00 and 18:00 are closer than the cooldown
        return first.hour, first.hour + 4
    return first.hour, second.hour


def greedy_pair(stats: list[float], counts: list[int], total: float, n: int, defaults: tuple[int, int]) -> tuple[int, int]:
    """One weekday's best two hours by their averages (an untried hour: the account's average)."""
    if not n:
        return defaults
    overall = total / n
    score = [(stats[h] / counts[h] if counts[h] else overall) + (1e-9 if h in defaults else 0.0) for h in range(24)]
    return max(PAIRS, key=lambda p: score[p[0]] + score[p[1]])


# ----------------------------------------------------------------- one account, one seed
def simulate(job: tuple[dict[str, Any], Curve, int, int, float]) -> dict[str, list[float]]:
    """Weekly expected engagement per policy for one account and one seed."""
    account, pop_curve, seed, weeks, sigma = job
    curve: Curve = account["curve"]
    platform: str = account["platform"]
    rng = random.Random(f"{seed}:{account['id']}")
    noise_g, noise_o, thompson = random.Random(rng.random()), random.Random(rng.random()), random.Random(rng.random())
    policy = SlotPolicy(timezone="UTC", best_times=(), max_per_day=2, cooldown_hours=4.0, interval_minutes=None, horizon_days=3)
    exp_c = [[math.exp(v) for v in row] for row in curve]
    defaults = default_pair(platform, policy)
    fixed = {"defaults": [defaults] * 7, "population": best_pairs(pop_curve), "oracle": best_pairs(curve)}
    weekly = {p: [0.0] * weeks for p in POLICIES}
    for name, pairs in fixed.items():
        for w in range(weeks):
            weekly[name][w] = sum(exp_c[d][a] + exp_c[d][b] for d, (a, b) in enumerate(pairs))
    # greedy: sums and counts of the last GREEDY_WEEKS weeks, per weekday and hour
    g_hist: list[tuple[int, int, float]] = []  # (weekday, hour, value) in posting order, two a day
    stats = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    g_total, g_n = 0.0, 0
    # ours
    base = prior(platform)
    posts: list[tuple[datetime, float]] = []  # (time, log engagement) of our posts not yet 24 h old
    seen: list[Evidence] = []
    reserved: list[datetime] = []
    for day in range(weeks * 7):
        now = START + timedelta(days=day)
        wd = now.weekday()
        w = day // 7
        # greedy
        # at 00:00 the posts of the day before yesterday are 24 h old; those of 16 weeks before leave
        for start, sign in ((day - 2, 1), (day - 2 - 7 * GREEDY_WEEKS, -1)):
            for gwd, gh, v in g_hist[2 * start : 2 * start + 2] if start >= 0 else ():
                stats[gwd][gh] += sign * v
                counts[gwd][gh] += sign
                g_total, g_n = g_total + sign * v, g_n + sign
        a, b = greedy_pair(stats[wd], counts[wd], g_total, g_n, defaults)
        for h in (a, b):
            g_hist.append((wd, h, math.exp(curve[wd][h] + noise_g.gauss(0.0, sigma))))
            weekly["greedy"][w] += exp_c[wd][h]
        # ours: what has been seen by now, then two reservations
        cutoff = now - timedelta(hours=24)
        seen += [Evidence(t.weekday(), t.hour, v, t) for t, v in posts if t <= cutoff]
        posts = [(t, v) for t, v in posts if t > cutoff]
        beliefs = learn(base, seen, now)
        occupied = [t for t in reserved if t > now - timedelta(days=1)]
        for _ in range(2):
            pick = learned_slot(policy, platform, occupied, now, beliefs, thompson)
            occupied.append(pick.at)
            reserved.append(pick.at)
            posts.append((pick.at, curve[pick.weekday][pick.hour] + noise_o.gauss(0.0, sigma)))
            weekly["ours"][w] += exp_c[pick.weekday][pick.hour]
        reserved = [t for t in reserved if t > now - timedelta(days=1)]
    return weekly


# ----------------------------------------------------------------- figures
def figures(accounts: Sequence[dict[str, Any]], runs: Sequence[dict[str, list[float]]], weeks: int) -> dict[str, float]:
    def total(r: dict[str, list[float]], p: str, lo: int, hi: int) -> float:
        return sum(r[p][lo - 1 : hi])

    flat = [all(v == a["curve"][0][0] for row in a["curve"] for v in row) for a in accounts]
    late = (max(1, weeks - 3), weeks)
    mid = (min(9, weeks), min(12, weeks))
    out = {
        "lift_vs_defaults.weeks_9_12": statistics.median(total(r, "ours", *mid) / total(r, "defaults", *mid) - 1 for r in runs),
        "lift_vs_defaults.weeks_23_26": statistics.median(total(r, "ours", *late) / total(r, "defaults", *late) - 1 for r in runs),
    }
    for p in ("population", "greedy", "oracle"):
        out[f"{p}_lift_vs_defaults.weeks_23_26"] = statistics.median(total(r, p, *late) / total(r, "defaults", *late) - 1 for r in runs)
    gains = gaps = 0.0
    for r in runs:
        d = total(r, "defaults", 1, weeks)
        gap = (total(r, "oracle", 1, weeks) - d) / d
        if gap > 1e-9:
            gains += (total(r, "ours", 1, weeks) - d) / d
            gaps += gap
    out["gap_closed_week_26"] = gains / gaps if gaps else 0.0
    rest = [r for r, f in zip(runs, flat, strict=True) if not f]
    out["beats_population_share"] = sum(total(r, "ours", *late) > total(r, "population", *late) for r in rest) / max(1, len(rest))
    flats = [r for r, f in zip(runs, flat, strict=True) if f]
    out["flat_loss"] = statistics.median(1 - total(r, "ours", 1, weeks) / total(r, "defaults", 1, weeks) for r in flats) if flats else 0.0
    return out


def population_curves(accounts: Sequence[dict[str, Any]]) -> dict[str, Curve]:
    out = {}
    for p in {a["platform"] for a in accounts}:
        mine = [a["curve"] for a in accounts if a["platform"] == p]
        out[p] = [[math.log(sum(math.exp(c[d][h]) for c in mine) / len(mine)) for h in range(24)] for d in range(7)]
    return out


def run(accounts: list[dict[str, Any]], weeks: int, seeds: int, sigma: float, processes: int) -> dict[str, dict[str, float]]:
    pops = population_curves(accounts)
    per_seed = []
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for seed in range(seeds):
            jobs = [(a, pops[a["platform"]], seed, weeks, sigma) for a in accounts]
            runs = pool.map(simulate, jobs, chunksize=4)
            per_seed.append(figures(accounts, runs, weeks))
    return {
        k: {"mean": statistics.fmean(f[k] for f in per_seed), "min": min(f[k] for f in per_seed), "max": max(f[k] for f in per_seed)}
        for k in per_seed[0]
    }


def table(result: dict[str, dict[str, float]], seconds: float, n: int, weeks: int, seeds: int) -> None:
    judged = n >= 200 and weeks >= 26  # the goals are for 200 accounts × 26 weeks; a smoke run only proves it runs
    print(f"best times, {n} accounts × {weeks} weeks × {seeds} seeds in {seconds:.1f} s{'' if judged else ' (too small to judge)'}")
    print(f"{'figure':<44} {'mean':>8} {'min':>8} {'max':>8}  {'goal':<8}")
    for k, v in result.items():
        goal = GOALS.get(k)
        verdict = ""
        if goal and judged:
            ok = v["mean"] >= goal[1] if goal[0] == ">=" else v["mean"] <= goal[1]
            verdict = f"{goal[0]} {goal[1]:.0%}  {'meets' if ok else 'MISSES'}"
        print(f"{k:<44} {v['mean']:>8.1%} {v['min']:>8.1%} {v['max']:>8.1%}  {verdict}")
    print(f"{'runtime (s)':<44} {seconds:>8.1f} {'':>8} {'':>8}  " + (f"< 60 s  {'meets' if seconds < 60 else 'MISSES'}" if judged else ""))


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curves", type=Path, default=Path(__file__).with_name("curves.json"))
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sigma", type=float, default=0.7)
    ap.add_argument("--accounts", type=int, default=None, help="only the first N accounts")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="12 accounts, 4 weeks, 1 seed: proves it runs to the end")
    ap.add_argument("--make-curves", type=Path, help="write a curves file and stop")
    ap.add_argument("--style", choices=["main", "alt"], default="main")
    ap.add_argument("--curve-seed", type=int, default=19)
    ap.add_argument("--count", type=int, default=200)
    args = ap.parse_args(argv)
    if args.make_curves:
        rng = random.Random(args.curve_seed)
        accounts = (make_main if args.style == "main" else make_alt)(rng, args.count)
        args.make_curves.write_text(json.dumps({"accounts": accounts}, separators=(",", ":")) + "\n")
        return
    if args.smoke:
        args.accounts, args.weeks, args.seeds = 12, 4, 1
    accounts = json.loads(args.curves.read_text())["accounts"][: args.accounts]
    for a in accounts:
        profile(a["platform"])  # an unknown platform fails here, not in a worker
    t0 = time.perf_counter()
    result = run(accounts, args.weeks, args.seeds, args.sigma, args.processes)
    seconds = time.perf_counter() - t0
    if args.json:
        json.dump({**result, "seconds": seconds}, sys.stdout, indent=2)
        print()
    else:
        table(result, seconds, len(accounts), args.weeks, args.seeds)


if __name__ == "__main__":
    main()
