"""Hidden part files left by a run killed while writing are removed by the next build:
only our own edition files' parts, and only those old enough that no write is still
going on in them."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from briefing import fsutil, pipeline
from briefing.config import load_config


def part(folder: Path, name: str, age_seconds: float) -> Path:
    path = folder / name
    path.write_bytes(b"half a file")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_a_build_removes_stale_parts_of_edition_files_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    hour = 3600.0
    stale = [
        part(out, ".briefing-2026-11-25.pdf.0123456789ab.part", hour),
        part(out, ".briefing-2026-11-25.json.a1b2c3d4e5f6.part", hour),
        part(out, ".briefing-2026-11-24.txt.ffffffffffff.part", 2 * hour),  # a killed run of yesterday's
    ]
    kept = [
        part(out, ".briefing-2026-11-25.html.00000000000a.part", 5.0),  # being written by another run
        part(out, ".notes.txt.0123456789ab.part", hour),  # someone else's
        part(out, ".briefing-2026-11-25.pdf.part", hour),  # not a name we write
        part(out, "briefing-2026-11-25.pdf.0123456789ab.part", hour),  # not hidden
        part(out, ".briefing-2026-11-25.pdf.0123456789ab.part.bak", hour),
    ]
    (out / ".briefing-2026-11-25.txt.0123456789ab.part").mkdir()  # a folder is never ours
    os.utime(out / ".briefing-2026-11-25.txt.0123456789ab.part", (time.time() - hour,) * 2)
    notes: list[str] = []
    config = load_config(None, env={})
    pipeline.build_edition(config, pipeline.sample_inputs(), date(2026, 11, 25), out, ["txt"],
                           warn=lambda message: None, info=notes.append)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert (out / ".briefing-2026-11-25.txt.0123456789ab.part").is_dir()
    assert sorted(n for n in notes if n.startswith("removed ")) == sorted(
        f"removed {p}, left by a run killed while writing it" for p in stale)
    assert (out / "briefing-2026-11-25.txt").exists()


def test_parts_younger_than_the_limit_stay(tmp_path: Path) -> None:
    young = part(tmp_path, ".briefing-2026-11-25.pdf.0123456789ab.part", fsutil.STALE_PART_SECONDS - 60)
    old = part(tmp_path, ".briefing-2026-11-25.txt.0123456789ab.part", fsutil.STALE_PART_SECONDS + 60)
    assert fsutil.sweep_stale_parts(tmp_path, pipeline.EDITION_FILES) == [old]
    assert young.exists() and not old.exists()
    assert fsutil.sweep_stale_parts(tmp_path / "missing", pipeline.EDITION_FILES) == []


def test_the_part_name_written_is_the_one_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """atomic_write names its part as the sweep expects: a write killed before its rename
    leaves exactly such a file (here the rename fails, and the part is recreated as the
    kill would have left it)."""
    parts: list[str] = []

    def killed(source: str, target: str) -> None:
        parts.append(Path(source).name)
        raise OSError("killed")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(OSError):
        fsutil.atomic_write_bytes(tmp_path / "briefing-2026-11-25.pdf", b"x")
    monkeypatch.undo()
    (name,) = parts
    leftover = part(tmp_path, name, 2 * fsutil.STALE_PART_SECONDS)
    assert fsutil.sweep_stale_parts(tmp_path, pipeline.EDITION_FILES) == [leftover]
