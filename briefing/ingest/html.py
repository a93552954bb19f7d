"""HTML article pages, reduced to their main text by trafilatura."""

from __future__ import annotations

import json
import re

import lxml.html

from ..errors import InputError
from ..models import Article
from .common import make_article, parse_published

_BYLINE = re.compile(r"^(by|from)\s+[\w .,'-]{2,80}$", re.I)
#: Where pages state their publish time exactly; htmldate prefers other clues and can keep only the day.
PUBLISHED_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time' or "
    "@property='og:published_time' or @itemprop='datePublished' or @name='pubdate']/@content"
    " | //time[@itemprop='datePublished']/@datetime"
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*("[^"]{8,40}")')
#: Full timestamps, not just the day: the edition window needs the hour.
DATE_PARAMS = {"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def read_html(text: str, origin: str, url: str | None = None) -> list[Article]:
    """Main text without menus, footers and banners; title, outlet, date and canonical link from metadata."""
    try:
        import trafilatura  # heavy; only pages need it

        tree = lxml.html.fromstring(_XML_DECLARATION.sub("", text, count=1))  # lxml refuses it in a str
        published = stated_publish_time(tree)
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            date_extraction_params=DATE_PARAMS,
        )
    except Exception as exc:  # noqa: BLE001 - third-party parsers on hostile markup fail in any way
        # (htmldate asserts on an <svg> root, for one); the page is refused, the batch goes on
        raise InputError(f"{origin}: the HTML page cannot be parsed ({type(exc).__name__} in the extractor)") from None
    if doc is None or not (doc.text or "").strip():
        raise InputError(f"{origin}: no article text found in the HTML page")
    title = doc.title or ""
    paragraphs = tuple(line.strip() for line in doc.text.split("\n") if line.strip())
    paragraphs = tuple(p for i, p in enumerate(paragraphs) if not _is_furniture(p, i, title))
    return [
        make_article(
            origin,
            paragraphs,
            title=title,
            source=doc.sitename or doc.hostname or "",
            url=doc.url or url,
            published=published or _fix_zone(doc.date),
        )
    ]


def stated_publish_time(tree: lxml.html.HtmlElement) -> str | None:
    """The publish time the page states in its metadata (meta tags, microdata, JSON-LD), if any."""
    candidates = [str(v) for v in tree.xpath(PUBLISHED_XPATH)]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        candidates += [date for m in _JSON_LD_DATE.findall(script) if (date := _json_string(m))]
    for value in candidates:
        try:
            parse_published(value, "")
        except InputError:
            continue
        return value
    return None


def _json_string(quoted: str) -> str | None:
    """A JSON-LD string value; a broken escape (``"2026-11-24\\q"``) is no date rather than a
    reason to refuse the whole page."""
    try:
        return json.loads(quoted)
    except ValueError:
        return None


def _is_furniture(paragraph: str, position: int, title: str) -> bool:
    """The repeated headline and the byline at the top are not article text."""
    return position < 3 and (paragraph == title or bool(_BYLINE.match(paragraph)))


def _fix_zone(date: str | None) -> str | None:
    """htmldate prints +0000; ISO 8601 parsing in Python 3.11 wants +00:00."""
    if date and re.search(r"[+-]\d{4}$", date):
        return f"{date[:-2]}:{date[-2:]}"
    return date
