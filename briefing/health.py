"""Source health: what each source did this run, and which sources have gone quiet.

A source is stale when it has shown no item it had not shown before for
``http.stale_days`` days. That needs a memory across runs: ``sources.json`` in the data
folder keeps, per source address, the edition-window end at which it last had something
new (window ends, not the wall clock, so re-running an edition changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import islice

from .models import SourceHealth
from .window import MomentRecord

__all__ = ["MAX_LISTED", "SourceRecords", "grouped_errors", "health_line", "with_used"]

RECORDS_FILE = "sources.json"
#: Errors of one source listed (each cause once, with this many of its addresses); a feed
#: whose 500 pages fail must not fill the box, nor stderr, with 500 lines.
MAX_LISTED = 3


class SourceRecords(MomentRecord):
    """Per source address: the window end at which it last had a new item."""

    FILE = RECORDS_FILE

    def is_stale(self, source: str, had_new: bool, now: datetime, stale_days: int) -> bool:
        """Whether ``source`` has had nothing new for ``stale_days``; a source seen for the
        first time starts its clock now rather than counting as stale."""
        if had_new or source not in self.records:
            self.records[source] = max(now, self.records.get(source, now))
        return now - self.records[source] >= timedelta(days=stale_days)


def with_used(
    health: Sequence[SourceHealth], cited: Iterable[str], source_of: Mapping[str, str]
) -> tuple[SourceHealth, ...]:
    """Health with ``used`` = how many of each source's articles the briefing cites."""
    counts: dict[str, int] = {}
    for article_id in set(cited):
        name = source_of.get(article_id)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return tuple(replace(h, used=counts.get(h.name, 0)) for h in health)


def grouped_errors(errors: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """(address, cause) pairs as at most ``MAX_LISTED`` lines, one per cause in order of first
    appearance: ``address: cause`` when it happened once, else ``N × cause: a, b, c and M more``.
    An empty address (the source's own, when its name says it already) is left out."""
    by_cause: dict[str, list[str]] = {}
    for address, cause in errors:
        by_cause.setdefault(cause, []).append(address)
    lines = [_cause_line(cause, addresses) for cause, addresses in islice(by_cause.items(), MAX_LISTED)]
    rest = sum(len(addresses) for addresses in list(by_cause.values())[MAX_LISTED:])
    if rest:
        lines.append(f"and {_plural(rest, 'more error')} with {_plural(len(by_cause) - MAX_LISTED, 'other cause')}")
    return tuple(lines)


def _cause_line(cause: str, addresses: list[str]) -> str:
    named = [a for a in dict.fromkeys(addresses) if a]
    listed = ", ".join(named[:MAX_LISTED]) + (f" and {len(named) - MAX_LISTED} more" if len(named) > MAX_LISTED else "")
    if len(addresses) == 1:
        return f"{listed}: {cause}" if listed else cause
    return f"{len(addresses)} × {cause}" + (f": {listed}" if listed else "")


def health_line(health: SourceHealth) -> str:
    """One line for stderr, the same facts as the briefing's 'Sources' box."""
    line = f"source {health.name}: {health.seen} seen, {health.in_window} in window, {health.used} used"
    if health.stale:
        line += "; stale"
    if health.error_count:
        line += f"; {_plural(health.error_count, 'error')}: " + "; ".join(health.errors)
    return line


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
