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

from .models import SourceHealth
from .window import MomentRecord

__all__ = ["SourceRecords", "health_line", "with_used"]

RECORDS_FILE = "sources.json"


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


def health_line(health: SourceHealth) -> str:
    """One line for stderr, the same facts as the briefing's 'Sources' box."""
    line = f"source {health.name}: {health.seen} seen, {health.in_window} in window, {health.used} used"
    if health.stale:
        line += "; stale"
    if health.errors:
        line += f"; {len(health.errors)} error{'s' if len(health.errors) > 1 else ''}: " + "; ".join(health.errors)
    return line
