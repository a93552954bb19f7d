"""Each edition's content is kept as JSON beside its files.

``send`` renders per-subscriber variants from it without re-running the pipeline, and
the next edition compares against it to mark what is new.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .fsutil import atomic_write_text
from .models import Briefing, KeySentence, SectionDigest, SourceHealth, SourceRef

FORMAT_VERSION = 1


def archive_path(out_dir: Path, edition: date) -> Path:
    return out_dir / f"briefing-{edition.isoformat()}.json"


def save_briefing(briefing: Briefing, path: Path) -> Path:
    payload = {"format": FORMAT_VERSION, **asdict(briefing)}
    return atomic_write_text(path, json.dumps(payload, default=_encode, ensure_ascii=False, indent=1))


def load_briefing(path: Path) -> Briefing:
    try:
        data = json.loads(path.read_text("utf-8"))
        return _decode(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # any shape of JSON
        raise InputError(f"{path}: not a readable briefing archive ({exc})") from None


def _encode(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot archive {type(value).__name__}")


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _decode(data: dict[str, Any]) -> Briefing:
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown archive format {data.get('format')!r}")
    window = data.get("window")
    return Briefing(
        title=data["title"],
        edition=date.fromisoformat(data["edition"]),
        generated_at=datetime.fromisoformat(data["generated_at"]),
        sections=tuple(
            SectionDigest(s["id"], s["title"], tuple(
                KeySentence(k["text"], tuple(k["citations"]), k.get("new", False), tuple(k.get("also", ())),
                            k.get("more", 0))
                for k in s["sentences"]
            ))
            for s in data["sections"]
        ),
        sources=tuple(
            SourceRef(r["number"], r["article_id"], r["title"], r["source"], r["url"], _moment(r["published"]))
            for r in data["sources"]
        ),
        article_count=data["article_count"],
        sentence_count=data["sentence_count"],
        health=tuple(SourceHealth(**{**h, "errors": tuple(h["errors"])}) for h in data.get("health", ())),
        window=(datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1])) if window else None,
        meta=dict(data.get("meta", {})),
        sentence_fingerprints=str(data.get("sentence_fingerprints", "")),  # absent from older archives
    )
