"""Feeds and pages as sources: parsing, hostile input, the window, fallbacks, health and the cache."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from http_server import LocalServer

from briefing.config import Config, HttpConfig, SourceDef, WindowConfig
from briefing.errors import InputError
from briefing.fetch import Cache, Fetcher
from briefing.ingest.feeds import Document, cli_source, collect_sources, html_paragraphs, read_document
from briefing.window import Window, edition_window

FEEDS = Path(__file__).parent / "data" / "feeds"
EDITION = date(2026, 11, 25)
WINDOW = edition_window(WindowConfig(), EDITION)
IN_WINDOW = "Tue, 24 Nov 2026 14:05:00 +0000"
OLD = "Thu, 19 Nov 2026 16:40:00 +0200"


def page(title: str, *paragraphs: str, site: str = "Test Outlet") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{title} | {site}</title><meta property='og:site_name' content='{site}'>"
            f"</head><body><nav>Home World Sport</nav><article><h1>{title}</h1>{body}</article><footer>© {site}</footer></body></html>")


def rss(title: str, items: list[tuple[str, str, str | None, str]]) -> str:
    """An RSS 2.0 feed; each item is (title, link, pubDate or None, description)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link>{f'<pubDate>{d}</pubDate>' if d else ''}<description>{s}</description></item>"
        for t, link, d, s in items
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>{entries}</channel></rss>"


def local(name: str) -> Document:
    path = FEEDS / name
    return Document(str(path), None, "", path.read_bytes())


def config_for(tmp_path: Path, *sources: SourceDef, **http: object) -> Config:
    return Config(data_dir=tmp_path / "data", sources=sources, http=HttpConfig(timeout=0.5, **http))


def collect(config: Config, window: Window = WINDOW, extra: tuple[SourceDef, ...] = ()) -> tuple[object, list[str]]:
    warnings: list[str] = []
    return collect_sources(config, extra, window, warn=warnings.append), warnings


@pytest.mark.parametrize(
    "name, outlet, titles",
    [
        ("rss2.xml", "Meridian Press Agency – World", ["Velmora and Ostravia agree ceasefire framework in Valdor",
                                                         "Selvana declares emergency as River Ormen floods",
                                                         "Border post attack kills four guards"]),
        ("rss1.rdf", "The Continental Ledger", ["Northern Compact adopts sanctions on Dusmar"]),
        ("atom.xml", "The Lisk Observer", ["Maddox vows to tear up Valdor framework"]),
        ("rss091.xml", "Kestrel Broadcasting Service", ["Chamber approves record defence budget"]),
    ],
)
def test_every_feed_flavour_gives_items(name: str, outlet: str, titles: list[str]) -> None:
    listing = read_document(local(name), "")
    assert listing.outlet == outlet
    assert [item.title for item in listing.items] == titles
    assert all(item.link and item.link.startswith("https://") for item in listing.items)
    assert all(item.published is None or item.published.utcoffset() == timedelta(0) for item in listing.items)


def test_feed_text_dates_and_encodings_are_read() -> None:
    rss2 = read_document(local("rss2.xml"), "").items
    assert rss2[1].published == datetime(2026, 11, 24, 8, 30, tzinfo=timezone.utc)  # +0100 normalized
    assert rss2[0].paragraphs[1].startswith("The text commits both governments")  # content:encoded wins
    assert read_document(local("atom.xml"), "").items[0].paragraphs[-1] == "Police said the evening passed without arrests."
    latin1 = read_document(local("rss091.xml"), "").items[0]
    assert latin1.published is None and "Jörg Halvorsen" in latin1.paragraphs[0]


@pytest.mark.parametrize("name", ["billion-laughs.xml", "xxe.xml"])
def test_feeds_declaring_entities_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="refused: the feed declares XML entities"):
        read_document(local(name), "")


def test_malformed_feed_is_read_tolerantly() -> None:
    listing = read_document(local("malformed.xml"), "")
    assert listing.outlet == "Broken Wire & Co"
    assert listing.items[0].paragraphs == ("Parliament in Castrel passed the flood relief bill by a wide margin",)


def test_large_malformed_feed_is_refused_in_bounded_time() -> None:
    hostile = b"<rss version='2.0'><channel><title>T & co</title>" + b"<item><title>x<b>" * 70_000
    with pytest.raises(InputError, match="not well-formed XML, and at 1,190,049 bytes too large for tolerant parsing"):
        read_document(Document("http://x.example/f", "http://x.example/f", "application/rss+xml", hostile), "")


@pytest.mark.parametrize(
    "content, content_type, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "neither a feed nor an HTML page (content type image/png)"),
        (b"<rss version='2.0'><channel><title>x</title>", "application/rss+xml", "not a readable feed"),
        (b'{"items": []}', "application/json", "neither a feed nor an HTML page"),
    ],
)
def test_what_is_not_a_feed_or_page_is_refused(content: bytes, content_type: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        read_document(Document("http://x.example/f", "http://x.example/f", content_type, content), "")


def test_feed_html_becomes_paragraphs() -> None:
    assert html_paragraphs("<p>One <b>bold</b> line.</p>Loose<div>Two<br>lines</div>") == (
        "One bold line.", "Loose", "Two lines")
    assert html_paragraphs("Plain &amp; simple") == ("Plain &amp; simple",)
    assert html_paragraphs("") == ()


def test_feed_items_become_articles_from_their_pages(server: LocalServer, tmp_path: Path) -> None:
    server.add("/a", page("Storm hits Castrel", "A storm hit the coastal city of Castrel on Tuesday, flooding streets.",
                          "The mayor said repairs would take weeks."))
    server.add("/old", page("Old news", "This happened last week."))
    feed = server.add("/feed.xml", rss("Test Outlet", [
        ("Storm hits Castrel", server.url("/a"), IN_WINDOW, "Summary of the storm."),
        ("Old news", server.url("/old"), OLD, "Old summary."),
    ]), content_type="application/rss+xml")
    source = SourceDef(name="Test Outlet World", url=feed, section="domestic")
    gathered, warnings = collect(config_for(tmp_path, source))
    assert warnings == []
    [article] = gathered.articles
    assert article.paragraphs == ("A storm hit the coastal city of Castrel on Tuesday, flooding streets.",
                                  "The mayor said repairs would take weeks.")
    assert article.source == "Test Outlet World" and article.section_hint == "domestic"
    assert article.url == server.url("/a") and article.published == datetime(2026, 11, 24, 14, 5, tzinfo=timezone.utc)
    assert server.hits["/old"] == 0  # outside the window: never fetched
    [health] = gathered.health
    assert (health.name, health.seen, health.in_window, health.errors, health.stale) == ("Test Outlet World", 2, 1, (), False)
    assert gathered.source_of == {article.id: "Test Outlet World"}


def test_failed_page_falls_back_to_the_feed_summary_and_says_so(server: LocalServer, tmp_path: Path) -> None:
    feed = server.add("/feed.xml", rss("Test Outlet", [
        ("Gone", server.url("/gone"), IN_WINDOW, "&lt;p&gt;The minister resigned on Tuesday after the vote.&lt;/p&gt;"),
        ("Picture", server.add("/pic.png", b"\x89PNG", content_type="image/png"), IN_WINDOW, "A picture of the parade in Lisk."),
        ("Nothing", server.url("/nothing"), IN_WINDOW, ""),
    ]))
    gathered, warnings = collect(config_for(tmp_path, cli_source(feed)))
    assert [a.paragraphs for a in gathered.articles] == [("The minister resigned on Tuesday after the vote.",),
                                                         ("A picture of the parade in Lisk.",)]
    assert [a.source for a in gathered.articles] == ["Test Outlet", "Test Outlet"]  # the feed's own title
    assert warnings == [
        f"source {feed}: {server.url('/gone')}: HTTP 404 Not Found; using the feed's summary instead",
        f"source {feed}: {server.url('/pic.png')}: content type image/png is not an HTML page; using the feed's summary instead",
        f"source {feed}: {server.url('/nothing')}: HTTP 404 Not Found",
    ]
    assert len(gathered.health[0].errors) == 3 and gathered.health[0].in_window == 3


def test_one_failing_source_never_stops_the_others(server: LocalServer, tmp_path: Path) -> None:
    good = server.add("/good.xml", rss("Good", [("Fine", server.add("/p", page("Fine", "All is well in Castrel today."))
                                               , IN_WINDOW, "s")]))
    sources = (SourceDef("Missing", server.url("/missing.xml")), SourceDef("Bomb", server.add("/bomb.xml", (FEEDS / "billion-laughs.xml").read_bytes())),
               SourceDef("Slow", server.add("/slow.xml", "<rss/>", delay=2)), SourceDef("Good", good),
               SourceDef("Off", server.url("/off.xml"), enabled=False), SourceDef("Nowhere", "ftp://example.invalid/f.xml"))
    gathered, warnings = collect(config_for(tmp_path, *sources))
    assert [a.title for a in gathered.articles] == ["Fine"]
    assert [h.name for h in gathered.health] == ["Missing", "Bomb", "Slow", "Good", "Nowhere"]
    errors = {h.name: h.errors for h in gathered.health}
    assert errors["Missing"] == (f"{server.url('/missing.xml')}: HTTP 404 Not Found",)
    assert "refused: the feed declares XML entities" in errors["Bomb"][0]
    assert errors["Slow"] == (f"{server.url('/slow.xml')}: timeout after 0.5 s",)
    assert "refused: scheme 'ftp'" in errors["Nowhere"][0]
    assert server.hits["/off.xml"] == 0
    assert len(warnings) == 4 and all(w.startswith("source ") for w in warnings)


def test_per_source_limit_keeps_the_newest(server: LocalServer, tmp_path: Path) -> None:
    items = [(f"Story {h}", server.add(f"/s{h}", page(f"Story {h}", f"Event number {h} happened in Castrel today.")),
              f"Tue, 24 Nov 2026 {h:02d}:00:00 +0000", "s") for h in (8, 12, 10)]
    feed = server.add("/feed.xml", rss("T", items))
    gathered, _ = collect(config_for(tmp_path, SourceDef("T", feed, limit=2)))
    assert [a.title for a in gathered.articles] == ["Story 12", "Story 10"]
    assert server.hits["/s8"] == 0 and gathered.health[0].in_window == 3


def test_undated_items_count_once_and_pages_may_date_them(server: LocalServer, tmp_path: Path) -> None:
    old_page = page("Dated page", "The page itself says when this was written.").replace(
        "<head>", "<head><meta property='article:published_time' content='2026-11-10T10:00:00+00:00'>")
    feed = server.add("/feed.xml", rss("T", [
        ("Undated", server.add("/u", page("Undated", "No date anywhere for this report from Castrel.")), None, "s"),
        ("Old by its page", server.add("/d", old_page), None, "s"),
    ]))
    config = config_for(tmp_path, SourceDef("T", feed))
    first, _ = collect(config)
    assert [a.title for a in first.articles] == ["Undated"] and first.health[0].in_window == 1
    assert [a.title for a in collect(config)[0].articles] == ["Undated"]  # the same edition again
    next_day = edition_window(WindowConfig(), EDITION + timedelta(days=1))
    assert collect(config, next_day)[0].articles == ()
    strict = replace(config, window=WindowConfig(undated="drop"), data_dir=tmp_path / "other")
    assert collect(strict)[0].articles == ()


def test_stale_source_after_stale_days_without_new_items(server: LocalServer, tmp_path: Path) -> None:
    feed = server.add("/feed.xml", rss("T", [("Same", server.add("/a", page("Same", "Nothing changes in Castrel.")), OLD, "s")]))
    config = config_for(tmp_path, SourceDef("T", feed), stale_days=3)
    days = [edition_window(WindowConfig(), EDITION + timedelta(days=n)) for n in (0, 2, 3)]
    assert [collect(config, w)[0].health[0].stale for w in days] == [False, False, True]
    server.add("/feed.xml", rss("T", [("Fresh", server.url("/b"), OLD, "s")]))
    assert not collect(config, edition_window(WindowConfig(), EDITION + timedelta(days=4)))[0].health[0].stale


def test_rerun_of_an_edition_downloads_nothing_again(server: LocalServer, tmp_path: Path) -> None:
    server.add("/a", page("Cached", "The cache keeps this page about Castrel."), etag='"a1"')
    feed = server.add("/feed.xml", rss("T", [("Cached", server.url("/a"), IN_WINDOW, "s")]),
                      last_modified="Tue, 24 Nov 2026 15:00:00 GMT")
    config = config_for(tmp_path, SourceDef("T", feed))
    first, _ = collect(config)
    second, _ = collect(config)
    assert first.articles == second.articles
    assert server.not_modified == {"/a": 1, "/feed.xml": 1}
    assert any((tmp_path / "data" / "cache").iterdir())


def test_private_links_in_a_feed_are_refused_unless_allowed(server: LocalServer, tmp_path: Path) -> None:
    feed = server.add("/feed.xml", rss("T", [("Metadata", "http://169.254.169.254/latest/meta-data/", IN_WINDOW, "The summary.")]))
    gathered, warnings = collect(config_for(tmp_path, SourceDef("T", feed)))
    assert [a.paragraphs for a in gathered.articles] == [("The summary.",)]
    assert "non-public address (169.254.169.254)" in warnings[0]


def test_page_source_and_local_feed_file(server: LocalServer, tmp_path: Path) -> None:
    page_url = server.add("/story.html", page("Bridge reopens in Castrel", "The bridge reopened on Tuesday after repairs.")
                          .replace("<head>", "<head><meta property='article:published_time' content='2026-11-24T12:00:00+00:00'>"))
    gathered, warnings = collect(config_for(tmp_path), extra=(cli_source(page_url), cli_source(str(FEEDS / "rss2.xml"))))
    assert warnings == []
    assert [a.title for a in gathered.articles] == ["Bridge reopens in Castrel",
                                                     "Velmora and Ostravia agree ceasefire framework in Valdor",
                                                     "Selvana declares emergency as River Ormen floods"]
    assert gathered.articles[0].source == "Test Outlet"
    assert [(h.seen, h.in_window) for h in gathered.health] == [(1, 1), (3, 2)]
    assert server.hits["/story.html"] == 1  # a page source is read once, not fetched again as a link


def test_the_same_item_in_two_feeds_is_read_once(server: LocalServer, tmp_path: Path) -> None:
    link = server.add("/a", page("Shared", "Both feeds list this report from Castrel."))
    feeds = [server.add(f"/{n}.xml", rss(n, [("Shared", link, IN_WINDOW, "s")])) for n in ("front", "world")]
    gathered, _ = collect(config_for(tmp_path, *(SourceDef(n, f) for n, f in zip(("Front", "World"), feeds))))
    assert len(gathered.articles) == 1 and server.hits["/a"] == 1


def test_oversized_local_feed_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<rss>" + b" " * 2000 + b"</rss>")
    gathered, warnings = collect(config_for(tmp_path, SourceDef("Big", str(big)), max_bytes=1000))
    assert gathered.articles == () and "too large" in warnings[0]


def test_unwritable_data_folder_is_a_warning_not_a_stop(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be", "utf-8")
    gathered, warnings = collect(config_for(tmp_path, SourceDef("Local", str(FEEDS / "rss2.xml"))))
    assert len(gathered.articles) == 2
    assert warnings == [f"{tmp_path / 'data'}: cannot record what the sources showed (File exists); "
                        "undated items and stale sources are judged afresh next time"]


def test_fetcher_can_be_passed_in(server: LocalServer, tmp_path: Path) -> None:
    feed = server.add("/feed.xml", rss("T", [("X", server.add("/x", page("X", "A report about Castrel."), etag='"x"'), IN_WINDOW, "s")]))
    with Fetcher(HttpConfig(timeout=0.5), Cache(tmp_path / "mine")) as fetcher:
        gathered = collect_sources(config_for(tmp_path, SourceDef("T", feed)), (), WINDOW, warn=print, fetcher=fetcher)
        assert fetcher.stats.downloads == 2
    assert len(gathered.articles) == 1 and any((tmp_path / "mine").iterdir())


def test_errors_are_grouped_by_cause_and_capped() -> None:
    from briefing.health import grouped_errors

    errors = [("http://a.example/1", "timeout after 1 s"), ("", "not a readable feed (no items)"),
              ("http://a.example/2", "timeout after 1 s"), ("http://a.example/3", "HTTP 500 Internal Server Error"),
              ("http://a.example/4", "HTTP 403 Forbidden"), ("http://a.example/5", "HTTP 410 Gone"),
              ("http://a.example/6", "HTTP 410 Gone")]
    assert grouped_errors(errors) == (
        "2 × timeout after 1 s: http://a.example/1, http://a.example/2",
        "not a readable feed (no items)",
        "http://a.example/3: HTTP 500 Internal Server Error",
        "and 3 more errors with 2 other causes",
    )
    assert grouped_errors([]) == ()


def test_a_feed_linking_to_a_stalling_host_falls_back_to_its_summaries_without_waiting_for_each(
    server: LocalServer, tmp_path: Path
) -> None:
    items = [(f"Story {i}", server.add(f"/stall/{i}", page("S", "Text."), delay=3.0), IN_WINDOW,
              f"Summary {i}: the minister spoke in Castrel.") for i in range(20)]
    feed = server.add("/feed.xml", rss("Stalling", items))
    gathered, warnings = collect(config_for(tmp_path, cli_source(feed), per_host=1, host_failures=2))
    assert sum(server.hits[f"/stall/{i}"] for i in range(20)) == 2
    assert len(gathered.articles) == 20 and gathered.articles[5].paragraphs == ("Summary 5: the minister spoke in Castrel.",)
    fallback = "; using the feed's summary instead"
    skipped = [server.url(f"/stall/{i}") for i in range(2, 5)]
    assert gathered.health[0].errors == (
        f"2 × timeout after 0.5 s{fallback}: {server.url('/stall/0')}, {server.url('/stall/1')}",
        f"18 × not fetched: 127.0.0.1:{server.port} timed out or refused the connection 2 times in a row (http.host_failures){fallback}: "
        f"{', '.join(skipped)} and 15 more",
    )
    assert gathered.health[0].error_count == 20 and len(warnings) == 4


def test_cache_entries_unused_for_cache_days_are_pruned_after_a_run(server: LocalServer, tmp_path: Path) -> None:
    import os
    import time

    story = server.add("/s", page("S", "Text of the story in Castrel."), etag='"p"')
    feed = server.add("/feed.xml", rss("T", [("S", story, IN_WINDOW, "s")]), etag='"1"')
    config = config_for(tmp_path, cli_source(feed), cache_days=30)
    collect(config)
    cache = tmp_path / "data" / "cache"
    used = sorted(cache.iterdir())
    assert len(used) == 2  # the feed and its page
    month_ago = time.time() - 40 * 86400
    forgotten = cache / ("0" * 64 + ".http")
    forgotten.write_bytes(b'{"etag": "x"}\n')
    crashed = cache / ".tmp123.part"
    crashed.write_bytes(b"half")
    for path in (*used, forgotten, crashed):
        os.utime(path, (month_ago, month_ago))
    collect(config)  # the feed and its page are used again: they stay
    assert sorted(cache.iterdir()) == used
    forgotten.write_bytes(b'{"etag": "x"}\n')
    os.utime(forgotten, (month_ago, month_ago))
    collect(replace(config, http=replace(config.http, cache_days=0)))  # 0 keeps everything
    assert forgotten.exists()
