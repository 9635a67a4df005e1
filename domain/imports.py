"""A bulk import's rows: CSV or JSON read into rows, each with its identity and the errors found at
its row and column, before anything is decided. Pure: the shell resolves accounts and decides.

A row names an account (its id or its handle) or a platform, the text, a link, media URLs, a time
(ISO 8601 with an offset, or local in the site's time zone), ``next`` (the account's next free slot)
or nothing (a draft), and a post type. Its identity is its ``id`` column, else a hash of the site,
the account, the text and the time as written: the same file imported twice is the same rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from schemas.events import PLATFORMS, PostType

POST_TYPES: tuple[str, ...] = get_args(PostType)
MAX_ROWS = 5000
# Column names a file may use, and the one each means.
ALIASES = {
    "id": "id",
    "account": "account",
    "account_id": "account",
    "platform": "platform",
    "text": "text",
    "link": "link",
    "link_url": "link",
    "media": "media",
    "media_urls": "media",
    "time": "time",
    "scheduled_at": "time",
    "post_type": "post_type",
    "type": "post_type",
    "hashtags": "hashtags",
}
COLUMNS = frozenset(ALIASES.values())


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row, at its column (``row`` counts data rows from 1)."""

    row: int
    column: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "detail": self.detail}


When = datetime | Literal["next"] | None


@dataclass(frozen=True)
class ImportRow:
    row: int
    key: str  # the row's identity
    account: str
    platform: str
    text: str
    link: str | None
    media: tuple[str, ...]
    hashtags: tuple[str, ...]
    post_type: str
    when: When
    errors: tuple[RowError, ...] = field(default=())


class FileRefused(ValueError):
    """The file as a whole cannot be read (not CSV, no header, too many rows)."""

    def __init__(self, field_: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field_
        self.detail = detail


def read_csv(text: str) -> list[dict[str, str]]:
    """The CSV's data rows as column → value (a header row names the columns)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise FileRefused("file", "the CSV has no header row (account or platform, text, link, media, time, post_type)")
    unknown = [n for n in reader.fieldnames if (n or "").strip().lower() not in ALIASES]
    if unknown:
        raise FileRefused("file", f"unknown column(s) {', '.join(map(repr, unknown))}: known are {', '.join(sorted(ALIASES))}")
    try:
        rows = [{k: v for k, v in r.items() if k is not None} for r in reader]
    except csv.Error as err:
        raise FileRefused("file", f"the CSV is malformed at line {reader.line_num}: {err}") from None
    return rows


def _split(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.replace("|", " ").replace(",", " ").split() if p)


def parse_time(raw: str, timezone: str) -> When:
    """ISO 8601 with an offset; without one, local in ``timezone``; ``next``; empty: a draft."""
    text = raw.strip()
    if not text:
        return None
    if text.lower() == "next":
        return "next"
    at = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(timezone))
    return at


def row_key(site_id: str, account: str, text: str, time: str) -> str:
    """A row's identity when the file gives none: the same site, account, text and time are the same row."""
    return hashlib.sha256("\x1f".join((site_id, account, text, time.strip().lower())).encode()).hexdigest()[:32]


def rows_of(raw: list[dict[str, Any]], *, site_id: str, timezone: str) -> list[ImportRow]:
    """Every row read, with what is wrong with it at its column (nothing refused yet)."""
    if not raw:
        raise FileRefused("file", "no rows to import")
    if len(raw) > MAX_ROWS:
        raise FileRefused("file", f"{len(raw)} rows; at most {MAX_ROWS} in one import")
    out = []
    for n, given in enumerate(raw, start=1):
        errors: list[RowError] = []
        row: dict[str, str] = {}
        for k, v in given.items():
            name = ALIASES.get(str(k).strip().lower())
            if name is None:
                errors.append(RowError(n, str(k), f"unknown column: known are {', '.join(sorted(ALIASES))}"))
                continue
            if isinstance(v, list):
                v = " ".join(map(str, v))
            row[name] = "" if v is None else str(v).strip()
        account, platform = row.get("account", ""), row.get("platform", "").lower()
        if not account and not platform:
            errors.append(RowError(n, "account", "give an account (its id or handle) or a platform"))
        if platform and platform not in PLATFORMS:
            errors.append(RowError(n, "platform", f"{platform!r} is not one of {', '.join(PLATFORMS)}"))
        text = row.get("text", "")
        if not text:
            errors.append(RowError(n, "text", "is empty"))
        post_type = row.get("post_type", "") or "announcement"
        if post_type not in POST_TYPES:
            errors.append(RowError(n, "post_type", f"{post_type!r} is not one of {', '.join(POST_TYPES)}"))
        link = row.get("link") or None
        if link and not link.startswith(("http://", "https://")):
            errors.append(RowError(n, "link", f"{link!r} is not an http(s) URL"))
        media = _split(row.get("media", ""))
        for m in media:
            if not m.startswith(("http://", "https://")):
                errors.append(RowError(n, "media", f"{m!r} is not an http(s) URL"))
        when: When = None
        try:
            when = parse_time(row.get("time", ""), timezone)
        except ValueError:
            errors.append(RowError(n, "time", f"{row.get('time')!r} is not ISO 8601 (e.g. 2026-03-30T09:00+02:00, or local), nor 'next'"))
        key = row.get("id") or row_key(site_id, account or platform, text, row.get("time", ""))
        out.append(
            ImportRow(
                row=n,
                key=key[:200],
                account=account,
                platform=platform,
                text=text,
                link=link,
                media=media,
                hashtags=_split(row.get("hashtags", "")),
                post_type=post_type,
                when=when,
                errors=tuple(errors),
            )
        )
    return out


def duplicates(rows: list[ImportRow]) -> dict[int, int]:
    """Rows whose identity an earlier row of the same file has: row → the earlier row."""
    seen: dict[str, int] = {}
    dup: dict[int, int] = {}
    for r in rows:
        if r.key in seen:
            dup[r.row] = seen[r.key]
        else:
            seen[r.key] = r.row
    return dup
