"""The attachment size guard against a real aiosmtpd server: the message as sent (the PDF
base64-encoded) is measured against the smaller of mail.max_attachment_mb and the server's
SIZE, and a server's "message too big" (552 at MAIL FROM or DATA, 5.3.4) sends the message
again without the PDF instead of failing the subscriber."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefing.deliver.service import send_edition
from briefing.deliver.variants import MEGABYTE, human_size
from smtp_server import Recorder, add, delivery_config, ledger_rows, smtp_server, statuses, tiny_briefing

pytestmark = pytest.mark.timeout(90)
#: The tiny briefing's whole-edition PDF is about 31 kB, its message about 51 kB with it
#: (base64 adds a third) and about 10 kB without.
WITHOUT_PDF_MAX = 20_000


def parts(msg) -> list[str]:
    return [p.get_content_type() for p in msg.walk()]


def test_the_encoded_message_is_measured_not_the_raw_pdf(tmp_path: Path) -> None:
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("probe@example.org", {}))
        send_edition(config, tiny_briefing())
        [probe] = server.handler.received
        pdf = next(p for p in probe.message.walk() if p.get_content_type() == "application/pdf").get_content()
        assert len(pdf) < len(probe.data) * 0.75  # the attachment grew by a third on the way

        # a limit the raw PDF is under but the message as sent is over
        limit = (len(pdf) + len(probe.data)) // 2
        config = delivery_config(tmp_path / "2", server.port, BRIEFING_MAIL_MAX_ATTACHMENT_MB=str(limit / MEGABYTE))
        add(config, ("ana@example.org", {}))
        warnings: list[str] = []
        report = send_edition(config, tiny_briefing(), warn=warnings.append)
    [msg] = server.handler.messages_to("ana@example.org")
    assert "application/pdf" not in parts(msg) and report.sent == 1
    assert f"({human_size(limit)}): sending it without the PDF" in warnings[-1]


def test_the_servers_size_limit_is_honoured_before_sending(tmp_path: Path) -> None:
    handler = Recorder()
    with smtp_server(handler, data_size_limit=30_000) as server:
        config = delivery_config(tmp_path, server.port)  # mail.max_attachment_mb: the default 10
        add(config, ("ana@example.org", {}), ("bob@example.org", {}))
        warnings: list[str] = []
        report = send_edition(config, tiny_briefing(), warn=warnings.append)
    for msg in (handler.messages_to(a)[0] for a in ("ana@example.org", "bob@example.org")):
        assert parts(msg) == ["multipart/alternative", "text/plain", "text/html"]
        text = msg.get_payload()[0].get_content()
        assert re.search(r"The PDF edition is not attached: with it this message would be \d+ kB, over the 29 kB", text)
    assert (report.sent, report.failed, report.complete) == (2, 0, True)
    assert handler.data_seen == 2  # never offered the message the server could not take
    assert len([w for w in warnings if "over the SMTP server's limit (29 kB)" in w]) == 1  # once per variant


def test_552_at_data_sends_again_without_the_pdf_and_is_no_hard_failure(tmp_path: Path) -> None:
    def too_big(envelope) -> str | None:
        return "552 5.3.4 message too big for system" if len(envelope.original_content) > WITHOUT_PDF_MAX else None

    handler = Recorder(on_data=too_big)
    with smtp_server(handler, data_size_limit=0) as server:  # announces no SIZE
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_BOUNCE_AFTER="1")
        add(config, ("ana@example.org", {}), ("bob@example.org", {}))
        report = send_edition(config, tiny_briefing())
    assert (report.sent, report.failed, report.bounced) == (2, 0, ())
    assert handler.data_seen == 3  # ana's first try; then both without the PDF
    assert all("application/pdf" not in parts(handler.messages_to(a)[0]) for a in ("ana@example.org", "bob@example.org"))
    assert [(row.state, row.attempts) for row in ledger_rows(config)] == [("sent", 1), ("sent", 1)]
    assert set(statuses(config).values()) == {"active"}


def test_552_at_mail_from_sends_again_without_the_pdf(tmp_path: Path) -> None:
    """A server announcing a large SIZE but refusing, at MAIL FROM, the SIZE= our client
    declares (a per-sender limit): no longer pending for ever."""
    def sender_limit(sender: str, options: list[str]) -> str | None:
        size = next((int(o.split("=", 1)[1]) for o in options if o.startswith("SIZE=")), 0)
        return "552 5.3.4 message size exceeds the limit for this sender" if size > WITHOUT_PDF_MAX else None

    handler = Recorder(mail_reply=sender_limit)
    with smtp_server(handler) as server:
        config = delivery_config(tmp_path, server.port)
        add(config, ("ana@example.org", {}))
        report = send_edition(config, tiny_briefing())
    assert (report.sent, report.pending) == (1, 0)
    assert handler.mail_seen == 2
    assert "application/pdf" not in parts(handler.messages_to("ana@example.org")[0])


def test_too_big_even_without_the_pdf_fails_the_row_but_never_bounces(tmp_path: Path) -> None:
    handler = Recorder(on_data=lambda envelope: "552 5.3.4 message too big for system")
    with smtp_server(handler, data_size_limit=0) as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_BOUNCE_AFTER="1", BRIEFING_SMTP_GIVE_UP_AFTER="1")
        add(config, ("ana@example.org", {}), ("web@example.org", {"fmt": "html"}))
        report = send_edition(config, tiny_briefing())
    assert (report.sent, report.failed, report.bounced, report.pending) == (0, 2, (), 0)
    assert {row.last_error for row in ledger_rows(config)} == {"552 5.3.4 message too big for system (too big even without the PDF)"}
    assert set(statuses(config).values()) == {"active"}


def test_a_sections_only_variant_over_the_limit_says_its_link_is_the_whole_edition(tmp_path: Path) -> None:
    with smtp_server() as server:
        config = delivery_config(tmp_path, server.port, BRIEFING_MAIL_MAX_ATTACHMENT_MB="0.01",
                                 BRIEFING_MAIL_PDF_URL="https://news.example.org/archive/{file}")
        add(config, ("dip@example.org", {"sections": "diplomacy"}), ("all@example.org", {}))
        send_edition(config, tiny_briefing())
    dip = server.handler.messages_to("dip@example.org")[0].get_payload()[0].get_content()
    whole = server.handler.messages_to("all@example.org")[0].get_payload()[0].get_content()
    assert ("The whole edition's PDF (every section, not only yours) is at "
            "https://news.example.org/archive/briefing-2026-11-25.pdf") in dip
    assert "Read it at https://news.example.org/archive/briefing-2026-11-25.pdf" in whole


@pytest.mark.parametrize(("size", "shown"), [(0, "0 bytes"), (812, "812 bytes"), (2458, "2.4 kB"), (41_943, "41 kB"),
                                            (10 * MEGABYTE, "10.0 MB"), (1_572_864, "1.5 MB")])
def test_sizes_read_as_sizes(size: int, shown: str) -> None:
    assert human_size(size) == shown
