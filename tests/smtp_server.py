"""Helpers for the delivery tests: a real aiosmtpd server on 127.0.0.1 that records what it
accepts (and can greylist, refuse or misbehave on cue), a self-signed certificate made at
test time, small briefings built in code and a delivery configuration pointing at the server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from briefing.config import Config, load_config
from briefing.deliver.db import Database
from briefing.deliver.ledger import Delivery, Ledger
from briefing.deliver.store import SubscriberStore
from briefing.models import Briefing, KeySentence, SectionDigest, SourceRef

SECRET = "test-secret-0123456789abcdef"
PASSWORD = "pa55-Word-ZQX-7731"
USER = "briefing-bot"
SECTIONS = ("diplomacy", "military", "domestic")


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler. ``mail_reply(sender, options)`` may return a reply to refuse
    MAIL FROM (``options`` holds e.g. "SIZE=51234"); ``rcpt_reply(address)`` may return a
    reply such as "451 …" or "550 …" to refuse a recipient; ``on_data(envelope)`` may return
    a reply instead of accepting a message. Only accepted messages (250) are recorded;
    ``mail_seen``, ``rcpt_seen`` and ``data_seen`` count every command, refused or not."""

    mail_reply: Callable[[str, list[str]], str | None] | None = None
    rcpt_reply: Callable[[str], str | None] | None = None
    on_data: Callable[[Any], str | None] | None = None
    received: list[Received] = field(default_factory=list)
    mail_seen: int = 0
    rcpt_seen: Counter[str] = field(default_factory=Counter)
    data_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.lock:
            self.mail_seen += 1
        reply = self.mail_reply(address, options) if self.mail_reply else None
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            self.rcpt_seen[address] += 1
        reply = self.rcpt_reply(address) if self.rcpt_reply else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_seen += 1
        reply = self.on_data(envelope) if self.on_data else None
        if reply:
            return reply
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 accepted"

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(r for item in self.received for r in item.rcpt_tos)

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [item.message for item in self.received if address in item.rcpt_tos]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What the sender is given: default checks, trusting only this test certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(folder: Path, host: str = "127.0.0.1") -> Tls:
    """A certificate for 127.0.0.1 and localhost, made now, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "briefing test server")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Tls(cert_path, key_path)


def password_check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
        auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    handler: Recorder
    port: int
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


@contextmanager
def smtp_server(handler: Recorder | None = None, *, port: int | None = None, tls: Tls | None = None,
                implicit_tls: bool = False, auth: bool = False, data_size_limit: int | None = None) -> Iterator[SmtpServer]:
    """A running server on 127.0.0.1: plain, STARTTLS (``tls``) or implicit TLS
    (``implicit_tls``), with AUTH required when ``auth`` (over TLS when there is TLS, else
    over the plain loopback connection); ``data_size_limit`` is the SIZE it announces and
    enforces (0: none; default aiosmtpd's 32 MiB)."""
    handler = handler or Recorder()
    port = port or free_port()
    kwargs: dict[str, Any] = {} if data_size_limit is None else {"data_size_limit": data_size_limit}
    if tls and implicit_tls:
        kwargs["ssl_context"] = tls.server_context()
    elif tls:
        kwargs.update(tls_context=tls.server_context(), require_starttls=True)
    if auth:
        kwargs.update(authenticator=password_check, auth_required=True, auth_require_tls=tls is not None)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
    controller.start()
    try:
        yield SmtpServer(handler, port, controller)
    finally:
        controller.stop()


def delivery_env(data: Path, out: Path, port: int, **extra: str) -> dict[str, str]:
    """BRIEFING_* variables for a run against the test server, as a user would set them."""
    return {
        "BRIEFING_DATA_DIR": str(data),
        "BRIEFING_OUT_DIR": str(out),
        "BRIEFING_SMTP_HOST": "127.0.0.1",
        "BRIEFING_SMTP_PORT": str(port),
        "BRIEFING_SMTP_TIMEOUT": "5",
        "BRIEFING_FROM": "Daily Briefing <briefing@news.example.org>",
        "BRIEFING_MAIL_REPLY_TO": "desk@news.example.org",
        "BRIEFING_MAIL_LIST_ID": "Daily Briefing <daily.news.example.org>",
        "BRIEFING_MAIL_UNSUBSCRIBE_URL": "https://news.example.org/unsubscribe/{token}",
        "BRIEFING_MAIL_UNSUBSCRIBE_MAILTO": "unsubscribe@news.example.org",
        "BRIEFING_MAIL_SECRET": SECRET,
        "BRIEFING_MAIL_BACKOFF": "0.01",
        "BRIEFING_MAIL_RETRIES": "2",
        **extra,
    }


def delivery_config(tmp: Path, port: int, **extra: str) -> Config:
    return load_config(None, env=delivery_env(tmp / "data", tmp / "out", port, **extra))


def add(config: Config, *subscribers: tuple[str, dict[str, Any]]) -> None:
    """Subscribe each (address, SubscriberStore.add options)."""
    with Database(config.data_dir) as db:
        store = SubscriberStore(db, SECTIONS)
        for email, options in subscribers:
            store.add(email, **options)


def ledger_rows(config: Config, briefing: Briefing | None = None) -> list[Delivery]:
    with Database(config.data_dir) as db:
        return Ledger(db).deliveries((briefing or tiny_briefing()).edition)


def statuses(config: Config) -> dict[str, str]:
    with Database(config.data_dir) as db:
        return {s.email: s.status for s in SubscriberStore(db, SECTIONS).all()}


def tiny_briefing(edition: dt.date = dt.date(2026, 11, 25), *, top: str | None = None,
                  title: str = "Daily Briefing", section_titles: Mapping[str, str] | None = None) -> Briefing:
    """Three sections, one key sentence each, three sources: enough to tell sections apart."""
    titles = {"diplomacy": "Diplomacy", "military": "Military & Security", "domestic": "Domestic Affairs",
              **(section_titles or {})}
    texts = {
        "diplomacy": top or "Envoys from Velmora and Ostravia agreed to extend the ceasefire talks.",
        "military": "Artillery fire hit a fuel depot near the border town of Drevno overnight.",
        "domestic": "Parliament passed the winter budget after a night-long debate.",
    }
    sections = tuple(
        SectionDigest(sid, titles[sid], (KeySentence(texts[sid], (n,)),))
        for n, sid in enumerate(("diplomacy", "military", "domestic"), start=1)
    )
    sources = tuple(
        SourceRef(n, f"a{n}", f"Story {n}", f"Outlet {n}", f"https://outlet{n}.example.org/story", None)
        for n in (1, 2, 3)
    )
    return Briefing(title=title, edition=edition, generated_at=dt.datetime(2026, 11, 25, 6, tzinfo=dt.timezone.utc),
                    sections=sections, sources=sources, article_count=3, sentence_count=30)
