"""The delivery database: one SQLite file in the data folder for subscribers and the ledger.

One file, so that "mark this delivery failed, count the hard failure, mark the address
bounced" is a single transaction. WAL lets `briefing deliveries`, the unsubscribe server
and a running `send` read and write at the same time; ``synchronous=NORMAL`` keeps every
committed transaction across a process crash or kill (only a power cut can lose the last
few commits, and a lost "sent" only ever turns into a resend, never a missed subscriber).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ConfigError

DATABASE_NAME = "delivery.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so an old token cannot name a new subscriber
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT,
    sections TEXT,                          -- comma-separated section ids; NULL = every section
    format TEXT NOT NULL DEFAULT 'pdf' CHECK (format IN ('pdf', 'html')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed', 'bounced')),
    hard_failures INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    edition TEXT NOT NULL,
    subscriber_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    message_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (edition, subscriber_id)
);
"""


def database_path(data_dir: Path) -> Path:
    return data_dir / DATABASE_NAME


class Database:
    """One connection shared by the store, the ledger and the sending threads, one
    statement or transaction at a time; the data folder is created on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.path = database_path(data_dir)
        self._lock = threading.RLock()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"data_dir {data_dir}: cannot create the data folder ({exc.strerror or exc})") from None
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot open the delivery database ({exc})") from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._conn.close()
            raise ConfigError(f"{self.path}: cannot open the delivery database ({exc})") from None

    def _prepare(self) -> None:
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        if self._conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            self._conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` takes the write lock up front, so two processes never
        interleave a read-then-write on the same rows."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
