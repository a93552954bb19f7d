"""Sending through a real aiosmtpd server on 127.0.0.1: the MIME tree as received, TLS and
AUTH, retries, failures and bounces, re-runs after a stopped server, per-subscriber sections."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefing import render
from briefing.deliver.db import Database
from briefing.deliver.service import Edition, send_edition
from briefing.deliver.smtp import SmtpUnusable
from briefing.deliver.store import SubscriberStore
from briefing.deliver.tokens import TokenSigner
from briefing.errors import ConfigError
from smtp_server import (
    PASSWORD,
    SECTIONS,
    USER,
    Recorder,
    add,
    delivery_config,
    ledger_rows,
    self_signed,
    smtp_server,
    statuses,
    tiny_briefing,
)

pytestmark = pytest.mark.timeout(90)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_message_as_received_has_full_tree_headers_and_the_built_pdf(tmp_path: Path) -> None:
    briefing = tiny_briefing()
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        built = render.write_outputs(briefing, config.out_dir, ["pdf"], config.render)[0]
        add(config, ("ana@example.org", {"name": "Ana Ruiz"}))
        report = send_edition(config, Edition(briefing, built))

    assert report.sent == 1 and report.complete and report.pdf_renders == 0  # the built PDF was reused
    [received] = server.handler.received
    assert received.mail_from == "briefing@news.example.org"
    assert received.rcpt_tos == ("ana@example.org",)
    msg = received.message
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "briefing-2026-11-25.pdf"
    assert attachment.get_content() == built.read_bytes()

    assert msg["To"] == "Ana Ruiz <ana@example.org>"
    assert msg["From"] == "Daily Briefing <briefing@news.example.org>"
    assert msg["Reply-To"] == "desk@news.example.org"
    assert msg["List-Id"] == "Daily Briefing <daily.news.example.org>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Date"] is not None
    assert "25 Nov 2026" in msg["Subject"] and "Envoys from Velmora" in msg["Subject"]
    [row] = ledger_rows(config)
    assert (row.state, row.attempts) == ("sent", 1)
    assert msg["Message-ID"] == row.message_id

    signer = TokenSigner.from_config(config.mail)
    token = signer.token(row.subscriber_id, "ana@example.org")
    assert msg["List-Unsubscribe"] == (
        f"<https://news.example.org/unsubscribe/{token}>, "
        f"<mailto:unsubscribe@news.example.org?subject=unsubscribe%20{token}>"
    )
    text, html = (p.get_content() for p in alternative.get_payload())
    for section_title in ("Diplomacy", "Military", "Domestic"):
        assert section_title.upper() in text.upper() and section_title in html
    assert "Envoys from Velmora" in text and "Envoys from Velmora" in html
    assert f"https://news.example.org/unsubscribe/{token}" in text
    assert f'href="https://news.example.org/unsubscribe/{token}"' in html


def test_sections_and_format_preferences_render_once_per_variant(tmp_path: Path) -> None:
    briefing = tiny_briefing()
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        add(config,
            ("dip1@example.org", {"sections": "diplomacy"}),
            ("dip2@example.org", {"sections": "diplomacy"}),
            ("web@example.org", {"fmt": "html", "sections": "military,domestic"}),
            ("web2@example.org", {"fmt": "html", "sections": "domestic,military"}))
        report = send_edition(config, briefing)

    assert report.sent == 4
    assert (report.variants_rendered, report.pdf_renders) == (2, 1)
    first, second = (m.get_payload()[1].get_content() for m in
                     (server.handler.messages_to("dip1@example.org")[0], server.handler.messages_to("dip2@example.org")[0]))
    assert first == second
    text = pdf_text(first)
    assert "Diplomacy" in text and "Envoys from Velmora" in text
    assert "Military" not in text and "Drevno" not in text and "Domestic" not in text

    web = server.handler.messages_to("web@example.org")[0]
    assert web.get_content_type() == "multipart/alternative"  # no attachment for format html
    html = web.get_payload()[1].get_content()
    assert "Drevno" in html and "winter budget" in html and "Envoys from Velmora" not in html
    assert "Drevno" in web["Subject"]  # the top headline of *their* sections


def test_starttls_and_auth_with_certificate_checks(tmp_path: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    with smtp_server(tls=tls, auth=True) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_SECURITY="starttls",
                                 BRIEFING_SMTP_USER=USER, BRIEFING_SMTP_PASSWORD=PASSWORD)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}))
        report = send_edition(config, tiny_briefing(), ssl_context=tls.client_context())
    assert report.sent == 2 and report.connections == 1  # one connection reused for the batch
    assert server.handler.per_recipient() == {"ana@example.org": 1, "bob@example.org": 1}


def test_implicit_tls(tmp_path: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    with smtp_server(tls=tls, implicit_tls=True) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_SECURITY="ssl")
        add(config, ("ana@example.org", {"fmt": "html"}))
        assert send_edition(config, tiny_briefing(), ssl_context=tls.client_context()).sent == 1
    assert server.handler.per_recipient() == {"ana@example.org": 1}


def test_untrusted_certificate_stops_the_run_and_keeps_rows_pending(tmp_path: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    with smtp_server(tls=tls) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_SECURITY="starttls")
        add(config, ("ana@example.org", {"fmt": "html"}))
        with pytest.raises(SmtpUnusable, match="certificate verify failed"):
            send_edition(config, tiny_briefing())  # the system's CAs do not trust the test certificate
    assert server.handler.received == []
    assert [row.state for row in ledger_rows(config)] == ["queued"]


def test_wrong_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    tls = self_signed(tmp_path / "tls")
    with smtp_server(tls=tls, auth=True) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_SECURITY="starttls",
                                 BRIEFING_SMTP_USER=USER, BRIEFING_SMTP_PASSWORD="not-" + PASSWORD)
        add(config, ("ana@example.org", {"fmt": "html"}))
        with pytest.raises(SmtpUnusable, match="login refused") as caught:
            send_edition(config, tiny_briefing(), ssl_context=tls.client_context())
    assert PASSWORD not in str(caught.value)
    assert all(PASSWORD not in (row.last_error or "") for row in ledger_rows(config))


def test_password_over_plain_smtp_to_a_remote_host_is_refused(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25, BRIEFING_SMTP_HOST="mail.example.org",
                             BRIEFING_SMTP_USER=USER, BRIEFING_SMTP_PASSWORD=PASSWORD)
    with pytest.raises(ConfigError, match="clear text"):
        send_edition(config, tiny_briefing())


@pytest.mark.parametrize(("key", "value"), [("BRIEFING_MAIL_RETRIES", "-1"), ("BRIEFING_MAIL_BACKOFF", "-0.5")])
def test_negative_retries_or_backoff_are_refused_before_sending(tmp_path: Path, key: str, value: str) -> None:
    config = delivery_config(tmp_path, 25, **{key: value})
    with pytest.raises(ConfigError, match=f"{key.removeprefix('BRIEFING_').lower().replace('_', '.', 1)} must be 0 or more"):
        send_edition(config, tiny_briefing())


def test_greylisting_451_is_retried_in_the_same_run(tmp_path: Path) -> None:
    seen: dict[str, int] = {}

    def greylist(address: str) -> str | None:
        seen[address] = seen.get(address, 0) + 1
        return "451 4.7.1 greylisted, try again later" if seen[address] == 1 else None

    with smtp_server(Recorder(rcpt_reply=greylist)) as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}))
        report = send_edition(config, tiny_briefing())
    assert report.complete and report.sent == 2
    assert server.handler.per_recipient() == {"ana@example.org": 1, "bob@example.org": 1}
    assert [(row.state, row.attempts) for row in ledger_rows(config)] == [("sent", 2), ("sent", 2)]


def test_persistent_4xx_stays_pending_then_the_next_run_sends(tmp_path: Path) -> None:
    refusing = {"on": True}
    handler = Recorder(rcpt_reply=lambda a: "450 4.2.0 mailbox busy" if refusing["on"] and a.startswith("bob") else None)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}))
        warnings: list[str] = []
        first = send_edition(config, tiny_briefing(), warn=warnings.append)
        assert (first.sent, first.retried_later, first.pending, first.complete) == (1, 1, 1, False)
        assert handler.rcpt_seen["bob@example.org"] == 3  # 1 + mail.retries
        assert any("bob@example.org: 450 4.2.0 mailbox busy (pending" in w for w in warnings)
        refusing["on"] = False
        second = send_edition(config, tiny_briefing())
    assert (second.sent, second.complete) == (1, True)
    assert handler.per_recipient() == {"ana@example.org": 1, "bob@example.org": 1}


def test_550_fails_the_row_and_bounces_after_repeated_hard_failures(tmp_path: Path) -> None:
    handler = Recorder(rcpt_reply=lambda a: "550 5.1.1 no such user" if a.startswith("gone") else None)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_BOUNCE_AFTER="2")
        add(config, ("ana@example.org", {"fmt": "html"}), ("gone@example.org", {"fmt": "html"}))
        day1 = send_edition(config, tiny_briefing())
        assert (day1.sent, day1.failed, day1.bounced, day1.complete) == (1, 1, (), False)
        assert handler.rcpt_seen["gone@example.org"] == 1  # a 5xx is never retried
        [_, row] = ledger_rows(config)
        assert (row.state, row.last_error) == ("failed", "550 5.1.1 no such user")
        assert statuses(config)["gone@example.org"] == "active"

        again = send_edition(config, tiny_briefing())  # same edition: failed rows are final
        assert (again.sent, again.failed) == (0, 0) and handler.rcpt_seen["gone@example.org"] == 1

        day2 = send_edition(config, tiny_briefing(dt.date(2026, 11, 26)))
        assert day2.bounced == ("gone@example.org",)
        assert statuses(config)["gone@example.org"] == "bounced"
        day3 = send_edition(config, tiny_briefing(dt.date(2026, 11, 27)))
    assert day3.sent == 1 and handler.rcpt_seen["gone@example.org"] == 2  # bounced: not tried again
    assert handler.per_recipient() == {"ana@example.org": 3}


def test_server_stopping_mid_run_then_reruns_miss_and_double_no_one(tmp_path: Path) -> None:
    """After 3 messages the server answers 421 and is then stopped: the run leaves the
    rest pending; a re-run with no server changes nothing; a re-run against a new server
    on the same port sends exactly the rest. (smtp.give_up_after is raised so that each
    run tries every row: stopping early is tested on its own below.)"""
    accepted = {"n": 0, "limit": 3}

    def closing(envelope) -> str | None:
        if accepted["n"] >= accepted["limit"]:
            return "421 4.3.2 shutting down"
        accepted["n"] += 1
        return None

    people = [f"reader{i}@example.org" for i in range(8)]
    handler = Recorder(on_data=closing)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_RETRIES="1", BRIEFING_SMTP_GIVE_UP_AFTER="100")
        add(config, *[(p, {"fmt": "html"}) for p in people])
        first = send_edition(config, tiny_briefing())
        port = server.port
    assert (first.sent, first.pending, first.complete) == (3, 5, False)

    without_server = send_edition(config, tiny_briefing())
    assert (without_server.sent, without_server.pending) == (0, 5)
    assert all("cannot connect to 127.0.0.1" in (row.last_error or "") for row in ledger_rows(config) if row.pending)

    accepted["limit"] = 100
    with smtp_server(handler, port=port):
        last = send_edition(config, tiny_briefing())
    assert (last.sent, last.complete) == (5, True)
    assert handler.per_recipient() == {p: 1 for p in people}


def test_row_left_sending_is_resent_with_the_same_message_id(tmp_path: Path) -> None:
    """The documented window: killed after the server's 250 but before our commit."""
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}))
        send_edition(config, tiny_briefing())
        [row] = ledger_rows(config)
        with Database(config.data_dir) as db:
            with db.transaction() as conn:
                conn.execute("UPDATE deliveries SET state = 'sending'")
        report = send_edition(config, tiny_briefing())
    assert report.sent == 1
    copies = server.handler.messages_to("ana@example.org")
    assert [m["Message-ID"] for m in copies] == [row.message_id, row.message_id]


def test_concurrent_connections_and_rate_limit_send_each_once(tmp_path: Path) -> None:
    people = [f"reader{i}@example.org" for i in range(12)]
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_SMTP_CONCURRENCY="3", BRIEFING_SMTP_RATE="200")
        add(config, *[(p, {"fmt": "html"}) for p in people])
        report = send_edition(config, tiny_briefing())
    assert report.sent == 12 and report.connections == 3
    assert server.handler.per_recipient() == {p: 1 for p in people}


def test_unsubscribed_and_bounced_get_nothing(tmp_path: Path) -> None:
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {"fmt": "html"}), ("bob@example.org", {"fmt": "html"}))
        with Database(config.data_dir) as db:
            store = SubscriberStore(db, SECTIONS)
            store.set_status(store.require("bob@example.org").id, "unsubscribed")
        send_edition(config, tiny_briefing())
    assert server.handler.per_recipient() == {"ana@example.org": 1}


def test_oversized_pdf_is_replaced_by_a_link_and_a_notice(tmp_path: Path) -> None:
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_MAX_ATTACHMENT_MB="0.001",
                                 BRIEFING_MAIL_PDF_URL="https://news.example.org/archive/{file}")
        add(config, ("ana@example.org", {}))
        warnings: list[str] = []
        send_edition(config, tiny_briefing(), warn=warnings.append)
    msg = server.handler.messages_to("ana@example.org")[0]
    assert msg.get_content_type() == "multipart/alternative"
    text, html = (p.get_content() for p in msg.get_payload())
    assert "The PDF edition is not attached" in text and "https://news.example.org/archive/briefing-2026-11-25.pdf" in text
    assert "over the 1.0 kB that can be sent" in text  # the limit as a size a reader can read, not "0.0 MB"
    assert "The PDF edition is not attached" in html
    assert any("over mail.max_attachment_mb = 0.001 (1.0 kB)" in w for w in warnings)


def test_no_secret_refuses_to_send(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25)
    config = replace(config, mail=replace(config.mail, secret=None))
    with pytest.raises(ConfigError, match="mail.secret is not set"):
        send_edition(config, tiny_briefing())


def test_password_and_its_auth_encodings_are_scrubbed_from_error_texts() -> None:
    import base64

    from briefing.config import Secret, SmtpConfig
    from briefing.deliver.smtp import scrubbed, secret_forms

    config = SmtpConfig(user=USER, password=Secret(PASSWORD))
    plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    login = base64.b64encode(PASSWORD.encode()).decode()
    cleaned = scrubbed(f"535 5.7.8 rejected {plain} ({login}, {PASSWORD})", secret_forms(config))
    assert cleaned == "535 5.7.8 rejected *** (***, ***)"
