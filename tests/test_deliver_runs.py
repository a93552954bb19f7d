"""What a run does with rows it did not queue today, and when it stops: the pending rows of
the days before (greylisting outlasts one run's retries), a dead or refusing server (the run
stops after smtp.give_up_after failures in a row instead of a retry cycle per subscriber),
an address removed and added again, and an unsubscribe while the batch is going."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from briefing.archive import archive_path, save_briefing
from briefing.config import Config, SmtpConfig
from briefing.deliver.db import Database
from briefing.deliver.service import send_edition
from briefing.deliver.smtp import Mailer, SmtpUnusable
from briefing.deliver.store import SubscriberStore
from smtp_server import SECTIONS, Recorder, add, delivery_config, free_port, ledger_rows, smtp_server, statuses, tiny_briefing

pytestmark = pytest.mark.timeout(90)
DAY = dt.date(2026, 11, 25)
NEXT_DAY = DAY + dt.timedelta(days=1)


def archived(config: Config, day: dt.date):
    """The edition of ``day``, archived where a later run reads it back from."""
    briefing = tiny_briefing(day)
    save_briefing(briefing, archive_path(config.out_dir, day))
    return briefing


@contextmanager
def bob_busy(tmp_path: Path, *people: str, **env: str) -> Iterator[tuple[Config, dict[str, bool], Recorder]]:
    """A server answering 450 to bob@example.org while ``refusing["on"]``, and a configuration
    for it with bob and ``people`` subscribed (format html)."""
    refusing = {"on": True}
    handler = Recorder(rcpt_reply=lambda a: "450 4.2.0 mailbox busy" if refusing["on"] and a.startswith("bob") else None)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port, **env)
        add(config, *[(p, {"fmt": "html"}) for p in (*people, "bob@example.org")])
        yield config, refusing, handler


def test_a_row_left_pending_yesterday_is_sent_by_the_next_days_run_exactly_once(tmp_path: Path) -> None:
    with bob_busy(tmp_path, "ana@example.org") as (config, refusing, handler):
        first = send_edition(config, archived(config, DAY))
        assert (first.sent, first.pending) == (1, 1)
        [_, bob_row] = ledger_rows(config)

        refusing["on"] = False  # the greylisting is over by the next morning
        next_day = send_edition(config, archived(config, NEXT_DAY))
        again = send_edition(config, tiny_briefing(NEXT_DAY))

    assert handler.per_recipient() == {"ana@example.org": 2, "bob@example.org": 2}  # one copy of each edition
    bob = handler.messages_to("bob@example.org")
    assert sorted(m["Message-ID"] for m in bob if "25 Nov 2026" in m["Subject"]) == [bob_row.message_id]
    assert [row.state for row in ledger_rows(config)] == ["sent", "sent"]
    [caught_up] = next_day.earlier
    assert (caught_up.edition, caught_up.sent, caught_up.pending, caught_up.settled) == (DAY, 1, 0, True)
    assert (next_day.sent, next_day.settled) == (2, True)
    assert (again.sent, again.earlier) == (0, ())  # nothing left to catch up


def test_catch_up_stays_inside_mail_catch_up_days_and_queues_no_newcomer(tmp_path: Path) -> None:
    with bob_busy(tmp_path, BRIEFING_MAIL_CATCH_UP_DAYS="1") as (config, refusing, handler):
        send_edition(config, archived(config, DAY - dt.timedelta(days=1)))  # two days before NEXT_DAY: too old
        send_edition(config, archived(config, DAY))  # the day before NEXT_DAY: caught up
        add(config, ("new@example.org", {"fmt": "html"}))
        refusing["on"] = False
        report = send_edition(config, archived(config, NEXT_DAY))

    assert handler.per_recipient() == {"bob@example.org": 2, "new@example.org": 1}
    assert [row.state for row in ledger_rows(config, tiny_briefing(DAY - dt.timedelta(days=1)))] == ["queued"]
    assert [row.email for row in ledger_rows(config, tiny_briefing(DAY))] == ["bob@example.org"]
    assert [(r.edition, r.sent) for r in report.earlier] == [(DAY, 1)]


def test_no_catch_up_with_zero_days_and_a_warning_when_the_archive_is_gone(tmp_path: Path) -> None:
    with bob_busy(tmp_path, BRIEFING_MAIL_CATCH_UP_DAYS="0") as (config, refusing, handler):
        send_edition(config, archived(config, DAY))
        refusing["on"] = False
        without = send_edition(config, tiny_briefing(NEXT_DAY))
        archive_path(config.out_dir, DAY).unlink()
        warnings: list[str] = []
        with_days = replace(config, mail=replace(config.mail, catch_up_days=3))
        missing = send_edition(with_days, tiny_briefing(NEXT_DAY), warn=warnings.append)
    assert without.earlier == () and missing.earlier == ()
    assert any("briefing-2026-11-25.json" in w and "still pending cannot be sent" in w for w in warnings)
    assert [row.state for row in ledger_rows(config)] == ["queued"]
    assert handler.per_recipient() == {"bob@example.org": 1}  # only the next day's


class CountingMailer(Mailer):
    """Counts the connections the run tries to open (each attempt at an unreachable server)."""

    tries = 0

    def _connect(self):  # type: ignore[no-untyped-def]
        CountingMailer.tries += 1
        return super()._connect()


def test_no_server_listening_stops_the_run_after_give_up_after_tries_not_one_cycle_each(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, free_port(), BRIEFING_SMTP_GIVE_UP_AFTER="4")  # nothing listens there
    people = [f"reader{i:02d}@example.org" for i in range(30)]
    add(config, *[(p, {"fmt": "html"}) for p in people])
    CountingMailer.tries = 0
    with pytest.raises(SmtpUnusable, match=r"4 SMTP failures in a row, the last: cannot connect to 127\.0\.0\.1"):
        send_edition(config, tiny_briefing(), mailer=lambda smtp, context: CountingMailer(smtp, context))
    assert CountingMailer.tries == 4  # 30 subscribers × 3 tries each before
    rows = ledger_rows(config)
    assert {row.state for row in rows} == {"queued"} and len(rows) == 30
    assert {row.attempts for row in rows} == {0}  # no message was ever tried
    assert [row.email for row in rows if row.last_error] == people[:2]  # 3 tries for the first, 1 for the second


def test_a_server_refusing_our_sender_stops_the_run_and_bounces_no_one(tmp_path: Path) -> None:
    handler = Recorder(mail_reply=lambda sender, options: "550 5.7.1 sender not allowed here")
    people = [f"reader{i:02d}@example.org" for i in range(30)]
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_GIVE_UP_AFTER="5", BRIEFING_MAIL_BOUNCE_AFTER="1")
        add(config, *[(p, {"fmt": "html"}) for p in people])
        with pytest.raises(SmtpUnusable, match="5 SMTP failures in a row, the last: 550 5.7.1 sender not allowed"):
            send_edition(config, tiny_briefing())
    assert handler.mail_seen == 5 and handler.rcpt_seen == {}
    assert {row.state for row in ledger_rows(config)} == {"queued"}
    assert set(statuses(config).values()) == {"active"}


def test_failures_that_are_not_in_a_row_do_not_stop_the_run(tmp_path: Path) -> None:
    """Every other message is answered 421 (closing the connection): each retry succeeds,
    which resets the count, so even smtp.give_up_after = 2 sends everyone."""
    seen = {"n": 0}

    def every_other(envelope) -> str | None:
        seen["n"] += 1
        return "421 4.3.2 try again" if seen["n"] % 2 else None

    people = [f"reader{i:02d}@example.org" for i in range(6)]
    handler = Recorder(on_data=every_other)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_GIVE_UP_AFTER="2")
        add(config, *[(p, {"fmt": "html"}) for p in people])
        report = send_edition(config, tiny_briefing())
    assert (report.sent, report.complete) == (6, True)
    assert handler.per_recipient() == {p: 1 for p in people}
    assert {row.attempts for row in ledger_rows(config)} == {2}


def test_give_up_after_below_one_is_refused(tmp_path: Path) -> None:
    from briefing.deliver.smtp import check_smtp_config
    from briefing.errors import ConfigError

    with pytest.raises(ConfigError, match="smtp.give_up_after must be at least 1, not 0"):
        check_smtp_config(SmtpConfig(give_up_after=0))


def test_removed_and_added_again_does_not_get_a_second_copy_of_the_same_edition(tmp_path: Path) -> None:
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}))
        send_edition(config, tiny_briefing())
        with Database(config.data_dir) as db:
            store = SubscriberStore(db, SECTIONS)
            store.remove("ana@example.org")
            store.remove("bob@example.org")
        add(config, ("ana@example.org", {"fmt": "html"}), ("BOB@example.org", {"fmt": "html"}))  # new ids
        again = send_edition(config, tiny_briefing())
        dry = send_edition(config, tiny_briefing(), dry_run=True)
        next_day = send_edition(config, tiny_briefing(NEXT_DAY))
    assert server.handler.per_recipient() == {"ana@example.org": 2, "bob@example.org": 1, "BOB@example.org": 1}
    assert (again.sent, again.complete, dry.sent) == (0, True, 0)
    assert next_day.sent == 2  # the new ids get every later edition


def test_an_unsubscribe_while_the_batch_runs_stops_the_messages_not_yet_sent(tmp_path: Path) -> None:
    """The first accepted message triggers bob's one-click unsubscribe (as if he clicked
    yesterday's link while today's batch is going): bob, next in line, gets nothing."""
    config_box: dict[str, Config] = {}

    def unsubscribe_bob(envelope) -> None:
        if envelope.rcpt_tos == ["ana@example.org"]:
            with Database(config_box["config"].data_dir) as db:
                store = SubscriberStore(db, SECTIONS)
                store.set_status(store.require("bob@example.org").id, "unsubscribed")
        return None

    handler = Recorder(on_data=unsubscribe_bob)
    with smtp_server(handler) as server:
        config = config_box["config"] = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}),
            ("cy@example.org", {"fmt": "html"}))
        report = send_edition(config, tiny_briefing())
    assert handler.per_recipient() == {"ana@example.org": 1, "cy@example.org": 1}
    assert (report.sent, report.pending, report.complete) == (2, 0, True)
    assert [row.email for row in ledger_rows(config)] == ["ana@example.org", "cy@example.org"]
