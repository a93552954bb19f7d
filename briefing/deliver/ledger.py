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
        exist keep their state and Message-ID); unsent rows of anyone no longer active are dropped."""
        day, now = edition.isoformat(), utc_now()
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM deliveries WHERE edition = ? AND state IN ('queued', 'sending') AND subscriber_id NOT IN "
                "(SELECT id FROM subscribers WHERE status = 'active')", (day,))
            conn.executemany(
                "INSERT OR IGNORE INTO deliveries (edition, subscriber_id, email, state, message_id, updated_at) "
                "VALUES (?, ?, ?, 'queued', ?, ?)",
                [(day, s.id, s.email, message_id(s), now) for s in subscribers if s.status == "active"],
            )

    def deliveries(self, edition: date) -> list[Delivery]:
        rows = self.db.rows("SELECT * FROM deliveries WHERE edition = ? ORDER BY subscriber_id", (edition.isoformat(),))
        return [_delivery(row) for row in rows]

    def pending(self, edition: date) -> list[Delivery]:
        return [d for d in self.deliveries(edition) if d.pending]

    def editions(self) -> list[date]:
        rows = self.db.rows("SELECT DISTINCT edition FROM deliveries ORDER BY edition")
        return [date.fromisoformat(row["edition"]) for row in rows]

    def counts(self, edition: date) -> dict[str, int]:
        """Rows per state, every state present (0 when none)."""
        rows = self.db.rows("SELECT state, COUNT(*) AS n FROM deliveries WHERE edition = ? GROUP BY state",
                            (edition.isoformat(),))
        found = {row["state"]: row["n"] for row in rows}
        return {state: found.get(state, 0) for state in STATES}

    def mark_sending(self, delivery: Delivery) -> None:
        self._update(delivery, "state = 'sending', attempts = attempts + 1")

    def mark_retry(self, delivery: Delivery, error: str) -> None:
        """Back to ``queued`` after a temporary failure: a later attempt, or the next run, sends it."""
        self._update(delivery, "state = 'queued', last_error = ?", (error,))

    def mark_sent(self, delivery: Delivery) -> None:
        """Sent, and the subscriber's run of hard failures is over (bounces count consecutive failures)."""
        now = utc_now()
        with self.db.transaction() as conn:
            self._set(conn, delivery, "state = 'sent', last_error = NULL, sent_at = ?", (now,))
            conn.execute("UPDATE subscribers SET hard_failures = 0 WHERE id = ? AND hard_failures > 0",
                         (delivery.subscriber_id,))

    def mark_failed(self, delivery: Delivery, error: str, bounce_after: int) -> bool:
        """A permanent (5xx) failure; True when it makes the address ``bounced``."""
        now = utc_now()
        with self.db.transaction() as conn:
            self._set(conn, delivery, "state = 'failed', last_error = ?", (error,))
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
