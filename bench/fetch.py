"""Sources benchmark: fetch and extract N article pages listed by a feed on loopback servers.

    .venv/bin/python bench/fetch.py            # 200 pages
    .venv/bin/python bench/fetch.py --quick    # 20 pages, a smoke run

The pages are served by four HTTP servers on 127.0.0.1-127.0.0.4 (four hosts, so the
per-host limit matters) in a separate process, each answer delayed by ``--latency`` ms to
stand in for a real network. ``collect_sources`` runs as ``briefing build`` runs it, in
three ways, each reported as pages per second and the share of the run spent fetching
(feed and pages, wall time), extracting main text (trafilatura) and in the rest (feed
parsing, window, records):

- cold:     an empty cache, default limits (http.concurrency 8, http.per_host 2);
- warm:     the same data folder again, every page revalidated with a 304;
- serial:   an empty cache, one request at a time: the baseline the pool is measured against.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing import fetch  # noqa: E402
from briefing.config import Config, HttpConfig, SourceDef, WindowConfig  # noqa: E402
from briefing.ingest import feeds  # noqa: E402
from briefing.window import edition_window  # noqa: E402

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
EDITION = date(2026, 11, 25)
WORDS = ("minister parliament ceasefire border troops talks budget vote election court ruling sanctions "
         "agreement envoy summit artillery drone province governor protest police flood relief harbour "
         "coalition opposition treaty negotiators monitors convoy shelling ambassador ministry").split()


def article_page(number: int) -> bytes:
    """A realistic page: boilerplate around eight paragraphs of invented text."""
    rng = random.Random(number)
    paragraphs = "".join(
        "<p>" + " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."
            for _ in range(rng.randint(2, 4))
        ) + "</p>"
        for _ in range(8)
    )
    nav = "".join(f"<li><a href='/section/{w}'>{w.title()}</a></li>" for w in WORDS[:12])
    return (
        f"<!DOCTYPE html><html><head><title>Report {number} | Bench Herald</title>"
        f"<meta property='og:site_name' content='Bench Herald'>"
        f"<meta property='article:published_time' content='2026-11-24T{6 + number % 18:02d}:00:00+00:00'></head>"
        f"<body><header><nav><ul>{nav}</ul></nav></header><main><article><h1>Report {number}</h1>{paragraphs}"
        f"</article></main><aside><h2>Most read</h2><ul>{nav}</ul></aside><footer>© Bench Herald</footer></body></html>"
    ).encode()


def feed(count: int, port: int) -> bytes:
    items = "".join(
        f"<item><title>Report {n}</title><link>http://{HOSTS[n % len(HOSTS)]}:{port}/a/{n}</link>"
        f"<pubDate>Tue, 24 Nov 2026 {6 + n % 18:02d}:00:00 +0000</pubDate><description>Summary {n}.</description></item>"
        for n in range(count)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench Herald</title>{items}</channel></rss>".encode()


def serve(count: int, latency: float, control: Any) -> None:
    """The server process: one server per loopback host, all on one port; runs until told to stop."""
    import threading

    pages = {f"/a/{n}": article_page(n) for n in range(count)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            time.sleep(latency)
            body = feed(count, self.server.server_address[1]) if self.path == "/feed.xml" else pages.get(self.path, b"")
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200 if body else 404)
            kind = "application/rss+xml" if self.path == "/feed.xml" else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    first = ThreadingHTTPServer((HOSTS[0], 0), Handler)
    servers = [first] + [ThreadingHTTPServer((host, first.server_address[1]), Handler) for host in HOSTS[1:]]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    control.send(first.server_address[1])
    control.recv()


@dataclass
class Timed:
    fetch: float = 0.0
    extract: float = 0.0


def instrument(timed: Timed) -> None:
    """Time the two stages where ``collect_sources`` calls them (bench only: patched module names)."""
    get_many = fetch.Fetcher.get_many
    read_html = feeds.read_html

    def timed_get_many(self: fetch.Fetcher, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return get_many(self, *args, **kwargs)
        finally:
            timed.fetch += time.perf_counter() - started

    def timed_read_html(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return read_html(*args, **kwargs)
        finally:
            timed.extract += time.perf_counter() - started

    fetch.Fetcher.get_many = timed_get_many  # type: ignore[method-assign]
    feeds.read_html = timed_read_html  # type: ignore[assignment]


def run(label: str, config: Config, timed: Timed, count: int, baseline: float | None) -> float:
    timed.fetch = timed.extract = 0.0
    window = edition_window(WindowConfig(), EDITION)
    started = time.perf_counter()
    with fetch.Fetcher(config.http, fetch.Cache(config.data_dir / "cache")) as client:
        gathered = feeds.collect_sources(config, (), window, warn=print, fetcher=client)
        stats = client.stats
    total = time.perf_counter() - started
    assert len(gathered.articles) == count, f"{label}: {len(gathered.articles)} articles, expected {count}"
    rest = total - timed.fetch - timed.extract
    speed = count / total
    ratio = f"{speed / baseline:5.2f}x" if baseline else "   1.00x"
    print(f"{label:<8} {total:6.2f} s {speed:7.1f} pages/s {ratio}   fetch {timed.fetch / total:4.0%}  "
          f"extract {timed.extract / total:4.0%}  rest {rest / total:4.0%}   "
          f"{stats.downloads} downloaded, {stats.not_modified} not modified")
    return speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 pages instead of 200")
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--latency", type=float, default=20.0, help="server delay per answer, ms")
    args = parser.parse_args()
    count = args.pages or (20 if args.quick else 200)
    here, there = mp.Pipe()
    server = mp.Process(target=serve, args=(count, args.latency / 1000, there), daemon=True)
    server.start()
    port = here.recv()
    timed = Timed()
    instrument(timed)
    source = SourceDef("Bench Herald", f"http://{HOSTS[0]}:{port}/feed.xml")
    http = HttpConfig(allow_private=True)  # the pages sit on other loopback hosts than the feed
    print(f"{count} pages on {len(HOSTS)} loopback hosts, {args.latency:g} ms per answer")
    try:
        with tempfile.TemporaryDirectory() as cold, tempfile.TemporaryDirectory() as serial:
            config = Config(data_dir=Path(cold), sources=(source,), http=http)
            baseline = run("serial", replace(config, data_dir=Path(serial), http=replace(http, concurrency=1, per_host=1)),
                           timed, count, None)
            run("cold", config, timed, count, baseline)
            run("warm", config, timed, count, baseline)
    finally:
        here.send("stop")
        server.join(timeout=5)


if __name__ == "__main__":
    main()
