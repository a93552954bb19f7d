"""SMTP: one reused connection per sending thread, TLS with certificate checks, and the
sorting of every failure by what to do next (see ``SendFailure.kind``), with secrets
scrubbed from the text.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable

from ..config import SmtpConfig
from ..errors import ConfigError, DeliveryError

SECURITY_MODES = ("none", "starttls", "ssl")
MAX_BACKOFF = 600.0

#: The kinds of SendFailure, by what the sender does next.
TEMPORARY = "temporary"  # a 4xx about this recipient or message: retry, then leave it pending
PERMANENT = "permanent"  # a 5xx about this recipient or message: failed, counts towards bounced
SERVER = "server"  # the server, not this recipient: cannot connect, connection lost, 421, our MAIL FROM refused
TOO_BIG = "too_big"  # over the server's size limit: send it again without the PDF
#: Enhanced status codes (RFC 3463) that say the message is too big, whatever the basic code.
TOO_BIG_STATUSES = ("5.2.3", "5.3.4")


class SendFailure(Exception):
    """One message not accepted; ``kind`` is one of the kinds above. SERVER failures say
    nothing about the subscriber, so they never count towards a bounce; many in a row stop the run."""

    def __init__(self, text: str, *, kind: str) -> None:
        super().__init__(text)
        self.text = text
        self.kind = kind


class SmtpUnusable(DeliveryError):
    """The server cannot be used at all (TLS, certificate or login refused, or down for
    ``smtp.give_up_after`` tries in a row): retrying each message would only repeat it, so
    the run stops and every unsent row stays pending."""


def check_smtp_config(config: SmtpConfig) -> None:
    """Refuse settings that cannot work or would leak the password, before anything is sent."""
    if config.security not in SECURITY_MODES:
        raise ConfigError(f"smtp.security must be one of {', '.join(SECURITY_MODES)}, not {config.security!r}")
    if config.concurrency < 1:
        raise ConfigError("smtp.concurrency must be at least 1")
    if config.rate < 0:
        raise ConfigError("smtp.rate must be 0 (unlimited) or a positive number of messages per second")
    if config.give_up_after < 1:
        raise ConfigError(f"smtp.give_up_after must be at least 1, not {config.give_up_after}")
    if config.user and config.password is None:
        raise ConfigError("smtp.user is set but there is no password: set BRIEFING_SMTP_PASSWORD or smtp.password_file")
    if config.password is not None and not config.password.reveal().isascii():
        raise ConfigError("smtp.password has non-ASCII characters, which Python's smtplib cannot send in AUTH")
    if config.user and config.security == "none" and not _is_loopback(config.host):
        raise ConfigError(
            f"smtp.security is 'none': the password would cross the network to {config.host} in clear text; "
            "use starttls or ssl"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_forms(config: SmtpConfig) -> tuple[str, ...]:
    """The password as it could appear in a server's reply or an exception: plain, and
    base64-encoded as AUTH LOGIN and AUTH PLAIN send it."""
    if config.password is None or not config.password.reveal():
        return ()
    password = config.password.reveal()
    plain = f"\0{config.user or ''}\0{password}"
    return (password, _b64(password), _b64(plain))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def scrubbed(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class Mailer:
    """One SMTP connection, opened on the first message and reused for the next ones; a
    dropped connection is reopened on the next message."""

    def __init__(self, config: SmtpConfig, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl_context
        self.secrets = secret_forms(config)
        self.connections_opened = 0
        self._conn: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        """Connect, upgrade to TLS and log in, unless the connection is open already; a
        SendFailure (SERVER) or SmtpUnusable here means no message was tried."""
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    @property
    def size_limit(self) -> int | None:
        """The largest message the open connection's server accepts (its EHLO SIZE), None when it names none."""
        value = self._conn.esmtp_features.get("size", "") if self._conn is not None else ""
        return int(value) if value.isdigit() and int(value) > 0 else None

    def send(self, data: bytes, sender: str, recipient: str) -> None:
        """Send one message, already flattened (the caller measured it against ``size_limit``)."""
        conn = self.open()
        try:
            conn.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(recipient, (450, b"recipient refused"))
            raise self._failure(code, reply, "rcpt") from None
        except smtplib.SMTPSenderRefused as exc:
            raise self._failure(exc.smtp_code, exc.smtp_error, "mail") from None
        except smtplib.SMTPResponseException as exc:
            raise self._failure(exc.smtp_code, exc.smtp_error, "data") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendFailure(self._clean(f"connection to {self._where} lost: {exc}"), kind=SERVER) from None
        finally:
            if self._conn is not None and self._conn.sock is None:  # smtplib closed it (421)
                self._conn = None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _tls(self) -> ssl.SSLContext:
        """The system's trust store with hostname checks, made once: loading it costs ~20 ms."""
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def _failure(self, code: int, reply: bytes | str, stage: str) -> SendFailure:
        text = " ".join((reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).split())
        return SendFailure(self._clean(f"{code} {text}"), kind=reply_kind(code, text, stage))

    def _clean(self, text: str) -> str:
        return scrubbed(text, self.secrets)

    def _connect(self) -> smtplib.SMTP:
        """Temporary trouble is a SendFailure (SERVER, retried), refused TLS or login is SmtpUnusable."""
        config = self.config
        conn: smtplib.SMTP | None = None
        try:
            if config.security == "ssl":
                conn = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self._tls())
            else:
                conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            conn.ehlo()
            if config.security == "starttls":
                conn.starttls(context=self._tls())
                conn.ehlo()
            if config.user:
                conn.login(config.user, config.password.reveal() if config.password else "")
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError, ssl.SSLError,
                ssl.CertificateError) as exc:
            _discard(conn)
            raise SmtpUnusable(self._clean(f"cannot use the SMTP server {self._where}: {_describe(exc)}")) from None
        except (smtplib.SMTPException, OSError) as exc:
            _discard(conn)
            raise SendFailure(self._clean(f"cannot connect to {self._where}: {_describe(exc)}"), kind=SERVER) from None
        self.connections_opened += 1
        return conn


def reply_kind(code: int, text: str, stage: str) -> str:
    """What a refusal at ``stage`` ("mail", "rcpt" or "data") means. A refused MAIL FROM is
    about our own address, never the subscriber's fault; 552 there or at DATA is "message
    too big" (at RCPT it is the mailbox's quota, which is the recipient's)."""
    if code == 421:
        return SERVER
    if stage != "rcpt" and (code == 552 or (code >= 500 and text.startswith(TOO_BIG_STATUSES))):
        return TOO_BIG
    if stage == "mail":
        return SERVER
    return PERMANENT if code >= 500 else TEMPORARY


def _discard(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the server does not offer it ({exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(reply.split())}"
    return str(exc) or type(exc).__name__


def backoff_delay(base: float, attempt: int, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (1, 2, …): ``base`` doubling each time, times
    a random factor in [0.5, 1.5) so that many senders greylisted together do not return together."""
    return min(MAX_BACKOFF, base * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.5)


class Pacer:
    """At most ``rate`` messages per second across every sending thread (0 = no limit)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
