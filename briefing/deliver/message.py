"""Build the e-mail for one subscriber from a rendering of their variant of the edition.

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain   (render_text + unsubscribe footer)
    │   └── text/html    (render_html + unsubscribe footer)
    └── application/pdf  briefing-YYYY-MM-DD.pdf   (format "pdf" and small enough)

Subscribers of format "html", and everyone when the PDF is over the size limit, get just
the multipart/alternative. Header values come from three places, each made safe its own
way: the configuration (checked once, a ConfigError on any line break), the subscriber
store (checked on the way in) and article text in the subject (folded onto one line).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from ..config import MailConfig
from ..errors import ConfigError
from ..models import Briefing
from .store import Subscriber, breaks_headers

SUBJECT_LIMIT = 150
#: Headers are written with lines of up to 998 characters (RFC 5322's limit): the default
#: 78 makes Python turn a long unbreakable URL into RFC 2047 encoded-words, which breaks
#: List-Unsubscribe. Bodies are encoded before the switch, with the usual 76-column lines.
HEADER_POLICY = SMTP.clone(max_line_length=998)
DRY_RUN_HEADER = "X-Briefing-Dry-Run"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_HEADERS = HeaderRegistry()


@dataclass(frozen=True)
class Rendering:
    """One variant of the edition (a section subset in a format), rendered once and shared
    by every subscriber who asked for it."""

    subject: str
    text: str
    html: str
    pdf: bytes | None  # None: nothing to attach (format "html", or over the size limit)
    notice: str | None = None  # why the PDF is not attached, shown at the top of both bodies


@dataclass(frozen=True)
class ListHeaders:
    """The list's own header values from ``[mail]``, checked once per run."""

    sender: Address
    reply_to: str | None
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None

    @classmethod
    def from_config(cls, mail: MailConfig) -> ListHeaders:
        for key in ("sender", "reply_to", "list_id", "unsubscribe_url", "unsubscribe_mailto"):
            value = getattr(mail, key)
            if value is not None and breaks_headers(value):
                raise ConfigError(f"mail.{key} contains a line break or control character")
        if "{token}" not in mail.unsubscribe_url:
            raise ConfigError(f"mail.unsubscribe_url {mail.unsubscribe_url!r} needs a {{token}} placeholder")
        name, address = _one_address(mail.sender, "sender")
        return cls(
            sender=Address(display_name=one_line(name), addr_spec=_config_address(address, "sender")),
            reply_to=_config_address(mail.reply_to, "reply_to") if mail.reply_to else None,
            list_id=mail.list_id,
            unsubscribe_url=mail.unsubscribe_url,
            unsubscribe_mailto=_config_address(mail.unsubscribe_mailto, "unsubscribe_mailto")
            if mail.unsubscribe_mailto else None,
        )

    @property
    def domain(self) -> str:
        return self.sender.domain

    def unsubscribe_link(self, token: str) -> str:
        return self.unsubscribe_url.replace("{token}", quote(token, safe=""))

    def list_unsubscribe(self, token: str) -> str:
        """RFC 2369 + RFC 8058: the one-click https link first, then mailto for older clients."""
        links = [f"<{self.unsubscribe_link(token)}>"]
        if self.unsubscribe_mailto:
            links.append(f"<mailto:{self.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}>")
        return ", ".join(links)


def _one_address(value: str, key: str) -> tuple[str, str]:
    """The display name and address of ``Name <local@domain>`` or ``local@domain``; anything
    else is refused, since ``parseaddr`` quietly keeps the first of ``a@x.org, evil@y.org``."""
    header = _HEADERS("From", value)
    if len(header.addresses) != 1 or header.defects:
        found = f"{len(header.addresses)} addresses" if len(header.addresses) != 1 else "not a well-formed address"
        raise ConfigError(f"mail.{key}: {value!r} is {found}; give one, as Name <local@domain> or local@domain")
    [address] = header.addresses
    return address.display_name, address.addr_spec


def _config_address(value: str, key: str) -> str:
    """The list's own addresses only need to be well-formed and header-safe: unlike a
    subscriber's, they may be local (``briefing@localhost``) on a private mail system."""
    local, at, domain = value.strip().rpartition("@")
    if not (at and local and domain) or not value.isascii() or any(ch.isspace() or ch in "<>,;\"" for ch in value):
        raise ConfigError(f"mail.{key}: {value!r} is not a plain e-mail address (local@domain)")
    return value.strip()


def new_message_id(edition: date, subscriber_id: int, domain: str) -> str:
    """Unique per (edition, subscriber); made once when the ledger row is queued and reused
    by every attempt, so a resend carries the same Message-ID as the first try."""
    return make_msgid(idstring=f"briefing.{edition.isoformat()}.{subscriber_id}", domain=domain)


def attachment_name(edition: date) -> str:
    return f"briefing-{edition.isoformat()}.pdf"


def subject_line(briefing: Briefing) -> str:
    """Title, date and the top headline (the first key sentence of the first section that
    has one), on one line: article text is untrusted and must not break the header."""
    day = briefing.edition
    head = f"{one_line(briefing.title)}, {day.day} {day:%b %Y}"
    top = next((s.sentences[0].text for s in briefing.sections if s.sentences), None)
    if top is None:
        return head
    room = max(20, SUBJECT_LIMIT - len(head) - 2)
    return f"{head}: {shortened(one_line(top), room)}"


def one_line(text: str) -> str:
    """Every run of whitespace, line breaks and control characters becomes one space, and
    ``=?``, which opens an RFC 2047 encoded-word, becomes ``= ?``: the email package decodes
    encoded-words in the values it is given, and before Python 3.11.10 and 3.12.5
    (CVE-2024-6923) wrote a decoded line break out raw, adding headers of the text's choosing."""
    cleaned = "".join(" " if (ch.isspace() or breaks_headers(ch)) else ch for ch in text)
    return _SPACES.sub(" ", cleaned).strip().replace("=?", "= ?")


def shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def build_message(
    rendering: Rendering,
    subscriber: Subscriber,
    headers: ListHeaders,
    *,
    edition: date,
    token: str,
    message_id: str,
    now: datetime,
    dry_run_key: bool = False,
) -> EmailMessage:
    """The complete message; ``dry_run_key`` marks one whose unsubscribe links were signed
    with a throwaway key and cannot work."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = rendering.subject
    msg["From"] = headers.sender
    msg["To"] = Address(display_name=one_line(subscriber.name or ""), addr_spec=subscriber.email)
    if headers.reply_to:
        msg["Reply-To"] = headers.reply_to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["List-Id"] = headers.list_id
    msg["List-Unsubscribe"] = headers.list_unsubscribe(token)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if dry_run_key:
        msg[DRY_RUN_HEADER] = "unsubscribe links signed with a throwaway key; they do not work"
    link = headers.unsubscribe_link(token)
    # quoted-printable keeps both bodies readable in the raw message (and to spam filters)
    msg.set_content(text_body(rendering, subscriber.email, link), cte="quoted-printable")
    msg.add_alternative(html_body(rendering, subscriber.email, link), subtype="html", cte="quoted-printable")
    if rendering.pdf is not None:
        msg.add_attachment(rendering.pdf, maintype="application", subtype="pdf", filename=attachment_name(edition))
    msg.policy = HEADER_POLICY
    return msg


def text_body(rendering: Rendering, email: str, unsubscribe: str) -> str:
    notice = f"{rendering.notice}\n\n" if rendering.notice else ""
    footer = f"\n-- \nSent to {email}. Unsubscribe: {unsubscribe}\n"
    return f"{notice}{rendering.text.rstrip()}\n{footer}"


def html_body(rendering: Rendering, email: str, unsubscribe: str) -> str:
    """The rendered HTML with the notice after ``<body>`` and the footer before ``</body>``."""
    document = rendering.html
    if rendering.notice:
        notice = (f'<p style="margin:0;padding:12px 16px;background:#fff4d6;font-family:sans-serif;">'
                  f"{html.escape(rendering.notice)}</p>")
        opening = _BODY_OPEN.search(document)
        at = opening.end() if opening else 0
        document = document[:at] + notice + document[at:]
    footer = (f'<p style="margin:24px 0;font-family:sans-serif;font-size:12px;color:#5a6573;text-align:center;">'
              f"Sent to {html.escape(email)}. "
              f'<a href="{html.escape(unsubscribe, quote=True)}">Unsubscribe</a></p>')
    closing = list(_BODY_CLOSE.finditer(document))
    at = closing[-1].start() if closing else len(document)
    return document[:at] + footer + document[at:]
