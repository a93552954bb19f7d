"""Subscribers: who gets the briefing, which sections, in which format, and their status.

Addresses and names end up in mail headers, so everything is checked on the way in:
addresses with email-validator (no DNS look-ups: there may be no network where this runs),
names and addresses with line breaks or other control characters refused outright.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from ..errors import InputError
from .db import Database, utc_now

STATUSES = ("active", "unsubscribed", "bounced")
FORMATS = ("pdf", "html")
CSV_FIELDS = ("email", "name", "sections", "format", "status")
FORMULA_STARTS = frozenset("=+-@")
MAX_NAME_LENGTH = 200
#: Unicode categories that can break a header line or hide text: controls (CR, LF, NUL, …),
#: line and paragraph separators.
_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}


class SubscriberError(InputError):
    """An address, name, section list or format that cannot be stored; names the address."""

    exit_code = 2


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    sections: tuple[str, ...] | None  # None = every section
    format: str  # "pdf" (PDF attached) or "html" (HTML body only)
    status: str
    hard_failures: int = 0


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    skipped: int


def checked_email(address: str) -> str:
    """The normalized address, all ASCII (an internationalized domain in its IDNA form), or
    SubscriberError saying what is wrong with it. Non-ASCII mailbox names are refused: they
    need SMTPUTF8 from every server on the way, which a list cannot count on."""
    if breaks_headers(address):
        raise SubscriberError(f"{address!r}: the address contains a line break or control character")
    try:
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriberError(f"{address!r}: not a valid e-mail address ({exc})") from None
    normalized = valid.ascii_email or valid.normalized
    try:  # RFC-valid mailbox names such as "=?utf-8?q?x?=" that Python's email package refuses to write
        Address(addr_spec=normalized)
    except ValueError as exc:
        raise SubscriberError(f"{address!r}: cannot be written in a mail header ({exc})") from None
    return normalized


def checked_name(name: str | None, address: str) -> str | None:
    if name is None or not name.strip():
        return None
    if breaks_headers(name):
        raise SubscriberError(f"{address}: the name {name!r} contains a line break or control character")
    if len(name) > MAX_NAME_LENGTH:
        raise SubscriberError(f"{address}: the name is longer than {MAX_NAME_LENGTH} characters")
    return name.strip()


def checked_sections(value: str | Sequence[str] | None, known: Sequence[str], address: str) -> tuple[str, ...] | None:
    """Section ids in the configured order; None (every section) for an empty value or for
    all of them, so subscribers who want everything share one rendering."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = {item.strip() for item in items if item.strip()}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise SubscriberError(
            f"{address}: unknown section(s) {', '.join(unknown)} (configured: {', '.join(known)})"
        )
    if not wanted or wanted == set(known):
        return None
    return tuple(sid for sid in known if sid in wanted)


def checked_format(value: str | None, address: str) -> str:
    fmt = (value or "pdf").strip().lower()
    if fmt not in FORMATS:
        raise SubscriberError(f"{address}: format must be one of {', '.join(FORMATS)}, not {value!r}")
    return fmt


def breaks_headers(text: str) -> bool:
    """True when the text holds a character that could end a header line or hide text."""
    return any(unicodedata.category(ch) in _BREAKING_CATEGORIES for ch in text)


class SubscriberStore:
    """The subscribers table; every write validates first, so what is stored is header-safe."""

    def __init__(self, db: Database, known_sections: Sequence[str]) -> None:
        self.db = db
        self.known_sections = tuple(known_sections)

    def add(self, email: str, name: str | None = None, sections: str | Sequence[str] | None = None,
            fmt: str | None = None) -> Subscriber:
        """Add an address, or update it and make it active again: adding someone by name
        is an explicit decision, unlike an import (see ``import_csv``)."""
        address = checked_email(email)
        values = (checked_name(name, address), _joined(checked_sections(sections, self.known_sections, address)),
                  checked_format(fmt, address))
        now = utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO subscribers (email, name, sections, format, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT (email) DO UPDATE SET name = excluded.name, "
                "sections = excluded.sections, format = excluded.format, status = 'active', hard_failures = 0, "
                "updated_at = excluded.updated_at",
                (address, *values, now, now),
            )
        return self.require(address)

    def remove(self, email: str) -> Subscriber:
        """Delete the subscriber; their past rows stay in the ledger as a record of what was sent."""
        subscriber = self.require(email)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM subscribers WHERE id = ?", (subscriber.id,))
        return subscriber

    def set_status(self, subscriber_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown subscriber status {status!r}")
        with self.db.transaction() as conn:
            conn.execute("UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?",
                         (status, utc_now(), subscriber_id))

    def find(self, email: str) -> Subscriber | None:
        """The subscriber with this address written any way ``add`` accepts it (a Unicode
        domain, which is stored in its IDNA form; any case); SubscriberError when it is no address."""
        rows = self.db.rows("SELECT * FROM subscribers WHERE email = ?", (checked_email(email),))
        return _subscriber(rows[0]) if rows else None

    def require(self, email: str) -> Subscriber:
        found = self.find(email)
        if found is None:
            raise SubscriberError(f"{email}: no such subscriber")
        return found

    def get(self, subscriber_id: int) -> Subscriber | None:
        rows = self.db.rows("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
        return _subscriber(rows[0]) if rows else None

    def all(self) -> list[Subscriber]:
        return [_subscriber(row) for row in self.db.rows("SELECT * FROM subscribers ORDER BY email")]

    def active(self) -> list[Subscriber]:
        return [s for s in self.all() if s.status == "active"]

    def import_csv(self, path: Path, warn: Callable[[str], None]) -> ImportResult:
        """Add or update every valid row of a CSV with an ``email`` column (and optionally
        ``name``, ``sections``, ``format``, ``status``); a bad row is one warning naming the
        file and line, and the rest go on. An import never re-activates an address that
        unsubscribed or bounced: that takes an explicit ``subscribers add``."""
        added = updated = skipped = 0
        for line, row in _csv_rows(path):
            try:
                was_new = self._import_row(row)
            except SubscriberError as exc:
                warn(f"{path}:{line}: {exc}")
                skipped += 1
                continue
            added, updated = (added + 1, updated) if was_new else (added, updated + 1)
        return ImportResult(added, updated, skipped)

    def _import_row(self, row: dict[str, str]) -> bool:
        address = checked_email(row.get("email") or "")
        name = checked_name(spreadsheet_unsafe(row.get("name") or ""), address)
        sections = _joined(checked_sections(row.get("sections"), self.known_sections, address))
        fmt = checked_format(row.get("format"), address)
        status = (row.get("status") or "active").strip().lower()
        if status not in STATUSES:
            raise SubscriberError(f"{address}: status must be one of {', '.join(STATUSES)}, not {status!r}")
        now = utc_now()
        with self.db.transaction() as conn:
            existing = conn.execute("SELECT status FROM subscribers WHERE email = ?", (address,)).fetchone()
            if existing is None:
                conn.execute(
                    "INSERT INTO subscribers (email, name, sections, format, status, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (address, name, sections, fmt, status, now, now))
                return True
            kept = existing["status"] if status == "active" else status
            conn.execute(
                "UPDATE subscribers SET name = ?, sections = ?, format = ?, status = ?, updated_at = ? WHERE email = ?",
                (name, sections, fmt, kept, now, address))
            return False


def export_csv(subscribers: Iterable[Subscriber], stream: TextIO) -> None:
    """The same columns ``import`` reads, so an export imports back unchanged."""
    writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for s in subscribers:
        writer.writerow({"email": s.email, "name": spreadsheet_safe(s.name or ""), "sections": _joined(s.sections) or "",
                         "format": s.format, "status": s.status})


def spreadsheet_safe(value: str) -> str:
    """A leading ' stops spreadsheets from running a cell that starts like a formula (=, +, -, @)."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def spreadsheet_unsafe(value: str) -> str:
    """Undo ``spreadsheet_safe`` on import, so an export imports back unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


def _csv_rows(path: Path) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the CSV file ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        raise InputError(f"{path}: the CSV needs a header row with an 'email' column")
    for row in reader:
        yield reader.line_num, {(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str)}


def _joined(sections: Sequence[str] | None) -> str | None:
    return ",".join(sections) if sections else None


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        sections=tuple(row["sections"].split(",")) if row["sections"] else None,
        format=row["format"],
        status=row["status"],
        hard_failures=row["hard_failures"],
    )
