"""The message and its headers: header injection from every source refused or neutralised,
links that survive folding, and unsubscribe tokens that cannot be forged."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from briefing.config import MailConfig, Secret
from briefing.deliver.message import ListHeaders, Rendering, build_message, subject_line
from briefing.deliver.store import Subscriber
from briefing.deliver.tokens import InvalidToken, TokenSigner
from briefing.errors import ConfigError
from smtp_server import SECRET, delivery_config, tiny_briefing

EDITION = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.timezone.utc)
ANA = Subscriber(7, "ana@example.org", "Ruiz, Ana \"the desk\"", None, "pdf", "active")


def mail(**changes: object) -> MailConfig:
    base = MailConfig(sender="Daily Briefing <briefing@news.example.org>",
                      unsubscribe_url="https://news.example.org/u/{token}", secret=Secret(SECRET))
    return replace(base, **changes)


def raw(rendering: Rendering, subscriber: Subscriber = ANA, headers: ListHeaders | None = None) -> bytes:
    msg = build_message(rendering, subscriber, headers or ListHeaders.from_config(mail()), edition=EDITION,
                        token="7.abc", message_id="<m1@news.example.org>", now=NOW)
    return bytes(msg)


def header_names(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line and not line[0].isspace()]


def rendering_for(briefing, pdf: bytes | None = b"%PDF-1.7 test") -> Rendering:
    return Rendering(subject=subject_line(briefing), text="Headlines\n", html="<html><body><p>Headlines</p></body></html>",
                     pdf=pdf)


def test_headline_with_line_breaks_stays_inside_the_subject() -> None:
    briefing = tiny_briefing(top="Talks collapse\r\nBcc: victim@example.org\r\n\r\nforged body")
    data = raw(rendering_for(briefing))
    assert "Bcc" not in header_names(data)
    msg = message_from_bytes(data, policy=policy.default)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Daily Briefing, 25 Nov 2026: Talks collapse Bcc: victim@example.org forged body"


def test_section_titles_and_title_from_config_cannot_add_headers() -> None:
    briefing = tiny_briefing(title="Daily\nX-Injected: yes", section_titles={"diplomacy": "Diplomacy\r\nBcc: victim@example.org"})
    from briefing import render
    from briefing.config import RenderConfig

    rendering = Rendering(subject=subject_line(briefing), text=render.render_text(briefing, RenderConfig()),
                          html=render.render_html(briefing, RenderConfig()), pdf=None)
    data = raw(rendering)
    names = header_names(data)
    assert "Bcc" not in names and "X-Injected" not in names
    assert message_from_bytes(data, policy=policy.default)["Subject"].startswith("Daily X-Injected: yes, 25 Nov 2026")


def test_subscriber_name_with_specials_is_quoted_not_split() -> None:
    msg = message_from_bytes(raw(rendering_for(tiny_briefing())), policy=policy.default)
    [address] = msg["To"].addresses
    assert (address.display_name, address.addr_spec) == ('Ruiz, Ana "the desk"', "ana@example.org")


@pytest.mark.parametrize("key,value", [
    ("sender", "Briefing <briefing@news.example.org>\r\nBcc: victim@example.org"),
    ("reply_to", "desk@news.example.org\nBcc: victim@example.org"),
    ("list_id", "Daily <daily.example.org>\r\nX-Injected: 1"),
    ("unsubscribe_url", "https://news.example.org/u/{token}\r\nBcc: victim@example.org"),
    ("unsubscribe_mailto", "unsub@news.example.org\r\nBcc: victim@example.org"),
])
def test_config_values_with_line_breaks_are_refused(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"mail.{key} contains a line break"):
        ListHeaders.from_config(mail(**{key: value}))


@pytest.mark.parametrize("sender", [
    "briefing@news.example.org, evil@attacker.example",
    "Briefing <briefing@news.example.org> evil@attacker.example",
    "briefing@news.example.org; evil@attacker.example",
    "undisclosed-recipients:;",
])
def test_a_sender_that_is_not_exactly_one_address_is_refused(sender: str) -> None:
    """parseaddr kept the first address of these and dropped the rest without a word."""
    with pytest.raises(ConfigError, match=r"mail.sender: .* give one, as Name <local@domain> or local@domain"):
        ListHeaders.from_config(mail(sender=sender))


@pytest.mark.parametrize(("sender", "name", "address"), [
    ("Daily Briefing <briefing@news.example.org>", "Daily Briefing", "briefing@news.example.org"),
    ('"Desk, Night" <desk@news.example.org>', "Desk, Night", "desk@news.example.org"),
    ("briefing@localhost", "", "briefing@localhost"),
])
def test_a_sender_of_one_address_is_taken_as_written(sender: str, name: str, address: str) -> None:
    parsed = ListHeaders.from_config(mail(sender=sender)).sender
    assert (parsed.display_name, parsed.addr_spec) == (name, address)


def test_unsubscribe_url_needs_a_token_placeholder() -> None:
    with pytest.raises(ConfigError, match="needs a {token} placeholder"):
        ListHeaders.from_config(mail(unsubscribe_url="https://news.example.org/unsubscribe"))


def test_long_unsubscribe_links_are_never_turned_into_encoded_words() -> None:
    url = "https://news.example.org/a/very/long/path/that/would/not/fit/on/one/seventy-eight/column/line/{token}"
    headers = ListHeaders.from_config(mail(unsubscribe_url=url, unsubscribe_mailto="unsubscribe@news.example.org"))
    data = raw(rendering_for(tiny_briefing()), headers=headers)
    assert b"=?utf-8?" not in data.split(b"\r\n\r\n", 1)[0]
    msg = message_from_bytes(data, policy=policy.default)
    assert msg["List-Unsubscribe"].split() == [
        f"<{url.replace('{token}', '7.abc')}>,", "<mailto:unsubscribe@news.example.org?subject=unsubscribe%207.abc>"]


def test_html_format_has_no_attachment_and_pdf_format_has_it() -> None:
    html_only = message_from_bytes(raw(rendering_for(tiny_briefing(), pdf=None)), policy=policy.default)
    assert html_only.get_content_type() == "multipart/alternative"
    with_pdf = message_from_bytes(raw(rendering_for(tiny_briefing())), policy=policy.default)
    assert [p.get_content_type() for p in with_pdf.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    assert with_pdf.get_payload()[1].get_content() == b"%PDF-1.7 test"


def test_tokens_verify_and_cannot_be_forged_or_moved() -> None:
    signer = TokenSigner.from_config(mail())
    token = signer.token(7, "ana@example.org")
    assert signer.claimed_id(token) == 7
    signer.verify(token, 7, "ana@example.org")
    signer.verify(token, 7, "ANA@example.org")  # addresses compare case-insensitively
    mac = token.split(".")[1]
    for forged in (f"8.{mac}", token[:-1] + ("A" if token[-1] != "A" else "B"), "7.abc", "7." + "A" * 22):
        with pytest.raises(InvalidToken):
            signer.verify(forged, signer.claimed_id(forged) if forged[0] == "8" else 7, "ana@example.org")
    with pytest.raises(InvalidToken):
        signer.verify(token, 7, "someone-else@example.org")
    other = TokenSigner.from_config(mail(secret=Secret("another-secret-of-sufficient-length")))
    with pytest.raises(InvalidToken):
        other.verify(token, 7, "ana@example.org")
    assert signer.token(8, "bob@example.org") != token


def test_dry_run_without_secret_signs_with_a_marked_throwaway_key() -> None:
    with pytest.raises(ConfigError, match="mail.secret is not set"):
        TokenSigner.from_config(mail(secret=None))
    throwaway = TokenSigner.from_config(mail(secret=None), dry_run=True)
    token = throwaway.token(7, "ana@example.org")
    assert token.startswith("dry-run.")
    with pytest.raises(InvalidToken, match="dry run"):
        TokenSigner.from_config(mail()).claimed_id(token)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match="too short"):
        TokenSigner.from_config(mail(secret=Secret("short")))


def test_secret_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text(SECRET + "\n", "utf-8")
    config = delivery_config(tmp_path, 25, BRIEFING_MAIL_SECRET="", BRIEFING_MAIL_SECRET_FILE=str(tmp_path / "secret"))
    assert config.mail.secret is not None and config.mail.secret.reveal() == SECRET


def test_variant_drops_sections_no_longer_configured_and_falls_back_to_the_whole_edition() -> None:
    from briefing.deliver.variants import Variant, variant_of

    wants = replace(ANA, sections=("diplomacy", "military"))
    assert variant_of(wants, ["diplomacy", "military", "domestic"]) == Variant(("diplomacy", "military"), "pdf")
    assert variant_of(wants, ["military", "domestic"]) == Variant(("military",), "pdf")
    assert variant_of(wants, ["domestic"]) == Variant(None, "pdf")
    assert variant_of(replace(ANA, format="html"), ["domestic"]) == Variant(None, "html")
