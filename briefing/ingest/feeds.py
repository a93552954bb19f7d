"""Sources: RSS 0.9x/1.0/2.0 and Atom feeds, single article pages, and local feed files.

A feed item links to an article page; the page is fetched and its main text taken with
the same reader as HTML files (trafilatura). When the page cannot be had, the feed's own
content or summary stands in, and a warning says so. A local feed file is read as it is:
its links are not fetched, so a saved feed works offline.

Every source fails alone: its error becomes one line naming the source and the cause,
and a row of the health report; the other sources carry on. Feeds come from strangers,
so they are parsed from memory only (feedparser never opens a path or URL it finds),
refused when they declare XML entities (billion laughs, external entities), and bounded
in size by the fetcher or, for files, by ``http.max_bytes``.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
import feedparser
import lxml.html
from defusedxml import DefusedXmlException
from lxml.etree import ParserError

from ..config import Config, SourceDef
from ..errors import InputError
from ..fetch import Cache, FetchError, Fetcher, Response, host_port
from ..health import MAX_LISTED, SourceRecords, grouped_errors
from ..models import Article, SourceHealth, Warn, ignore
from ..window import FirstSeen, Window, in_window
from .common import decode, make_article, split_paragraphs
from .html import read_html

__all__ = ["Document", "Gathered", "Item", "cli_source", "collect_sources", "parse_feed", "read_document"]

#: Items beyond this many in one feed are ignored: bounded work whatever a feed holds.
MAX_ITEMS = 500
#: Malformed feeds larger than this are refused: tolerant parsing of them is slow (see well_formed).
TOLERANT_LIMIT = 1_000_000
FEED_ROOTS = {b"rss", b"feed", b"rdf"}
HTML_TYPES = ("text/html", "application/xhtml+xml")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PROLOG = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)", re.S | re.I)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "section", "article")


@dataclass(frozen=True)
class Document:
    """Bytes of a source or page, from the network or a file, with where they came from."""

    origin: str  # for messages: the address asked for, or the file path
    url: str | None  # the final address (after redirects); None for local files
    content_type: str
    content: bytes

    @classmethod
    def from_response(cls, response: Response) -> Document:
        return cls(response.url, response.final_url, response.content_type, response.content)


@dataclass(frozen=True)
class Item:
    """One feed entry (or the single page of a page source), before its page is read."""

    key: str  # the stable identity used for "first seen" records: its link, else its id
    link: str | None
    title: str
    published: datetime | None
    paragraphs: tuple[str, ...]  # the feed's own text (full content, else summary); a page's text


@dataclass(frozen=True)
class Listing:
    outlet: str
    items: tuple[Item, ...]
    links_to_pages: bool = False  # a feed read over HTTP: its items' pages are fetched


@dataclass(frozen=True)
class Gathered:
    """What the sources gave: articles inside the window, a health row per source, and
    which source each article came from (to count ``used`` once the briefing is made)."""

    articles: tuple[Article, ...] = ()
    health: tuple[SourceHealth, ...] = ()
    source_of: Mapping[str, str] = field(default_factory=dict)


def cli_source(spec: str) -> SourceDef:
    """A ``--source`` URL or path; its name is its address, its outlet the feed's own title."""
    return SourceDef(name=spec, url=spec)


def collect_sources(
    config: Config,
    extra: Sequence[SourceDef],
    window: Window,
    *,
    warn: Warn,
    fetcher: Fetcher | None = None,
    info: Warn = ignore,
) -> Gathered:
    """Articles of every enabled source (config ``[[sources]]`` and ``--source``) inside the window.

    A source's first errors are warnings; the rest (a feed whose pages all fail) go to ``info``."""
    sources = active_sources((*config.sources, *extra))
    if not sources:
        return Gathered()
    seen = FirstSeen.load(config.data_dir)
    records = SourceRecords.load(config.data_dir)
    trusted = frozenset(host_port(s.url) for s in sources if is_url(s.url))
    with _opened(config, fetcher) as client:
        documents = load_documents(sources, client, trusted, config.http.max_bytes)
        runs = [SourceRun(source, warn, info) for source in sources]
        for run, document in zip(runs, documents):
            run.list_items(document, window, seen, config.window.undated)
        claim_once(runs)
        wanted = [item.link for run in runs if run.fetches_pages for item in run.picked if item.link]
        pages = dict(zip(wanted, client.get_many(wanted, trusted)))
    for run in runs:
        run.read_articles(pages, window)
    health = tuple(run.health(records, window.end, config.http.stale_days) for run in runs)
    try:
        seen.forget_old(window.end)
        records.save()
    except OSError as exc:  # the records are a convenience (window.py): losing them never stops a run
        warn(f"{config.data_dir}: cannot record what the sources showed ({exc.strerror or exc}); "
             "undated items and stale sources are judged afresh next time")
    return Gathered(
        articles=tuple(a for run in runs for a in run.articles),
        health=health,
        source_of={a.id: run.name for run in runs for a in run.articles},
    )


def active_sources(sources: Sequence[SourceDef]) -> list[SourceDef]:
    """Enabled sources, each address once (a ``--source`` repeating a configured one adds nothing)."""
    unique: dict[str, SourceDef] = {}
    for source in sources:
        if source.enabled:
            unique.setdefault(source.url.strip(), source)
    return list(unique.values())


def is_url(spec: str) -> bool:
    try:
        scheme = urlsplit(spec).scheme
    except ValueError:  # "http://[bad" is still meant as an address; fetching it says what is wrong
        scheme = spec.strip().partition(":")[0]
    return scheme.lower() in ("http", "https")


def load_documents(
    sources: Sequence[SourceDef], fetcher: Fetcher, trusted: frozenset[tuple[str, int]], max_bytes: int
) -> list[Document | InputError]:
    """Each source's bytes: remote ones fetched together, local files read with the same size cap."""
    remote = [s.url for s in sources if is_url(s.url)]
    fetched = dict(zip(remote, fetcher.get_many(remote, trusted)))
    documents: list[Document | InputError] = []
    for source in sources:
        if is_url(source.url):
            result = fetched[source.url]
            documents.append(result if isinstance(result, FetchError) else Document.from_response(result))
        else:
            try:
                documents.append(read_local(source.url, max_bytes))
            except InputError as exc:
                documents.append(exc)
    return documents


def read_local(spec: str, max_bytes: int) -> Document:
    scheme = urlsplit(spec).scheme
    if len(scheme) > 1:
        raise InputError(f"{spec}: refused: scheme {scheme!r}; a source is an http(s) address or a local file")
    path = Path(spec).expanduser()
    try:
        with path.open("rb") as handle:
            content = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{spec}: cannot read ({exc.strerror})") from None
    if len(content) > max_bytes:
        raise InputError(f"{spec}: too large: more than {max_bytes:,} bytes (limit http.max_bytes)")
    return Document(str(path), None, "", content)


def read_document(document: Document, fallback_outlet: str) -> Listing:
    """A feed's items, or a page read at once as a single item; anything else is refused."""
    kind = document_kind(document)
    if kind == "feed":
        return parse_feed(document, fallback_outlet)
    if kind == "html":
        page = read_html(decode(document.content, document.origin), document.origin, url=document.url)[0]
        item = Item(document.url or document.origin, page.url or document.url, page.title, page.published, page.paragraphs)
        return Listing(page.source or fallback_outlet, (item,))
    shown = document.content_type.split(";")[0] or "unknown"
    raise InputError(f"{document.origin}: neither a feed nor an HTML page (content type {shown})")


def document_kind(document: Document) -> str:
    """'feed', 'html' or '' from the content type, else from the first element's name."""
    content_type = document.content_type.split(";")[0].strip().lower()
    if any(word in content_type for word in ("rss", "atom", "rdf")):
        return "feed"
    head = _sniffable(document.content[:4096])
    match = _FIRST_TAG.match(head, _prolog_end(head)) if head.lstrip().startswith(b"<") else None
    name = match.group(2).lower() if match else b""
    if name in FEED_ROOTS:
        return "feed"
    if name == b"html" or content_type in HTML_TYPES:
        return "html"
    return ""


def parse_feed(document: Document, fallback_outlet: str = "") -> Listing:
    """Items of an RSS or Atom feed; a feed declaring entities is refused before parsing."""
    if not well_formed(document) and len(document.content) > TOLERANT_LIMIT:
        raise InputError(
            f"{document.origin}: not well-formed XML, and at {len(document.content):,} bytes too large "
            f"for tolerant parsing (limit {TOLERANT_LIMIT:,})"
        )
    headers = {"content-type": document.content_type or "application/xml"}
    if document.url:
        headers["content-location"] = document.url  # relative links resolve against the feed
    parsed = feedparser.parse(io.BytesIO(document.content), response_headers=headers)
    if parsed.bozo and not parsed.entries:
        cause = parsed.get("bozo_exception") or "no items"
        raise InputError(f"{document.origin}: not a readable feed ({cause})")
    items = tuple(
        item for item in (_item(entry, document) for entry in parsed.entries[:MAX_ITEMS]) if item is not None
    )
    outlet = " ".join(str(parsed.feed.get("title", "")).split()) or fallback_outlet
    return Listing(outlet, items, links_to_pages=document.url is not None)


def well_formed(document: Document) -> bool:
    """Whether the feed is well-formed XML; one declaring entities is refused outright.

    Entity declarations have no use in a news feed and are how XML bombs and external
    entity reads work. Malformed XML goes to feedparser's tolerant parser, which never
    expands declared entities but needs about 5 s per MB of hostile markup, hence the
    ``TOLERANT_LIMIT`` the caller applies.
    """
    try:
        defusedxml.ElementTree.fromstring(document.content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError(f"{document.origin}: refused: the feed declares XML entities (entity expansion risk)") from None
    except (ParseError, ValueError):
        return False
    return True


def html_paragraphs(markup: str) -> tuple[str, ...]:
    """Paragraphs of a feed's HTML content or summary (feedparser has already sanitized it)."""
    if "<" not in markup:
        return split_paragraphs(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ParserError, ValueError):
        return ()
    for element in root.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in root.iter(*_BLOCKS):
        element.text = "\n\n" + (element.text or "")
        element.tail = "\n\n" + (element.tail or "")
    return split_paragraphs(root.text_content())


class SourceRun:
    """One source through one run: its items, the pages read, its errors and counts."""

    def __init__(self, source: SourceDef, warn: Warn, info: Warn = ignore) -> None:
        self.source = source
        self.name = source.name
        self.warn = warn
        self.info = info
        self.outlet = ""
        self.fetches_pages = False
        self.seen = 0
        self.picked: list[Item] = []
        self.in_window = 0
        self.had_new = False
        self.errors: list[tuple[str, str]] = []  # (address, cause)
        self.articles: list[Article] = []

    def fail(self, message: str, address: str) -> None:
        """Record one error; ``message`` is ``address: cause`` (or just a cause). The first few
        are warnings; the rest are info lines (``-v``) and grouped in the health line, so a feed
        whose 500 pages fail does not bury the run's other warnings under 500 of its own."""
        cause = message.removeprefix(f"{address}: ") if address else message
        if cause == message or address == self.name:  # the name already says where
            address = ""
        self.errors.append((address, cause))
        line = f"source {self.name}: {address}: {cause}" if address else f"source {self.name}: {cause}"
        if len(self.errors) == MAX_LISTED + 1:
            self.warn(f"source {self.name}: more errors; counted in its health line, each listed with -v")
        (self.warn if len(self.errors) <= MAX_LISTED else self.info)(line)

    def list_items(self, document: Document | InputError, window: Window, seen: FirstSeen, undated: str) -> None:
        """The items inside the window, newest first, at most the source's limit."""
        if isinstance(document, InputError):
            self.fail(str(document), self.source.url)
            return
        try:
            listing = read_document(document, _host(document.url or document.origin))
        except InputError as exc:
            self.fail(str(exc), document.origin)
            return
        self.outlet = self.name if self.name != self.source.url else listing.outlet
        self.fetches_pages = listing.links_to_pages
        self.seen = len(listing.items)
        self.had_new = any(seen.is_new(item.key) for item in listing.items)
        for item in listing.items:
            seen.see(item.key, window)
        inside = [item for item in listing.items if _item_in_window(item, window, seen, undated)]
        inside.sort(key=lambda item: item.published or window.start, reverse=True)
        self.in_window = len(inside)
        self.picked = inside[: self.source.limit] if self.source.limit is not None else inside

    def read_articles(self, pages: dict[str, Response | FetchError], window: Window) -> None:
        """An article per picked item: the page's main text, else the feed's own text."""
        for item in self.picked:
            try:
                article = self.article(item, pages)
            except InputError as exc:
                self.fail(str(exc), item.link or self.item_origin(item))
                continue
            if article.published is None or in_window(article.published, window):
                self.articles.append(article)
            else:  # undated in the feed, but the page gives a date outside the window
                self.in_window -= 1

    def article(self, item: Item, pages: dict[str, Response | FetchError]) -> Article:
        page = self.fetched_page(item, pages)
        origin = item.link or self.item_origin(item)
        if page is not None:
            try:
                read = read_html(decode(page.content, page.origin), page.origin, url=page.url)[0]
                return self.make(item, origin, read.paragraphs, read.title, read.published, read.source)
            except InputError as exc:
                if not item.paragraphs:
                    raise
                self.fail(f"{exc}; using the feed's summary instead", page.origin)
        if not item.paragraphs:
            raise InputError(f"{origin}: the feed item has no text")
        return self.make(item, origin, item.paragraphs, "", None, "")

    def fetched_page(self, item: Item, pages: dict[str, Response | FetchError]) -> Document | None:
        """The item's fetched HTML page; None when it was not fetched, or (saying why) when
        fetching failed or gave something else than HTML and the feed's text must stand in."""
        result = pages.get(item.link or "")
        if result is None:
            return None
        reason = str(result) if isinstance(result, FetchError) else _not_html(result)
        if not reason and isinstance(result, Response):
            return Document.from_response(result)
        if not item.paragraphs:
            raise InputError(reason)
        self.fail(f"{reason}; using the feed's summary instead", result.url)
        return None

    def item_origin(self, item: Item) -> str:
        """Where an item without a link came from, for messages."""
        return f"{self.source.url}#{item.title[:40]}"

    def make(self, item: Item, origin: str, paragraphs: tuple[str, ...], title: str,
             published: datetime | None, sitename: str) -> Article:
        article = make_article(
            origin,
            paragraphs,
            title=item.title or title,
            source=self.outlet or sitename or _host(item.link),
            url=item.link,
            published=item.published or published,
            article_id=hashlib.sha256(item.key.encode("utf-8")).hexdigest()[:16],
        )
        return replace(article, section_hint=self.source.section)

    def health(self, records: SourceRecords, now: datetime, stale_days: int) -> SourceHealth:
        stale = records.is_stale(self.source.url, self.had_new, now, stale_days)
        return SourceHealth(name=self.name, seen=self.seen, in_window=self.in_window,
                            errors=grouped_errors(self.errors), stale=stale, error_count=len(self.errors))


def claim_once(runs: Sequence[SourceRun]) -> None:
    """An item listed by two sources (a section feed and the front page) is read once, for the first."""
    claimed: set[str] = set()
    for run in runs:
        mine = [item for item in run.picked if item.key not in claimed]
        claimed.update(item.key for item in mine)
        run.picked = mine


def _item(entry: feedparser.FeedParserDict, document: Document) -> Item | None:
    link = str(entry.get("link") or "").strip() or None
    key = link or str(entry.get("id") or "").strip()
    title = " ".join(str(entry.get("title", "")).split())
    if not key and not title:
        return None
    content = entry.get("content") or []
    markup = str(content[0].get("value", "")) if content else str(entry.get("summary", ""))
    published = _utc_moment(entry.get("published_parsed")) or _utc_moment(entry.get("updated_parsed"))
    return Item(key or f"{document.origin}#{title}", link, title, published, html_paragraphs(markup))


def _utc_moment(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC time as an aware datetime. A date no datetime can hold (year 0, or
    9999-12-31 at -05:00, which is year 10000 in UTC) is no date: the item counts as undated
    instead of ending the build with a ValueError."""
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc)
    except (ValueError, OverflowError, TypeError):
        return None


def _item_in_window(item: Item, window: Window, seen: FirstSeen, undated: str) -> bool:
    if item.published is not None:
        return in_window(item.published, window)
    return undated == "keep" and seen.keeps_undated(item.key, window)


def _not_html(response: Response) -> str:
    content_type = response.content_type.split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES and not content_type.startswith("text/"):
        return f"{response.url}: content type {content_type} is not an HTML page"
    return ""


def _host(address: str | None) -> str:
    return host_port(address)[0].removeprefix("www.") if address and is_url(address) else ""


def _sniffable(head: bytes) -> bytes:
    """The start of a document as ASCII-compatible bytes, so UTF-16 feeds can be sniffed too."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(codec, "ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf")


def _prolog_end(head: bytes) -> int:
    """Where the first element starts, past the XML declaration, comments and DOCTYPE."""
    position = 0
    while match := _PROLOG.match(head, position):
        position = match.end()
    while position < len(head) and head[position:position + 1].isspace():
        position += 1
    return position


@contextmanager
def _opened(config: Config, fetcher: Fetcher | None) -> Iterator[Fetcher]:
    """The fetcher given, or one with the configured limits and a cache in the data folder."""
    if fetcher is not None:
        yield fetcher
        return
    cache = Cache(config.data_dir / "cache")
    with Fetcher(config.http, cache) as own:
        yield own
    cache.prune(config.http.cache_days)
