"""Hostile feeds and servers, all at once, through the real ``build``: entity bombs, external
entities, endless and slow answers, a gzip bomb, redirects to ``file:`` and to private
addresses, feed links to the intranet. One good feed rides along: the edition is made from
it, every bad source gets one warning line naming it and the reason, nothing leaks, and the
run ends in bounded time and memory (``timeout`` marks; memory measured with tracemalloc).
"""

from __future__ import annotations

import gzip
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from http_server import LocalServer

from briefing.cli import main
from briefing.config import HttpConfig
from briefing.fetch import FetchError, Fetcher
from briefing.ingest.feeds import Document, parse_feed

SECRET = "TOP-SECRET-VALUE"
IN_WINDOW = "Tue, 24 Nov 2026 14:05:00 +0000"
STORY = (
    "The foreign ministers of Velmora and Ostravia signed a ceasefire agreement in Valdor on Tuesday. "
    "Artillery shelling killed two soldiers near the border town of Drevno overnight, the army said."
)


def rss(title: str, *items: tuple[str, str, str], doctype: str = "") -> str:
    """An RSS 2.0 feed of (title, link, description) items dated inside the edition window."""
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{IN_WINDOW}</pubDate>"
                      f"<description>{text}</description></item>" for t, link, text in items)
    return f"<?xml version='1.0'?>{doctype}<rss version='2.0'><channel><title>{title}</title>{entries}</channel></rss>"


def billion_laughs() -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return rss("Laughs", ("Laugh", "http://laughs.example/1", "&lol9;"), doctype=f"<!DOCTYPE rss [{''.join(levels)}]>")


def external_entity(target: str, junk: bool = False) -> str:
    """An external entity; with ``junk``, a bad declaration comes first, so a strict XML
    parser stops before it ever sees the entity (the check must not depend on seeing it)."""
    doctype = f"<!DOCTYPE rss [{'<!JUNK>' if junk else ''}<!ENTITY xxe SYSTEM \"{target}\">]>"
    return rss("Entities", ("Entity", "http://entities.example/1", f"Leaked: &xxe; {STORY}"), doctype=doctype)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, "utf-8")
    return path


def build(tmp_path: Path, sources: list[str], timeout: float = 1.0, options: tuple[str, ...] = ()) -> tuple[int, str, list[str]]:
    """Exit code, the text edition (or ""), and the warning lines of one build (with ``-v``,
    the per-source info lines too)."""
    env = {"BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path / "data"), "BRIEFING_HTTP_TIMEOUT": str(timeout),
           "BRIEFING_HTTP_MAX_BYTES": "1000000"}
    args = ["build", "--date", "2026-11-25", "--out", str(tmp_path / "out"), "--formats", "txt", *options]
    for source in sources:
        args += ["--source", source]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    out = tmp_path / "out" / "briefing-2026-11-25.txt"
    warnings = [line for line in result.stderr.splitlines()
                if line.startswith("warning: ") or "-v" in options and line.startswith("source ") and " seen, " not in line]
    return result.exit_code, out.read_text("utf-8") if out.exists() else "", warnings


@pytest.mark.timeout(120)
def test_hostile_sources_each_get_one_warning_and_the_good_feed_makes_the_edition(
    server: LocalServer, tmp_path: Path, secret: Path
) -> None:
    story = server.add("/good/story.html", f"<html><head><title>Ceasefire | Herald</title></head><body><article>"
                                           f"<h1>Ceasefire</h1><p>{STORY}</p></article></body></html>")
    good = server.add("/good/feed.xml", rss("Herald", ("Ceasefire signed", story, "Summary.")),
                      content_type="application/rss+xml")
    hostile = {
        "laughs": (server.add("/laughs.xml", billion_laughs(), content_type="application/rss+xml"), "declares XML entities"),
        "xxe": (server.add("/xxe.xml", external_entity(secret.as_uri()), content_type="application/rss+xml"),
                "declares XML entities"),
        "xxe-http": (server.add("/xxe-http.xml", external_entity(server.url("/entity")), content_type="application/rss+xml"),
                     "declares XML entities"),
        "endless": (server.add("/endless.xml", content_type="application/rss+xml", endless=True), "too large"),
        "slow": (server.add("/slow.xml", rss("Slow"), delay=3.0), "timeout"),
        "drip": (server.add("/drip.xml", rss("Drip") + " " * 200, drip=0.02), "timeout"),
        "to-file": (server.add("/to-file.xml", status=302, headers={"Location": secret.as_uri()}), "refused: redirect to file"),
        "to-metadata": (server.add("/to-metadata.xml", status=302, headers={"Location": "http://169.254.169.254/latest/"}),
                        "non-public address"),
        "to-other-port": (server.add("/to-other-port.xml", status=307, headers={"Location": "http://127.0.0.1:9/admin"}),
                          "non-public address"),
        "not-a-feed": (server.add("/binary.xml", bytes(range(256)) * 10, content_type="application/octet-stream"),
                       "neither a feed nor an HTML page"),
    }
    code, text, warnings = build(tmp_path, [good, *(url for url, _ in hostile.values())])
    assert code == 0
    assert "Drevno" in text and "ceasefire" in text
    assert SECRET not in text and "lollollol" not in text
    assert server.hits["/entity"] == 0
    for name, (url, reason) in hostile.items():
        mine = [w for w in warnings if w.startswith(f"warning: source {url}: ")]
        assert len(mine) == 1 and reason in mine[0], (name, mine, warnings)
    assert len(warnings) == len(hostile)


@pytest.mark.timeout(120)
def test_feed_links_to_private_addresses_and_files_are_never_fetched(
    server: LocalServer, tmp_path: Path, secret: Path
) -> None:
    """The operator named the feed, not its links: links to the intranet, the cloud metadata
    service, another port of this host or a file are refused, and the feed's own text stands in."""
    targets = ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9/other-port",
               "http://[::1]/ipv6-loopback", secret.as_uri()]
    items = [(f"Item {i}", link, f"Summary {i}: {STORY}") for i, link in enumerate(targets)]
    feed = server.add("/intranet.xml", rss("Links", *items), content_type="application/rss+xml")
    code, text, lines = build(tmp_path, [feed], options=("-v",))
    assert code == 0 and SECRET not in text
    assert "Drevno" in text
    assert lines[3] == f"warning: source {feed}: more errors; counted in its health line, each listed with -v"
    refusals = lines[:3] + lines[4:]  # past the first three, a source's errors are info lines (-v)
    assert len(refusals) == len(targets)
    for link, refusal in zip(targets, refusals):
        assert refusal.removeprefix("warning: ").startswith(f"source {feed}: "), refusal
        assert link.split("//")[1].split("/")[0] in refusal and "using the feed's summary instead" in refusal, refusal
    assert all("non-public address" in w for w in refusals[:4]) and "scheme 'file'" in refusals[4]


@pytest.mark.parametrize("junk", [False, True])
def test_external_entities_are_never_resolved_even_behind_a_malformed_doctype(secret: Path, junk: bool) -> None:
    document = Document("feed.xml", None, "application/rss+xml", external_entity(secret.as_uri(), junk).encode("utf-8"))
    try:
        listing = parse_feed(document)
    except Exception as exc:  # noqa: BLE001 - refusing is as good as ignoring; only a leak fails
        assert "entities" in str(exc) or "not a readable feed" in str(exc)
        return
    assert SECRET not in repr(listing)


@pytest.mark.timeout(60)
def test_quadratic_entity_blowup_behind_a_malformed_doctype_stays_small() -> None:
    """One large entity referenced many times (no nesting, so no 'billion laughs' guard
    applies) behind a declaration that stops the strict pre-check."""
    doctype = f'<!DOCTYPE rss [<!JUNK><!ENTITY big "{"A" * 200_000}">]>'
    feed = rss("Blowup", ("Blowup", "http://blowup.example/1", "&big;" * 5000), doctype=doctype).encode("utf-8")
    tracemalloc.start()
    try:
        try:
            listing = parse_feed(Document("feed.xml", None, "application/rss+xml", feed))
            size = sum(len(p) for item in listing.items for p in item.paragraphs)
        except Exception:  # noqa: BLE001 - a refusal is fine; the point is the memory
            size = 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size < 10 * len(feed) and peak < 200 * len(feed), (size, peak)


def gzip_bomb(decoded: int) -> bytes:
    return gzip.compress(bytes(decoded), compresslevel=9)


@pytest.mark.timeout(60)
def test_gzip_bomb_stops_at_the_size_limit_without_inflating_it_all(server: LocalServer) -> None:
    bomb = gzip_bomb(256 << 20)
    url = server.add("/bomb.xml", bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"})
    fetcher = Fetcher(HttpConfig(timeout=10, max_bytes=1_000_000))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="too large"):
            fetcher.get(url, trusted=frozenset({("127.0.0.1", server.port)}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        fetcher.close()
    # httpx inflates each 64 kB network read whole (about 64 MB of zeros) before the size check
    # sees it, so the peak is a few such reads, never the 256 MB of the whole bomb
    assert len(bomb) < 1_000_000 and peak < (192 << 20), peak


@pytest.fixture
def header_drip() -> Iterator[str]:
    """A raw server that answers a status line, then one byte of a header every 0.2 s for
    minutes: every read succeeds, so only a deadline for the whole answer stops it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not stop.wait(0.2):
                    conn.sendall(b"a")
            except OSError:
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threads.append(threading.Thread(target=answer, args=(conn,), daemon=True))
            threads[-1].start()

    threads.append(threading.Thread(target=accept, daemon=True))
    threads[-1].start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    stop.set()
    for thread in list(threads):  # no thread left behind: later tests fork only when alone
        thread.join(timeout=5)
    listener.close()


@pytest.mark.timeout(60)
def test_headers_dripping_past_the_deadline_time_out(header_drip: str) -> None:
    """``http.timeout`` is for the whole answer; a server sending its headers a byte at a
    time never lets a single read time out, and would hold the run for hours."""
    port = int(header_drip.split(":")[2].split("/")[0])
    with Fetcher(HttpConfig(timeout=1.0)) as fetcher, pytest.raises(FetchError, match="timeout"):
        fetcher.get(header_drip, trusted=frozenset({("127.0.0.1", port)}))


@pytest.mark.timeout(60)
def test_local_feed_files_get_the_same_checks(tmp_path: Path, secret: Path) -> None:
    (tmp_path / "laughs.xml").write_text(billion_laughs(), "utf-8")
    (tmp_path / "xxe.xml").write_text(external_entity(secret.as_uri()), "utf-8")
    (tmp_path / "big.xml").write_bytes(b"<rss>" + b" " * 1_100_000 + b"</rss>")
    (tmp_path / "good.xml").write_text(rss("Local", ("Ceasefire", "http://local.example/1", STORY)), "utf-8")
    sources = [str(tmp_path / name) for name in ("laughs.xml", "xxe.xml", "big.xml", "good.xml")]
    code, text, warnings = build(tmp_path, sources)
    assert code == 0 and "Drevno" in text and SECRET not in text
    assert [w.split(": ")[1] for w in warnings] == [f"source {s}" for s in sources[:3]], warnings
    assert "declares XML entities" in warnings[0] and "declares XML entities" in warnings[1] and "too large" in warnings[2]


def atom(title: str, link: str, updated: str, summary: str) -> str:
    return (f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>{title}</title>"
            f"<entry><title>{title} item</title><link href='{link}'/><id>{link}</id><updated>{updated}</updated>"
            f"<summary>{summary}</summary></entry></feed>")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("updated", ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"])
def test_an_item_dated_outside_what_a_datetime_holds_is_undated_not_the_end_of_the_build(
    server: LocalServer, tmp_path: Path, updated: str
) -> None:
    """Year 0, or 9999-12-31 at -05:00 (year 10000 in UTC, as feedparser gives it), has no
    datetime: such an item is undated (kept if first seen now), and the good feed rides along."""
    good_page = server.add("/good/story.html", f"<html><head><title>Ceasefire | Herald</title></head><body><article>"
                                               f"<h1>Ceasefire</h1><p>{STORY}</p></article></body></html>")
    good = server.add("/good/feed.xml", rss("Herald", ("Ceasefire signed", good_page, "Summary.")),
                      content_type="application/rss+xml")
    odd = server.add("/odd/feed.xml", atom("Odd Times", server.url("/odd/none.html"), updated,
                                          "Farmers in Esk blocked the highway for a third day over water rights."),
                     content_type="application/atom+xml")
    env = {"BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(main, ["build", "--date", "2026-11-25", "--out", str(tmp_path / "out"), "--formats",
                                       "txt", "--source", good, "--source", odd], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"source {odd}: 1 seen, 1 in window" in result.stderr
    assert f"source {good}: 1 seen, 1 in window" in result.stderr
