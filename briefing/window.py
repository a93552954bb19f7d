"""The edition window: which hours of news one edition covers, and what falls inside.

By default an edition covers the ``window.hours`` (24) hours before ``window.cutoff_hour``
(06:00) of its date in ``window.timezone`` (UTC); ``--hours``, ``--since`` and ``--until``
override. Hours are real hours; a configured whole number of days runs from cutoff to cutoff
on the wall clock, so editions meet across a DST changeover (see ``_before``). The window is half-open, ``[start, end)``, so an article published at 06:00 sharp
belongs to the next edition, never to two.

Dates:
- every date is time-zone aware; a date given without a zone is taken in the window's zone;
- a date at exactly midnight UTC is read as a whole day (``2026-11-24`` with no time; page
  metadata often gives only the day), and is inside when that day overlaps the window;
- an undated file INPUT is kept (the operator handed it in for this edition) unless
  ``window.undated = "drop"``; an undated feed item is kept only in the edition window in
  which it was first seen, which a small record in the data folder remembers
  (``first-seen.json``: item address → the end of that window).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import WindowConfig
from .errors import ConfigError
from .fsutil import atomic_write_text
from .models import Article, Warn

__all__ = ["FirstSeen", "MomentRecord", "Window", "edition_window", "in_window", "keep_in_window", "parse_moment", "zone"]

UNDATED_POLICIES = ("keep", "drop")
FIRST_SEEN_FILE = "first-seen.json"
#: Records older than this are forgotten, so the file stays small; no feed repeats items this old.
FIRST_SEEN_KEEP = timedelta(days=60)
_DAY = timedelta(days=1)
#: A window's bounds stay a year inside what datetime holds (years 1 to 9999), so every date
#: compared with it, every in-window time shown in any zone and the record ages stay representable.
_EARLIEST = datetime(2, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9998, 12, 31, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def as_tuple(self) -> tuple[datetime, datetime]:
        return (self.start, self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat(timespec='minutes')} – {self.end.isoformat(timespec='minutes')}"


def zone(config: WindowConfig) -> tzinfo:
    try:
        return ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"window.timezone: unknown time zone {config.timezone!r}") from None


def edition_window(
    config: WindowConfig,
    edition: date,
    *,
    hours: float | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Window:
    """The hours this edition covers: ``until`` (default: cutoff of the edition date) back
    ``hours`` (default: window.hours), or back to ``since`` when given."""
    if config.undated not in UNDATED_POLICIES:
        raise ConfigError(f"window.undated: expected one of {', '.join(UNDATED_POLICIES)}, not {config.undated!r}")
    if not 0 <= config.cutoff_hour <= 23:
        raise ConfigError(f"window.cutoff_hour: expected 0 to 23, not {config.cutoff_hour}")
    tz = zone(config)
    try:
        end = _aware(until, tz) if until else datetime.combine(edition, time(config.cutoff_hour), tz)
        span = timedelta(hours=config.hours if hours is None else hours)
        start = _aware(since, tz) if since else _before(end, span, calendar=hours is None and span % _DAY == timedelta(0))
        representable = _EARLIEST <= start and end <= _LATEST
    except (OverflowError, ValueError):  # timedelta(hours=1e12) or nan; 0001-01-01T03:00 less 24 hours
        representable = False
    if not representable:
        raise ConfigError("edition window is out of range: its bounds must lie between the years 2 and 9998 "
                          "and its length must be a finite number of hours")
    if span <= timedelta(0) or start >= end:
        raise ConfigError(f"edition window is empty: {start.isoformat()} is not before {end.isoformat()}")
    return Window(start, end)


def _before(end: datetime, span: timedelta, *, calendar: bool) -> datetime:
    """``span`` before ``end``. Hours are real hours, counted in UTC: ``--hours 5`` is five
    hours also across a DST changeover (aware arithmetic in one zone counts the wall clock).
    A configured window of whole days (the default 24 hours) is ``calendar`` days back on the
    wall clock instead, so each edition starts at the cutoff where the one before ended,
    23 or 25 real hours on a changeover day, with no hour missed or covered twice."""
    if calendar:
        return end - span
    return (end.astimezone(timezone.utc) - span).astimezone(end.tzinfo)


def parse_moment(text: str | None, config: WindowConfig, option: str = "date") -> datetime | None:
    """An ISO 8601 date or date-time from the command line (``option`` names where it came
    from in the error), in the window's zone unless it names one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{option}: not an ISO 8601 date or date-time: {text!r}") from None
    return _aware(moment, zone(config))


def in_window(published: datetime, window: Window) -> bool:
    """Inside ``[start, end)``; a midnight-UTC date counts as its whole day (see module doc)."""
    published = _aware(published, timezone.utc)
    if _is_day_only(published):
        return published < window.end and window.start - published < _DAY  # never published + 1 day: 9999-12-31 has none
    return window.start <= published < window.end


def keep_in_window(articles: Iterable[Article], window: Window, undated: str, info: Warn) -> list[Article]:
    """File inputs inside the window; each one dropped is named in an info line."""
    kept = []
    for article in articles:
        if article.published is None:
            if undated == "drop":
                info(f"{article.origin}: no publication date; dropped (window.undated = \"drop\")")
                continue
        elif not in_window(article.published, window):
            info(f"{article.origin}: published {article.published.isoformat()}, outside the edition window {window}; dropped")
            continue
        kept.append(article)
    return kept


class MomentRecord:
    """A small JSON file in the data folder, key → moment: memory across runs for the
    first-seen rule here and for stale sources (health.py). A missing or damaged file
    starts afresh: losing it costs one edition's judgement, never a run."""

    FILE = ""

    def __init__(self, path: Path, records: Mapping[str, datetime]) -> None:
        self.path = path
        self.records = dict(records)

    @classmethod
    def load(cls, data_dir: Path) -> Self:
        path = data_dir / cls.FILE
        try:
            raw = json.loads(path.read_text("utf-8"))
            # a moment without a zone (an edited or older file) is UTC: comparing it with the
            # aware window ends would raise TypeError
            return cls(path, {str(k): _aware(datetime.fromisoformat(v), timezone.utc) for k, v in raw.items()})
        except (OSError, ValueError, TypeError, AttributeError):
            return cls(path, {})

    def save(self, since: datetime | None = None) -> None:
        """Written atomically; entries older than ``since`` are forgotten."""
        kept = {k: v.isoformat() for k, v in sorted(self.records.items()) if since is None or v >= since}
        atomic_write_text(self.path, json.dumps(kept, indent=0))


class FirstSeen(MomentRecord):
    """When each feed item was first seen, as the end of the window it was first seen in.

    Recording the window end instead of the wall clock makes a re-run of the same edition
    (or a test with a fixed date) give the same answer.
    """

    FILE = FIRST_SEEN_FILE

    def is_new(self, key: str) -> bool:
        return key not in self.records

    def see(self, key: str, window: Window) -> datetime:
        """When ``key`` was first seen, recording this window's end if it is new."""
        return self.records.setdefault(key, window.end)

    def keeps_undated(self, key: str, window: Window) -> bool:
        """An undated item belongs to the window in which it was first seen."""
        return window.start < self.see(key, window) <= window.end

    def forget_old(self, now: datetime) -> None:
        self.save(since=now - FIRST_SEEN_KEEP)


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _is_day_only(moment: datetime) -> bool:
    return moment.utcoffset() == timedelta(0) and moment.timetz().replace(tzinfo=None) == time(0)
