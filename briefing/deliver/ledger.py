"""The delivery ledger: one row per edition and subscriber, so a re-run sends only what is missing.

States: ``queued`` → ``sending`` → ``sent`` | ``failed``. A row is committed as ``sending``
before its message goes out and as ``sent`` right after the server's 250 reply, so a crash
or kill at any moment leaves each row either unsent (``queued``/``sending``, sent again by
the next run) or recorded as sent. The one unavoidable gap is between the server's 250 and
our commit: a row killed there is still ``sending`` and the next run sends it again, with
the same Message-ID (fixed when the row is queued), which many mail clients de-duplicate.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from .db import Database, utc_now
from .store import Subscriber

STATES = ("queued", "sending", "sent", "failed")
PENDING_STATES = ("queued", "sending")


@dataclass(frozen=True)
class Delivery:
    edition: date
    subscriber_id: int
    email: str
    state: str
    attempts: int
    last_error: str | None
    message_id: str
    updated_at: str
    sent_at: str | None

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES


class Ledger:
    """Reads and state changes of the ``deliveries`` table; each change is its own commit."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def queue(self, edition: date, subscribers: Sequence[Subscriber], message_id: Callable[[Subscriber], str]) -> None:
        """A row for every active subscriber that has none for this edition yet (rows that
        exist keep their state and Message-ID), except an address that already holds the
        edition under an earlier subscriber id (removed and added again: ids are never
        reused, the address is what receives mail); unsent rows of anyone no longer active are dropped."""
        day, now = edition.isoformat(), utc_now()
        with self.db.transaction() as conn:
            self._drop_inactive(conn, day)
            holding = self.addresses_sent(edition)
            conn.executemany(
                "INSERT OR IGNORE INTO deliveries (edition, subscriber_id, email, state, message_id, updated_at) "
                "VALUES (?, ?, ?, 'queued', ?, ?)",
                [(day, s.id, s.email, message_id(s), now) for s in subscribers
                 if s.status == "active" and s.email.lower() not in holding],
            )

    def drop_inactive(self, edition: date) -> None:
        """Forget the unsent rows of subscribers who unsubscribed, bounced or were removed since they were queued."""
        with self.db.transaction() as conn:
            self._drop_inactive(conn, edition.isoformat())

    @staticmethod
    def _drop_inactive(conn: sqlite3.Connection, day: str) -> None:
        conn.execute(
            "DELETE FROM deliveries WHERE edition = ? AND state IN ('queued', 'sending') AND subscriber_id NOT IN "
            "(SELECT id FROM subscribers WHERE status = 'active')", (day,))

    def addresses_sent(self, edition: date) -> set[str]:
        """The addresses (lower-case, as SQLite's NOCASE compares them) holding this edition."""
        rows = self.db.rows("SELECT email FROM deliveries WHERE edition = ? AND state = 'sent'", (edition.isoformat(),))
        return {row["email"].lower() for row in rows}

    def deliveries(self, edition: date) -> list[Delivery]:
        rows = self.db.rows("SELECT * FROM deliveries WHERE edition = ? ORDER BY subscriber_id", (edition.isoformat(),))
        return [_delivery(row) for row in rows]

    def pending(self, edition: date) -> list[Delivery]:
        return [d for d in self.deliveries(edition) if d.pending]

    def editions(self) -> list[date]:
        rows = self.db.rows("SELECT DISTINCT edition FROM deliveries ORDER BY edition")
        return [date.fromisoformat(row["edition"]) for row in rows]

    def pending_editions(self, first: date, before: date) -> list[date]:
        """Editions from ``first`` up to (not including) ``before`` that still have unsent rows, oldest first."""
        rows = self.db.rows(
            "SELECT DISTINCT edition FROM deliveries WHERE state IN ('queued', 'sending') AND edition >= ? AND edition < ? "
            "ORDER BY edition", (first.isoformat(), before.isoformat()))
        return [date.fromisoformat(row["edition"]) for row in rows]

    def counts(self, edition: date) -> dict[str, int]:
        """Rows per state, every state present (0 when none)."""
        rows = self.db.rows("SELECT state, COUNT(*) AS n FROM deliveries WHERE edition = ? GROUP BY state",
                            (edition.isoformat(),))
        found = {row["state"]: row["n"] for row in rows}
        return {state: found.get(state, 0) for state in STATES}

    def mark_sending(self, delivery: Delivery) -> bool:
        """About to send: one more attempt. False, and the row dropped, when the subscriber
        is no longer active (unsubscribed or removed while the run was going), so a click
        on the unsubscribe link stops the messages not yet sent, not just the next edition's."""
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM subscribers WHERE id = ? AND status = 'active'",
                            (delivery.subscriber_id,)).fetchone() is None:
                conn.execute("DELETE FROM deliveries WHERE edition = ? AND subscriber_id = ? AND state IN ('queued', 'sending')",
                             (delivery.edition.isoformat(), delivery.subscriber_id))
                return False
            self._set(conn, delivery, "state = 'sending', attempts = attempts + 1", ())
        return True

    def mark_retry(self, delivery: Delivery, error: str) -> None:
        """Back to ``queued`` after a temporary failure: a later attempt, or the next run, sends it."""
        self._update(delivery, "state = 'queued', last_error = ?", (error,))

    def note_error(self, delivery: Delivery, error: str) -> None:
        """Why the row is still waiting when no message was tried (the server could not be
        reached or used): the state and the attempts stay as they are."""
        self._update(delivery, "last_error = ?", (error,))

    def mark_sent(self, delivery: Delivery) -> None:
        """Sent, and the subscriber's run of hard failures is over (bounces count consecutive failures)."""
        now = utc_now()
        with self.db.transaction() as conn:
            self._set(conn, delivery, "state = 'sent', last_error = NULL, sent_at = ?", (now,))
            conn.execute("UPDATE subscribers SET hard_failures = 0 WHERE id = ? AND hard_failures > 0",
                         (delivery.subscriber_id,))

    def mark_failed(self, delivery: Delivery, error: str, bounce_after: int, *, hard: bool = True) -> bool:
        """A permanent failure; True when it makes the address ``bounced``. Only a ``hard``
        one (the server refused the recipient or this message for them) counts towards that;
        a message too big for the server says nothing about the address."""
        now = utc_now()
        with self.db.transaction() as conn:
            self._set(conn, delivery, "state = 'failed', last_error = ?", (error,))
            if not hard:
                return False
            conn.execute("UPDATE subscribers SET hard_failures = hard_failures + 1 WHERE id = ?",
                         (delivery.subscriber_id,))
            bounced = conn.execute(
                "UPDATE subscribers SET status = 'bounced', updated_at = ? "
                "WHERE id = ? AND status = 'active' AND hard_failures >= ?",
                (now, delivery.subscriber_id, max(1, bounce_after)),
            ).rowcount
        return bounced > 0

    def _update(self, delivery: Delivery, assignments: str, params: Sequence[object] = ()) -> None:
        with self.db.transaction() as conn:
            self._set(conn, delivery, assignments, params)

    @staticmethod
    def _set(conn: sqlite3.Connection, delivery: Delivery, assignments: str, params: Sequence[object]) -> None:
        conn.execute(
            f"UPDATE deliveries SET {assignments}, updated_at = ? WHERE edition = ? AND subscriber_id = ?",
            (*params, utc_now(), delivery.edition.isoformat(), delivery.subscriber_id),
        )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        edition=date.fromisoformat(row["edition"]),
        subscriber_id=row["subscriber_id"],
        email=row["email"],
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        message_id=row["message_id"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )
