"""SMTP: one reused connection per sending thread, TLS with certificate checks, and the
sorting of every failure into temporary (retry later), permanent (the address failed)
or fatal (nothing can be sent: TLS or login refused), with secrets scrubbed from the text.
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
from email.message import EmailMessage

from ..config import SmtpConfig
from ..errors import ConfigError, DeliveryError

SECURITY_MODES = ("none", "starttls", "ssl")
MAX_BACKOFF = 600.0


class SendFailure(Exception):
    """One message not accepted; ``permanent`` for a 5xx answer about the recipient or message."""

    def __init__(self, text: str, *, permanent: bool) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent


class SmtpUnusable(DeliveryError):
    """The server cannot be used at all (TLS, certificate or login refused): retrying each
    message would only repeat it, so the run stops and every unsent row stays pending."""


def check_smtp_config(config: SmtpConfig) -> None:
    """Refuse settings that cannot work or would leak the password, before anything is sent."""
    if config.security not in SECURITY_MODES:
        raise ConfigError(f"smtp.security must be one of {', '.join(SECURITY_MODES)}, not {config.security!r}")
    if config.concurrency < 1:
        raise ConfigError("smtp.concurrency must be at least 1")
    if config.rate < 0:
        raise ConfigError("smtp.rate must be 0 (unlimited) or a positive number of messages per second")
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

    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        conn = self._conn or self._open()
        try:
            conn.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(recipient, (450, b"recipient refused"))
            raise self._failure(code, reply, permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            # The server refused our own address: not this subscriber's fault, so never a bounce.
            raise self._failure(exc.smtp_code, exc.smtp_error, permanent=False) from None
        except smtplib.SMTPResponseException as exc:
            raise self._failure(exc.smtp_code, exc.smtp_error, permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendFailure(self._clean(f"connection to {self._where} lost: {exc}"), permanent=False) from None
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

    def _failure(self, code: int, reply: bytes | str, *, permanent: bool) -> SendFailure:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return SendFailure(self._clean(f"{code} {' '.join(text.split())}"), permanent=permanent)

    def _clean(self, text: str) -> str:
        return scrubbed(text, self.secrets)

    def _open(self) -> smtplib.SMTP:
        """Connect, upgrade to TLS and log in; temporary trouble is a SendFailure (retried),
        refused TLS or login is SmtpUnusable."""
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
            raise SendFailure(self._clean(f"cannot connect to {self._where}: {_describe(exc)}"), permanent=False) from None
        self.connections_opened += 1
        self._conn = conn
        return conn


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
