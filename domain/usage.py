"""What AI and render work costs a site, and what its credit account holds.

The cost table is the product plan's (§11, "Credit Cost Matrix"; stage 8 Step 10): one price per
operation and unit, overridable as data (``SOCIALIZER_CREDIT_COSTS``). Prices and balances are
``Decimal``: a hashtag set costs half a credit, and a sum of halves must not drift on replay.
The account's rules (reserve, commit, release) are :mod:`commands.usage`; here is only its shape.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

__all__ = [
    "DEFAULT_COSTS",
    "OPENING_GRANT",
    "OPERATIONS",
    "Account",
    "Charge",
    "ChargeState",
    "Line",
    "Operation",
    "parse_costs",
    "post_lines",
    "price",
    "merged",
    "total",
    "video_lines",
    "voice_minutes",
]

Operation = Literal["adaptation", "hashtags", "thread", "carousel", "image", "video_script", "voice_minutes", "render"]
OPERATIONS: tuple[str, ...] = get_args(Operation)

# The plan's table, per unit: a platform's adaptation, a hashtag set, a thread, a carousel, an
# image (the low end of "3-10"), a video script, a minute of standard TTS, a render.
DEFAULT_COSTS: Mapping[str, Decimal] = {
    "adaptation": Decimal(1),
    "hashtags": Decimal("0.5"),
    "thread": Decimal(2),
    "carousel": Decimal(5),
    "image": Decimal(3),
    "video_script": Decimal(5),
    "voice_minutes": Decimal(10),
    "render": Decimal(5),
}
OPENING_GRANT = Decimal(10_000)  # what a site's account starts with (SOCIALIZER_CREDIT_OPENING_GRANT)


def parse_costs(text: str) -> dict[str, Decimal]:
    """The default table with the overrides of a JSON object ``{"operation": credits}``. An unknown
    operation or a price that is not a non-negative number is refused, naming it."""
    costs = dict(DEFAULT_COSTS)
    if not text.strip():
        return costs
    try:
        given = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"credit_costs: not JSON ({err.msg})") from err
    if not isinstance(given, dict):
        raise ValueError("credit_costs: expected a JSON object of operation -> credits")
    for op, value in given.items():
        if op not in OPERATIONS:
            raise ValueError(f"credit_costs.{op}: unknown operation (one of {', '.join(OPERATIONS)})")
        try:
            credits = Decimal(str(value))
        except InvalidOperation as err:
            raise ValueError(f"credit_costs.{op}: {value!r} is not a number") from err
        if not credits.is_finite() or credits < 0 or isinstance(value, bool):
            raise ValueError(f"credit_costs.{op}: {value!r} is not a non-negative number of credits")
        costs[op] = credits
    return costs


@dataclass(frozen=True)
class Line:
    """One operation's part of a charge: so many units at the table's price."""

    operation: str
    quantity: Decimal
    credits: Decimal


def price(costs: Mapping[str, Decimal], operation: str, quantity: Decimal | int = 1) -> Line:
    q = Decimal(quantity)
    return Line(operation, q, costs[operation] * q)


def total(lines: Iterable[Line]) -> Decimal:
    return sum((line.credits for line in lines), Decimal(0))


def merged(lines: Iterable[Line]) -> list[Line]:
    """One line per operation, in the table's order."""
    by: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        q, c = by.get(line.operation, (Decimal(0), Decimal(0)))
        by[line.operation] = (q + line.quantity, c + line.credits)
    return [Line(op, *by[op]) for op in OPERATIONS if op in by]


def post_lines(costs: Mapping[str, Decimal], post_type: str, *, image: bool) -> list[Line]:
    """What one drafted post costs: its adaptation and hashtags, a thread or a carousel when it is
    one, and its image when it has one."""
    lines = [price(costs, "adaptation"), price(costs, "hashtags")]
    if post_type in ("thread", "carousel"):
        lines.append(price(costs, post_type))
    if image:
        lines.append(price(costs, "image"))
    return lines


def voice_minutes(seconds: float) -> int:
    """TTS is billed per started minute of audio."""
    return max(1, math.ceil(seconds / 60 - 1e-9))


def video_lines(costs: Mapping[str, Decimal], *, voice_seconds: float | None, render: bool) -> list[Line]:
    lines = []
    if voice_seconds is not None:
        lines.append(price(costs, "voice_minutes", voice_minutes(voice_seconds)))
    if render:
        lines.append(price(costs, "render"))
    return lines


@dataclass(frozen=True)
class Account:
    """A site's credits: ``opened`` once its opening grant is on the log; ``balance`` is granted
    minus committed; ``available`` leaves out what open reservations hold."""

    site_id: str
    opened: bool = False
    granted: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)

    @property
    def balance(self) -> Decimal:
        return self.granted - self.spent

    @property
    def available(self) -> Decimal:
        return self.balance - self.reserved


ChargeState = Literal["reserved", "committed", "released", "refused"]


@dataclass(frozen=True)
class Charge:
    """One charge, keyed by the id of the event that caused the work: ``credits`` is what it holds
    (reserved) or took (committed)."""

    charge_id: str
    state: ChargeState
    credits: Decimal
