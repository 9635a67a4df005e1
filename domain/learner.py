"""Best times that learn: per account and platform, beliefs about log engagement over weekday × local hour.

Pure and seeded, so the scheduler and the simulator (``bench/besttime.py``) run the same code.

The model: a post's log engagement 24 h after publishing is

    y = level + shape[weekday][hour] + content·beta + noise

- ``shape`` has a normal prior per cell: a bump at the platform's default best times (so with no
  evidence the defaults win), sd ``PRIOR_SD``; or a prior pooled over the site's other accounts
  (``pooled_prior``).
- Evidence is shared between neighbouring hours (a Gaussian kernel of ``HOUR_SCALE`` hours) and, weakly,
  between weekdays (more between two working days, or the two weekend days, than across).
- ``level`` (the account's size) and ``beta`` (post type, media, virality score) are estimated jointly with
  the shape by backfitting, so a video that did well at 14:00 does not make 14:00 look good.
- Old evidence weighs ``0.5 ** (age / HALF_LIFE_DAYS)``: tastes and algorithms drift.
- Choices are Thompson samples with the spread scaled by ``SAMPLE_SCALE``: exploring costs little on an
  account whose hours hardly differ, and still finds a peak the defaults miss.

Cells are approximately independent normals after the kernel smoothing (not a joint Gaussian process):
168 cells and a few hundred posts fold in well under a millisecond, so ``learn`` can run per reservation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from random import Random

from domain.platforms import profile

DAYS, HOURS = 7, 24
CELLS = DAYS * HOURS
PRIOR_SD = 0.5  # how far (log) an account's hour may sit from the prior, before evidence
PRIOR_BUMP = 0.1  # the prior's log-lift of a default best time over the rest of the day
BUMP_WIDTH = 1.5  # hours: the prior bump's width around each default time
HOUR_SCALE = 1.0  # hours: the kernel that shares evidence between neighbouring hours
KERNEL_REACH = 3  # hours each side where the kernel is still worth computing
SAME_KIND_DAY = 0.6  # evidence shared with the other working days (or the other weekend day)
OTHER_KIND_DAY = 0.3  # ... and across working days and the weekend
HALF_LIFE_DAYS = 56.0  # old evidence forgotten: a post this old counts half
SAMPLE_SCALE = 0.25  # Thompson samples' spread, as a share of the posterior sd
NOISE_SD = 0.8  # prior guess of a post's log-engagement noise around its cell, before the data says
NOISE_DOF = 8.0  # ... worth this many posts
BETA_RIDGE = 2.0  # pseudo-posts that pull content effects toward zero
Z80 = 1.2815515655446004  # the 90th percentile of the standard normal: an 80 % central interval

# Fraction of a post's 24 h engagement reached at age t hours is 1 - exp(-t / tau), normalized at 24 h.
# Assumptions, not measurements: Graffius, "Lifespan (Half-Life) of Social Media Posts" (scottgraffius.com,
# 2024-2026 updates) reports half-lives of about 20-25 min (X), 1.5 h (Facebook), ~20 h (Instagram), ~24 h
# (LinkedIn) and days (YouTube) over a post's whole life; the taus below are deliberately slower (a
# conservative imputation of early snapshots) and TikTok's is a guess between Instagram and YouTube.
DECAY_TAU_HOURS: dict[str, float] = {"x": 2.0, "facebook": 5.0, "linkedin": 8.0, "instagram": 6.0, "tiktok": 12.0, "youtube": 24.0}
MIN_FRACTION = 0.05  # a snapshot this early says little: never scale one up by more than 20×


def decay_for(platform: str) -> Callable[[float], float]:
    """The platform's default decay: the fraction of its 24 h engagement a post has at age t hours."""
    tau = DECAY_TAU_HOURS.get(platform, 6.0)
    full = 1.0 - math.exp(-24.0 / tau)
    return lambda t: min(1.0, (1.0 - math.exp(-max(t, 0.0) / tau)) / full)


def impute_24h(value: float, age_hours: float, decay: Callable[[float], float] | str) -> float:
    """A snapshot of ``value`` (an engagement count) taken at ``age_hours``, scaled to what it would be at
    24 h through the decay curve (a platform name takes its default). 24 h or older: as it is."""
    if age_hours >= 24.0:
        return value
    curve = decay_for(decay) if isinstance(decay, str) else decay
    return value / max(curve(age_hours), MIN_FRACTION)


@dataclass(frozen=True)
class Evidence:
    """One post's 24 h snapshot: when it went out (local weekday 0 = Monday, local hour), its log
    engagement, what it was, and when (for forgetting)."""

    weekday: int
    hour: int
    value: float  # log engagement at 24 h
    at: datetime
    post_type: str = "text"
    media: bool = False
    virality: float = 0.0


Grid = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Beliefs:
    """What is believed about each (weekday, hour) cell's log engagement, relative to the account's level."""

    platform: str
    mean: Grid  # 7 × 24
    sd: Grid  # 7 × 24
    n: int  # evidence count behind it
    defaults: tuple[int, ...] = ()  # the platform's default hours, the baseline of ``lift``
    level: float = 0.0  # the account's estimated log engagement at its baseline (informative only)
    noise: float = NOISE_SD  # the estimated sd of one post around its cell
    effects: tuple[tuple[str, float], ...] = ()  # content effects taken out (log), e.g. ("media", 0.4)

    def baseline(self) -> float:
        """The mean of the default slots' cells: what posting at the platform's defaults is expected to give."""
        hours = self.defaults or tuple(_hours(profile(self.platform).best_times))
        return sum(self.mean[d][h] for d in range(DAYS) for h in hours) / (DAYS * len(hours))

    def lift(self, weekday: int, hour: int) -> tuple[float, float, float]:
        """Expected lift of a post at this cell over the default slots' average, and its 80 % interval,
        as ratios minus one (0.12 = +12 %)."""
        gap = self.mean[weekday][hour] - self.baseline()
        spread = Z80 * self.sd[weekday][hour]
        return math.expm1(gap), math.expm1(gap - spread), math.expm1(gap + spread)

    def sample(self, weekday: int, hour: int, rng: Random) -> float:
        """A Thompson sample of the cell, with the spread scaled down by ``SAMPLE_SCALE``."""
        return self.mean[weekday][hour] + SAMPLE_SCALE * self.sd[weekday][hour] * rng.gauss(0.0, 1.0)


def _hours(best_times: Sequence[str]) -> list[int]:
    return sorted({int(t.split(":")[0]) % HOURS for t in best_times})


def _grid(flat: Sequence[float]) -> Grid:
    return tuple(tuple(flat[d * HOURS : (d + 1) * HOURS]) for d in range(DAYS))


def prior(platform: str, best_times: Sequence[str] = ()) -> Beliefs:
    """The platform's prior: a bump of ``PRIOR_BUMP`` at its default best times (or ``best_times``),
    every cell ``PRIOR_SD`` wide. With no evidence its best cells are the defaults (ties between them
    exactly equal, so the earliest wins)."""
    times = list(best_times or profile(platform).best_times)
    centres = [int(t.split(":")[0]) + int(t.split(":")[1]) / 60.0 for t in times]
    day = [max((PRIOR_BUMP * math.exp(-((h - c) ** 2) / (2 * BUMP_WIDTH**2)) for c in centres), default=0.0) for h in range(HOURS)]
    return Beliefs(
        platform=platform,
        mean=tuple(tuple(day) for _ in range(DAYS)),
        sd=tuple(tuple([PRIOR_SD] * HOURS) for _ in range(DAYS)),
        n=0,
        defaults=tuple(_hours(times)),
    )


POOL_SHRINK = 1.0  # how many fully informed accounts' worth the platform prior counts in the pool


def pooled_prior(platform: str, others: Sequence[Beliefs], best_times: Sequence[str] = ()) -> Beliefs:
    """A prior pooled over the site's other accounts on the platform: each cell moves from the platform
    prior toward the others' learned means, each weighted by how much its evidence narrowed that cell,
    and shrunk by ``POOL_SHRINK``. The width stays the prior's: accounts differ from each other too."""
    base = prior(platform, best_times)
    if not others:
        return base
    mean = []
    for d in range(DAYS):
        row = []
        for h in range(HOURS):
            b, s2 = base.mean[d][h], base.sd[d][h] ** 2
            num = den = 0.0
            for o in others:
                r = max(0.0, 1.0 - o.sd[d][h] ** 2 / s2)  # share of the prior variance its evidence removed
                num += r * (o.mean[d][h] - b)
                den += r
            row.append(b + num / (den + POOL_SHRINK))
        mean.append(tuple(row))
    return Beliefs(platform, tuple(mean), base.sd, 0, base.defaults)


def _kernel() -> list[tuple[int, float]]:
    return [(k, math.exp(-(k * k) / (2 * HOUR_SCALE**2))) for k in range(-KERNEL_REACH, KERNEL_REACH + 1)]


_K = _kernel()
_TAPS = [[(k, f) for k, f in _K if 0 <= h + k < HOURS] for h in range(HOURS)]  # per hour: the kernel inside the day


def _smooth(cells: dict[int, tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Share each cell's (weight, weighted residual) with its neighbouring hours, then weakly with the
    other weekdays: the evidence each cell gets, and its residual sum."""
    wh = [0.0] * CELLS
    rh = [0.0] * CELLS
    for c, (w, r) in cells.items():
        for k, f in _TAPS[c % HOURS]:
            wh[c + k] += f * w
            rh[c + k] += f * r
    ws, rs = wh[:], rh[:]
    for h in range(HOURS):
        wcol = wh[h::HOURS]
        rcol = rh[h::HOURS]
        w_work, w_end = sum(wcol[:5]), wcol[5] + wcol[6]
        if w_work == 0.0 and w_end == 0.0:
            continue
        r_work, r_end = sum(rcol[:5]), rcol[5] + rcol[6]
        for d in range(DAYS):
            if d < 5:
                ws[d * HOURS + h] += SAME_KIND_DAY * (w_work - wcol[d]) + OTHER_KIND_DAY * w_end
                rs[d * HOURS + h] += SAME_KIND_DAY * (r_work - rcol[d]) + OTHER_KIND_DAY * r_end
            else:
                ws[d * HOURS + h] += SAME_KIND_DAY * (w_end - wcol[d]) + OTHER_KIND_DAY * w_work
                rs[d * HOURS + h] += SAME_KIND_DAY * (r_end - rcol[d]) + OTHER_KIND_DAY * r_work
    return ws, rs


def _features(evidence: Sequence[Evidence], weights: list[float]) -> tuple[list[str], list[list[float]]]:
    """Content covariates, centred on their weighted means; columns that never vary are dropped."""
    types = sorted({e.post_type for e in evidence})
    media = any(e.media for e in evidence) and not all(e.media for e in evidence)
    virality = any(e.virality != evidence[0].virality for e in evidence)
    if len(types) < 2 and not media and not virality:
        return [], []
    names = [f"post_type:{t}" for t in types[1:]] + ["media", "virality"]
    rows = [[1.0 if e.post_type == t else 0.0 for t in types[1:]] + [1.0 if e.media else 0.0, e.virality] for e in evidence]
    total = sum(weights)
    keep: list[int] = []
    for j in range(len(names)):
        m = sum(w * r[j] for w, r in zip(weights, rows, strict=True)) / total
        if any(abs(r[j] - m) > 1e-12 for r in rows):
            keep.append(j)
            for r in rows:
                r[j] -= m
    return [names[j] for j in keep], [[r[j] for j in keep] for r in rows]


def _ridge(x: list[list[float]], y: list[float], w: list[float]) -> list[float]:
    """Weighted ridge regression of y on x (small p): Gaussian elimination of (X'WX + λI) b = X'Wy."""
    p = len(x[0])
    a = [[BETA_RIDGE if i == j else 0.0 for j in range(p)] + [0.0] for i in range(p)]
    for row, yi, wi in zip(x, y, w, strict=True):
        for i in range(p):
            wxi = wi * row[i]
            ai = a[i]
            for j in range(p):
                ai[j] += wxi * row[j]
            ai[p] += wxi * yi
    for c in range(p):
        piv = max(range(c, p), key=lambda r: abs(a[r][c]))
        a[c], a[piv] = a[piv], a[c]
        for r in range(p):
            if r != c and a[r][c] != 0.0:
                f = a[r][c] / a[c][c]
                a[r] = [arj - f * acj for arj, acj in zip(a[r], a[c], strict=True)]
    return [a[i][p] / a[i][i] for i in range(p)]


def learn(prior: Beliefs, evidence: Sequence[Evidence], now: datetime) -> Beliefs:
    """The prior updated with the evidence, each post weighed by its age at ``now``. A pure function of
    its inputs (cache it by them).

    Given the noise, the shape's posterior is linear in the level, so the level is solved in closed form
    (the fixed point of backfitting level and shape); content effects, when the posts differ in content,
    are backfitted against both for a few rounds."""
    if not evidence:
        return prior
    m0 = [v for row in prior.mean for v in row]
    p0 = [1.0 / (v * v) for row in prior.sd for v in row]  # prior precision per cell
    t_now = now.timestamp()
    lam = math.log(2) / (HALF_LIFE_DAYS * 86400.0)
    exp = math.exp
    cells: list[int] = []
    ys: list[float] = []
    ws: list[float] = []
    # per cell: weight, weighted residual against the prior, weighted y, weighted y², count
    stats: dict[int, list[float]] = {}
    for e in evidence:
        c = e.weekday % DAYS * HOURS + e.hour % HOURS
        y = e.value
        age = t_now - e.at.timestamp()
        w = exp(-lam * age) if age > 0.0 else 1.0
        cells.append(c)
        ys.append(y)
        ws.append(w)
        s = stats.get(c)
        if s is None:
            stats[c] = [w, w * (y - m0[c]), w * y, w * y * y, 1.0]
        else:
            s[0] += w
            s[1] += w * (y - m0[c])
            s[2] += w * y
            s[3] += w * y * y
            s[4] += 1.0
    total = sum(ws)
    # the noise: pooled within-cell spread (content not yet taken out: a slight overestimate), with a prior
    ss = dof = 0.0
    for sw, _, sy, syy, n in stats.values():
        ss += max(0.0, syy - sy * sy / sw)
        dof += sw * (n - 1.0) / n
    noise2 = (ss + NOISE_DOF * NOISE_SD**2) / (dof + NOISE_DOF)
    names, x = _features(evidence, ws)
    beta = [0.0] * len(names)
    content = [0.0] * len(ys)
    shape = m0
    level = 0.0
    prec = p0
    agg = {c: (s[0], s[1]) for c, s in stats.items()}
    for round_ in range(1 + 2 * bool(names)):
        if round_:
            agg = {}
            for c, y, w, k in zip(cells, ys, ws, content, strict=True):
                sw, sr = agg.get(c, (0.0, 0.0))
                agg[c] = (sw + w, sr + w * (y - k - m0[c]))
        wsm, rsm = _smooth(agg)
        prec = [p + n / noise2 for p, n in zip(p0, wsm, strict=True)]
        a = [m + r / (noise2 * q) for m, r, q in zip(m0, rsm, prec, strict=True)]
        b = [n / (noise2 * q) for n, q in zip(wsm, prec, strict=True)]
        num, den = 0.0, total
        for c, (sw, sr) in agg.items():
            num += sr + sw * (m0[c] - a[c])
            den -= sw * b[c]
        level = num / den
        shape = [ai - level * bi for ai, bi in zip(a, b, strict=True)]
        if names:
            beta = _ridge(x, [y - level - shape[c] for y, c in zip(ys, cells, strict=True)], ws)
            content = [sum(bj * v for bj, v in zip(beta, row, strict=True)) for row in x]
    return Beliefs(
        platform=prior.platform,
        mean=_grid(shape),
        sd=_grid([1.0 / math.sqrt(q) for q in prec]),
        n=prior.n + len(evidence),
        defaults=prior.defaults,
        level=level,
        noise=math.sqrt(noise2),
        effects=tuple(zip(names, beta, strict=True)),
    )


@dataclass(frozen=True)
class Pick:
    """A chosen slot and why: its expected lift over the defaults with an 80 % interval, the best
    alternative's, and whether the sample explored (its best differs from the mean's best)."""

    at: datetime
    weekday: int
    hour: int
    lift: float
    low: float
    high: float
    alternative_lift: float
    alternative_low: float
    alternative_high: float
    alternative_at: datetime | None
    explored: bool
