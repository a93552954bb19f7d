"""Mail against hostile values: no header injection through addresses, names, subjects or
section titles, on any Python (the email package encodes newlines hidden in RFC 2047
encoded-words only from 3.11.10 / 3.12.5 on, CVE-2024-6923); secrets never in output,
errors, ``--json``, the ledger or outbox files, even when the server echoes them back.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from smtp_server import PASSWORD, SECRET, USER, Recorder, delivery_env, smtp_server, tiny_briefing

from briefing.archive import archive_path, save_briefing
from briefing.cli import main
from briefing.config import MailConfig, Secret
from briefing.deliver.message import ListHeaders, Rendering, build_message, subject_line
from briefing.deliver.store import Subscriber, SubscriberError, checked_email, checked_name

pytestmark = pytest.mark.timeout(120)
EDITION = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.timezone.utc)
HEADERS = ["Subject", "From", "To", "Reply-To", "Date", "Message-ID", "List-Id", "List-Unsubscribe",
           "List-Unsubscribe-Post", "MIME-Version", "Content-Type"]
#: Line breaks spelled as RFC 2047 encoded-words: no control character anywhere in the text,
#: but the email package decodes them when it parses the value it is given.
ENCODED_BREAKS = [
    "=?UTF-8?Q?=0A?=Bcc: victim@example.org",
    "=?UTF-8?Q?=0D=0A?=Bcc: victim@example.org",
    "=?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==?=",
    "A \U0001f4a9 subject=?UTF-8?Q?=0A?=X-Injected: 1",
    "=?UTF-8?Q?=0D=0A=0D=0A?=<p>forged body</p>",
    "=?iso-8859-1?q?=0D=0A?=Reply-To: attacker@example.net",
]
LIST = ListHeaders.from_config(MailConfig(sender="Daily Briefing <briefing@news.example.org>",
                                          reply_to="desk@news.example.org",
                                          unsubscribe_url="https://news.example.org/u/{token}", secret=Secret(SECRET)))


def message_bytes(headline: str = "Talks resume", name: str | None = None, email: str = "ana@example.org",
                  section_title: str = "Diplomacy", title: str = "Daily Briefing") -> bytes:
    briefing = tiny_briefing(top=headline, title=title, section_titles={"diplomacy": section_title})
    rendering = Rendering(subject=subject_line(briefing), text="Headlines\n", html="<html><body><p>x</p></body></html>",
                          pdf=None)
    msg = build_message(rendering, Subscriber(7, email, name, None, "html", "active"), LIST, edition=EDITION,
                        token="7.abc", message_id="<m1@news.example.org>", now=NOW)
    return bytes(msg)


def header_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def assert_sound_headers(data: bytes, email: str = "ana@example.org") -> None:
    """Exactly the list's headers, each line ended by CRLF (no bare CR or LF), continuation
    lines folded with white space, one recipient: nothing a mail server or client could
    read as another header."""
    lines = header_lines(data)
    assert all(b"\r" not in line and b"\n" not in line for line in lines), lines
    starts = [line.split(b":", 1)[0].decode("ascii") for line in lines if line and line[:1] not in (b" ", b"\t")]
    assert starts == HEADERS, starts
    assert all(len(line) <= 998 for line in lines)
    msg = message_from_bytes(data, policy=policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == [email]


@pytest.mark.parametrize("payload", ENCODED_BREAKS)
def test_encoded_line_breaks_in_a_headline_stay_inside_the_subject(payload: str) -> None:
    data = message_bytes(headline=f"Talks collapse {payload}")
    assert_sound_headers(data)
    subject = message_from_bytes(data, policy=policy.default)["Subject"]
    assert "\n" not in subject and "\r" not in subject and subject.startswith("Daily Briefing, 25 Nov 2026: Talks collapse")


@pytest.mark.parametrize("payload", ENCODED_BREAKS)
def test_encoded_line_breaks_in_a_subscriber_name_stay_inside_the_to_header(payload: str) -> None:
    name = checked_name(f"Ana {payload}", "ana@example.org")
    data = message_bytes(name=name)
    assert_sound_headers(data)
    [address] = message_from_bytes(data, policy=policy.default)["To"].addresses
    assert address.addr_spec == "ana@example.org" and "\n" not in address.display_name


@pytest.mark.parametrize("payload", ENCODED_BREAKS)
def test_encoded_line_breaks_in_titles_from_the_config_stay_inside_the_subject(payload: str) -> None:
    assert_sound_headers(message_bytes(title=f"Daily {payload}", section_title=f"Diplomacy {payload}"))


@pytest.mark.parametrize("address", [
    "ana@example.org\r\nBcc: victim@example.org",
    "ana@example.org\nBcc: victim@example.org",
    "ana@example.org, victim@example.org",
    "Ana <ana@example.org>",
    '"ana\\"\r\n"@example.org',
    "ana@example.org\x00",
    "ana@exam\u2028ple.org",
])
def test_addresses_that_could_add_a_header_or_a_recipient_are_refused(address: str) -> None:
    with pytest.raises(SubscriberError):
        checked_email(address)


def test_an_address_python_cannot_write_is_refused_on_the_way_in() -> None:
    """``=`` and ``?`` are allowed in a mailbox name, but the email package refuses to write
    an encoded-word there: stored, such an address made every ``send`` fail."""
    with pytest.raises(SubscriberError, match="cannot be written in a mail header"):
        checked_email("=?UTF-8?Q?=0D=0A?=@example.org")
    assert checked_email("a=b?c@example.org") == "a=b?c@example.org"


TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
ENCODED = st.builds(lambda charset, enc, body: f"=?{charset}?{enc}?{body}?=", st.sampled_from(["UTF-8", "utf-8", "latin-1"]),
                    st.sampled_from(["Q", "q", "B", "b"]),
                    st.sampled_from(["=0A", "=0D=0A", "DQo=", "Cg==", "=0A=0A", "_=0D_", "abc"]))
HOSTILE = st.lists(st.one_of(TEXT, ENCODED, st.sampled_from(["Bcc: x@example.org", ":", "\r\n", "\n", '"', "<", ">"])),
                   max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(headline=HOSTILE, name=HOSTILE, section_title=HOSTILE)
def test_no_value_ever_adds_a_header(headline: str, name: str, section_title: str) -> None:
    try:
        checked = checked_name(name, "ana@example.org")
    except SubscriberError:
        checked = None
    assume(headline.strip())
    assert_sound_headers(message_bytes(headline=headline, name=checked, section_title=section_title))


# through the real commands and a real server --------------------------------------------


def cli(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"BRIEFING_CONFIG": "", **env}, catch_exceptions=False)


def test_hostile_names_and_csv_rows_reach_the_server_as_one_recipient_each(tmp_path: Path) -> None:
    handler = Recorder()
    with smtp_server(handler) as server:
        env = delivery_env(tmp_path / "data", tmp_path / "out", server.port)
        save_briefing(tiny_briefing(top=f"Talks collapse {ENCODED_BREAKS[1]}"), archive_path(tmp_path / "out", EDITION))
        assert cli(env, "subscribers", "add", "ana@example.org", "--name", f"Ana {ENCODED_BREAKS[0]}",
                   "--format", "html").exit_code == 0
        refused = cli(env, "subscribers", "add", "eve@example.org\r\nBcc: victim@example.org")
        assert refused.exit_code != 0 and "Traceback" not in refused.output
        csv = tmp_path / "people.csv"
        csv.write_text("email,name,format\n"
                       f"bo@example.org,\"Bo {ENCODED_BREAKS[2]}\",html\n"
                       "\"cy@example.org\nBcc: victim@example.org\",Cy,html\n"
                       "\"dee@example.org, victim@example.org\",Dee,html\n"
                       "fay@example.org,\"Fay\r\nBcc: victim@example.org\",html\n", "utf-8")
        imported = cli(env, "subscribers", "import", str(csv))
        assert imported.exit_code == 0 and "1 added" in imported.stdout
        assert len([line for line in imported.stderr.splitlines() if line.startswith("warning: ")]) == 3
        sent = cli(env, "send", "--date", EDITION.isoformat())
        assert sent.exit_code == 0, sent.output
    assert sorted(handler.per_recipient()) == ["ana@example.org", "bo@example.org"]
    assert all(len(item.rcpt_tos) == 1 for item in handler.received)
    for item in handler.received:
        lines = header_lines(item.data)
        assert not any(re.match(rb"(?i)(bcc|x-injected|reply-to: attacker)", line) for line in lines)
        assert all(b"\n" not in line and b"\r" not in line for line in lines)


def echoing_authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """A server that refuses the login and quotes the credentials back, plain and encoded."""
    password = auth_data.password.decode() if isinstance(auth_data, LoginPassword) else "?"
    blob = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad credentials {password} {blob}")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_secrets_stay_out_of_output_ledger_json_and_outbox_even_when_the_server_echoes_them(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from smtp_server import free_port

    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=echoing_authenticator,
                            auth_required=True, auth_require_tls=False, ready_timeout=10)
    controller.start()
    try:
        env = delivery_env(tmp_path / "data", tmp_path / "out", port, BRIEFING_SMTP_USER=USER,
                           BRIEFING_SMTP_PASSWORD=PASSWORD)
        save_briefing(tiny_briefing(), archive_path(tmp_path / "out", EDITION))
        assert cli(env, "subscribers", "add", "ana@example.org", "--format", "html").exit_code == 0
        outputs = [cli(env, "send", "--date", EDITION.isoformat(), "-vv"),
                   cli(env, "send", "--date", EDITION.isoformat(), "--dry-run", "-v"),
                   cli(env, "deliveries", "--date", EDITION.isoformat(), "--json"),
                   cli(env, "deliveries", "--date", EDITION.isoformat()),
                   cli(env, "subscribers", "list", "--json"),
                   cli({**env, "BRIEFING_SMTP_PORT": "not-a-port"}, "send", "--date", EDITION.isoformat())]
    finally:
        controller.stop()
    assert outputs[0].exit_code == 5 and "login refused" in outputs[0].stderr
    assert outputs[-1].exit_code == 2
    texts = [o.output for o in outputs]
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(), base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode(),
             SECRET]
    for form in forms:
        assert all(form not in text for text in texts), form
        assert form.encode() not in stored, form
    assert json.loads(outputs[2].stdout.splitlines()[0])["state"] == "queued"


def test_secret_values_never_print_themselves() -> None:
    secret = Secret(PASSWORD)
    for shown in (str(secret), repr(secret), f"{secret}", "%s" % secret, format(secret), repr([secret]),
                  repr(replace(MailConfig(), secret=secret))):
        assert PASSWORD not in shown, shown
