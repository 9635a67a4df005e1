"""Rate windows as the platforms report them in their answers' headers, so a call inside a spent
window waits for its reset instead of being sent and refused.

- X: ``x-rate-limit-limit/-remaining/-reset`` (epoch s) per endpoint and user, and
  ``x-app-limit-24hour-*`` per endpoint and app (https://docs.x.com/x-api/fundamentals/rate-limits).
- Meta: ``X-App-Usage`` (the app's hour, percentages) and ``X-Business-Use-Case-Usage`` (per Page or
  Instagram account, percentages and ``estimated_time_to_regain_access`` in minutes); 100 % of any
  counter means spent (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
- Any 429 spends the window of its endpoint until ``retry-after`` / ``x-rate-limit-reset``.

The account is the access token's hash (the token stands for one user or Page with one app; the
token itself is never kept). One :class:`RateWindows` serves every client of a process: clients that
share an ``httpx.AsyncClient`` share its windows (:func:`windows_for`), the composition root
attaches the configured one (:func:`attach`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

from adapters.exceptions import RateLimited

# Meta gives no time for the app's own hour to cool down; it is a rolling hour, so look again after this.
META_APP_PAUSE = 300.0
# A 429 that says nothing of when to come back.
DEFAULT_PAUSE = 60.0
_ID = re.compile(r"^(\d{3,}|\d+_\d+|urn:.*)$")  # not an API version ("2")


@dataclass
class Spent:
    until: float  # epoch seconds
    why: str


def account_key(headers: Mapping[str, str] | None) -> str:
    auth = (headers or {}).get("Authorization", "")
    return hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else "anonymous"


def endpoint(method: str, url: str) -> str:
    """``POST /2/tweets``, ``GET /2/users/:id/tweets``: ids in the path stand for any id."""
    path = httpx.URL(url).path
    return f"{method.upper()} " + "/".join(":id" if _ID.match(seg) else seg for seg in path.split("/"))


def _family(platform: str) -> str:
    return "meta" if platform in ("facebook", "instagram") else platform


class RateWindows:
    def __init__(
        self,
        *,
        max_wait: float = 5.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self.spent: dict[tuple[str, ...], Spent] = {}

    def _keys(self, platform: str, account: str, method: str, url: str) -> list[tuple[str, ...]]:
        ep = endpoint(method, url)
        keys = [(platform, account, ep), (platform, "app", ep), (_family(platform), "app"), (_family(platform), account, "business")]
        keys += [(_family(platform), "business", seg) for seg in httpx.URL(url).path.split("/") if seg]
        return keys

    def until(self, platform: str, account: str, method: str, url: str) -> Spent | None:
        """The latest reset among the spent windows this call would go through, if any."""
        now = self.clock()
        found = [s for k in self._keys(platform, account, method, url) if (s := self.spent.get(k)) and s.until > now]
        return max(found, key=lambda s: s.until) if found else None

    async def admit(self, platform: str, account: str, method: str, url: str) -> None:
        """Return when the call may be sent: at once, or after waiting for its window's reset when
        that is at most ``max_wait`` away; beyond, :class:`RateLimited` says when to try again."""
        spent = self.until(platform, account, method, url)
        if spent is None:
            return
        wait = spent.until - self.clock()
        if wait > self.max_wait:
            raise RateLimited(platform, f"rate window spent ({spent.why}); not sent", retry_after=wait, code="rate_window")
        await self.sleep(wait)

    def record(self, platform: str, account: str, method: str, url: str, status: int, headers: Mapping[str, str]) -> None:
        now = self.clock()
        ep = endpoint(method, url)

        def spend(key: tuple[str, ...], until: float, why: str) -> None:
            if until > now:
                self.spent[key] = Spent(until, why)
            else:
                self.spent.pop(key, None)

        def number(name: str) -> float | None:
            try:
                return float(headers[name])
            except (KeyError, ValueError):
                return None

        remaining, reset = number("x-rate-limit-remaining"), number("x-rate-limit-reset")
        if remaining is not None and reset is not None:
            spend((platform, account, ep), reset if remaining <= 0 else 0, f"{ep}: 0 left until {int(reset)}")
        remaining, reset = number("x-app-limit-24hour-remaining"), number("x-app-limit-24hour-reset")
        if remaining is not None and reset is not None:
            spend((platform, "app", ep), reset if remaining <= 0 else 0, f"{ep}: the app's day is spent")
        app = _percentages(headers.get("x-app-usage"))
        if app is not None:
            spend((_family(platform), "app"), now + META_APP_PAUSE if max(app.values(), default=0) >= 100 else 0, "the app's hour is spent")
        for oid, usage in _business(headers.get("x-business-use-case-usage")).items():
            spent = max((v for k, v in usage.items() if k in ("call_count", "total_cputime", "total_time")), default=0) >= 100
            regain = now + max(60.0, 60.0 * float(usage.get("estimated_time_to_regain_access") or 0)) if spent else 0
            spend((_family(platform), "business", oid), regain, f"business object {oid} is throttled")
            spend((_family(platform), account, "business"), regain, f"business object {oid} is throttled")
        if status == 429 and self.until(platform, account, method, url) is None:
            retry = number("retry-after")
            reset = number("x-rate-limit-reset")
            until = now + retry if retry is not None else reset if reset is not None else now + DEFAULT_PAUSE
            spend((platform, account, ep), until, f"{ep}: 429")


def _percentages(raw: str | None) -> dict[str, float] | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else None


def _business(raw: str | None) -> dict[str, dict[str, float]]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    out: dict[str, dict[str, float]] = {}
    for oid, entries in data.items() if isinstance(data, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                merged = out.setdefault(str(oid), {})
                for k, v in entry.items():
                    if isinstance(v, int | float):
                        merged[k] = max(merged.get(k, 0.0), float(v))
    return out


_BY_CLIENT: weakref.WeakKeyDictionary[httpx.AsyncClient, RateWindows] = weakref.WeakKeyDictionary()


def windows_for(http: httpx.AsyncClient) -> RateWindows:
    """The windows of every platform client sending through ``http``."""
    found = _BY_CLIENT.get(http)
    if found is None:
        found = _BY_CLIENT[http] = RateWindows()
    return found


def attach(http: httpx.AsyncClient, windows: RateWindows) -> RateWindows:
    """Make ``windows`` the ones every client sending through ``http`` consults and feeds."""
    _BY_CLIENT[http] = windows
    return windows
