"""Atomic file writes: a crash never leaves a half-written file under its final name.

A write goes to a hidden part file beside its final name (``.NAME.<12 hex>.part``), which
a kill can leave behind; ``sweep_stale_parts`` removes such leftovers once they are old
enough that no write can still be going on in them.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

from .errors import OutputError

PART_TOKEN_BYTES = 6
#: A write renames its part file within seconds of creating it; one this old is a
#: leftover of a run that was killed, not a write in progress.
STALE_PART_SECONDS = 600.0


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write to a temporary file in the same folder, fsync it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(PART_TOKEN_BYTES)}.part"
    # O_EXCL: never another's file; mode 0o666 lets the umask decide, as for any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def sweep_stale_parts(folder: Path, final_names: re.Pattern[str], now: float | None = None) -> list[Path]:
    """Delete the part files in ``folder`` of final names matching ``final_names`` that
    were last written more than ``STALE_PART_SECONDS`` ago, and return them: only our own
    writes' leftovers (by name), never a file another run is writing (by age). A part
    that cannot be examined or removed is left alone."""
    pattern = re.compile(rf"\.(?:{final_names.pattern})\.[0-9a-f]{{{2 * PART_TOKEN_BYTES}}}\.part")
    cutoff = (time.time() if now is None else now) - STALE_PART_SECONDS
    try:
        candidates = [entry for entry in folder.iterdir() if pattern.fullmatch(entry.name)]
    except OSError:
        return []
    removed = []
    for part in candidates:
        try:
            status = part.lstat()  # a symlink is not ours to follow
            if stat.S_ISREG(status.st_mode) and status.st_mtime < cutoff:
                part.unlink()
                removed.append(part)
        except OSError:
            continue
    return removed


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_requested_file(path: Path, content: str | bytes) -> Path:
    """A file named on the command line (``--out``, ``--json``): a folder that cannot be
    made or written is one error line naming the path, not a traceback."""
    try:
        return atomic_write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
