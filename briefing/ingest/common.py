"""What every reader shares: decoding untrusted bytes, dates, ids and article assembly."""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from urllib.parse import urlsplit

from charset_normalizer import from_bytes

from ..errors import InputError
from ..models import Article

#: Larger inputs are refused: a briefing article is a few kB, and pysbd is slow on huge text.
MAX_INPUT_BYTES = 2_000_000
PREFERRED_SINGLE_BYTE = "cp1252"
#: Byte-order marks of the wide Unicode encodings (UTF-32 first: its LE mark starts like UTF-16's).
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BLANK_LINES = re.compile(r"\n\s*\n")
#: Characters no output can carry safely: C0/C1 controls (terminal escapes, NUL) but tab and
#: newline, and lone surrogates (JSON can spell them; UTF-8 cannot encode them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def decode(data: bytes, origin: str) -> str:
    """Text from untrusted bytes: UTF-8 when valid, otherwise the detected encoding;
    binary data (NUL bytes, undetectable) is refused rather than garbled."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{origin}: too large (more than {MAX_INPUT_BYTES:,} bytes)")
    wide = next((encoding for bom, encoding in WIDE_BOMS if data.startswith(bom)), None)
    if wide:
        try:
            return normalize_newlines(data.decode(wide))
        except UnicodeDecodeError:
            raise InputError(f"{origin}: not valid {wide.upper()} despite its byte-order mark") from None
    if b"\x00" in data:
        raise InputError(f"{origin}: binary data (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode(detect_encoding(data, origin))
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def printable(text: str) -> str:
    """Text every later stage can encode and print: lone surrogates become U+FFFD and
    control characters go (a terminal escape in a title must not reach a terminal)."""
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", text))


def detect_encoding(data: bytes, origin: str) -> str:
    """The most plausible encoding; among equally plausible single-byte ones, Windows-1252
    (a superset of Latin-1), since that is what most non-UTF-8 news in Latin script uses."""
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise InputError(f"{origin}: cannot detect the text encoding")
    if any(m.chaos <= best.chaos and PREFERRED_SINGLE_BYTE in m.could_be_from_charset for m in matches):
        return PREFERRED_SINGLE_BYTE
    return best.encoding


def parse_published(value: object, origin: str) -> datetime | None:
    """An aware datetime from ISO 8601; a date without a zone is taken as UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{origin}: 'published' is not an ISO 8601 date: {str(value)[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Paragraphs are separated by blank lines; lines inside one are joined."""
    return tuple(
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in _BLANK_LINES.split(text)
        if block.strip()
    )


def content_id(title: str, paragraphs: Iterable[str]) -> str:
    """A stable id from the content itself, so re-reading the same article gives the same id."""
    digest = hashlib.sha256("\n".join([title, *paragraphs]).encode("utf-8")).hexdigest()
    return digest[:16]


def make_article(
    origin: str,
    paragraphs: tuple[str, ...],
    *,
    title: str = "",
    source: str = "",
    url: str | None = None,
    published: object = None,
    article_id: str | None = None,
) -> Article:
    """The one place where any reader's fields become an Article, with the same checks;
    every text field is made printable here, whatever reader or feed it came from."""
    paragraphs = tuple(p for p in map(printable, paragraphs) if p.strip())
    if not paragraphs:
        raise InputError(f"{origin}: no article text")
    title = " ".join(printable(title).split()) or _title_from(paragraphs[0])
    url = _parsable_url(printable(url)) if url else None
    return Article(
        id=printable(str(article_id)) if article_id else content_id(title, paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=" ".join(printable(source).split()) or _host(url),
        url=url,
        published=parse_published(published, origin),
        origin=printable(origin),
    )


def _parsable_url(url: str) -> str | None:
    """The link, unless urllib cannot parse it (``http://[bad``): every later stage
    (outlet from the host, link in the rendered edition) would fail on it with a ValueError."""
    try:
        urlsplit(url)
    except ValueError:
        return None
    return url


def _host(url: str | None) -> str:
    """An outlet name for articles that do not give one: the link's host."""
    return (urlsplit(url).hostname or "").removeprefix("www.") if url else ""


def _title_from(first_paragraph: str) -> str:
    words = first_paragraph.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
