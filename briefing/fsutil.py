"""Atomic file writes: a crash never leaves a half-written file under its final name."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import OutputError


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write to a temporary file in the same folder, fsync it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
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


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_requested_file(path: Path, content: str | bytes) -> Path:
    """A file named on the command line (``--out``, ``--json``): a folder that cannot be
    made or written is one error line naming the path, not a traceback."""
    try:
        return atomic_write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
