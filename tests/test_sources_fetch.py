"""The HTTP fetcher against a real server on 127.0.0.1: limits, redirects, address policy, cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_server import LocalServer

from briefing.config import HttpConfig
from briefing.fetch import Cache, FetchError, Fetcher, host_port

PAGE = "<html><head><title>T</title></head><body><p>Hello from the local server.</p></body></html>"
FAST = HttpConfig(timeout=0.5, max_bytes=100_000, max_redirects=3, concurrency=8, per_host=2, allow_private=True)


def fetcher(http: HttpConfig = FAST, cache: Path | None = None) -> Fetcher:
    return Fetcher(http, Cache(cache) if cache else None)


def cause_of(client: Fetcher, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        client.get(url)
    assert caught.value.url == url  # every error names the address it is about
    return caught.value.cause


def test_get_returns_body_type_and_sends_user_agent(server: LocalServer) -> None:
    url = server.add("/page", PAGE)
    with fetcher() as client:
        response = client.get(url)
    assert response.content == PAGE.encode() and response.status == 200
    assert response.content_type.startswith("text/html") and response.final_url == url
    assert server.request_headers[0]["user-agent"] == FAST.user_agent


def test_redirect_is_followed_and_final_address_kept(server: LocalServer) -> None:
    target = server.add("/new", PAGE)
    url = server.add("/old", status=301, headers={"Location": "/new"})
    with fetcher() as client:
        response = client.get(url)
    assert response.url == url and response.final_url == target and response.content == PAGE.encode()


@pytest.mark.parametrize("status, expected", [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")])
def test_http_errors_name_the_status(server: LocalServer, status: int, expected: str) -> None:
    url = server.add("/broken", "nope", status=status)
    with fetcher() as client:
        assert cause_of(client, url) == expected


def test_slow_answer_times_out(server: LocalServer) -> None:
    url = server.add("/slow", PAGE, delay=2.0)
    with fetcher() as client:
        assert cause_of(client, url).startswith("timeout")


def test_body_dripping_past_the_deadline_times_out(server: LocalServer) -> None:
    url = server.add("/drip", "x" * 40, drip=0.05)  # each piece in time, the whole too late
    with fetcher() as client:
        assert cause_of(client, url).startswith("timeout")


def test_endless_body_stops_at_max_bytes(server: LocalServer) -> None:
    url = server.add("/huge", endless=True)
    with fetcher() as client:
        assert cause_of(client, url) == "too large: more than 100,000 bytes (limit http.max_bytes)"


def test_declared_huge_body_is_refused_before_reading(server: LocalServer) -> None:
    url = server.add("/declared", "small", headers={"Content-Length": "900000000"})
    with fetcher() as client:
        assert cause_of(client, url).startswith("too large: 900,000,000 bytes declared")


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/html,<p>hi</p>"])
def test_redirect_to_other_schemes_is_refused(server: LocalServer, location: str) -> None:
    url = server.add("/jump", status=302, headers={"Location": location})
    with fetcher() as client:
        cause = cause_of(client, url)
    assert cause.startswith(f"refused: redirect to {location.split(':')[0]}:") or (
        location.startswith("data:") and cause.startswith("refused: invalid address")
    )


def test_redirect_loop_stops_at_the_limit(server: LocalServer) -> None:
    url = server.add("/loop", status=302, headers={"Location": "/loop"})
    with fetcher() as client:
        assert cause_of(client, url) == "redirect: more than 3 redirects"
    assert server.hits["/loop"] == FAST.max_redirects + 1


def test_only_http_and_https_are_fetched() -> None:
    with fetcher() as client:
        assert cause_of(client, "file:///etc/passwd").startswith("refused: scheme 'file'")


def test_private_addresses_need_trust_or_the_switch(server: LocalServer) -> None:
    url = server.add("/page", PAGE)
    strict = HttpConfig(timeout=0.5, allow_private=False)
    with Fetcher(strict) as client:
        assert "non-public address (127.0.0.1)" in cause_of(client, url)
        assert client.get(url, trusted=frozenset({host_port(url)})).content == PAGE.encode()
    assert server.hits["/page"] == 1


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://localhost:9/", "http://[::1]:9/"])
def test_redirect_from_a_trusted_host_to_a_private_one_is_refused(server: LocalServer, target: str) -> None:
    url = server.add("/bounce", status=302, headers={"Location": target})
    with Fetcher(HttpConfig(timeout=0.5, allow_private=False)) as client:
        with pytest.raises(FetchError) as caught:
            client.get(url, trusted=frozenset({host_port(url)}))
    assert "non-public address" in caught.value.cause


def test_unresolvable_name_is_a_dns_error() -> None:
    with Fetcher(HttpConfig(timeout=0.5, allow_private=False)) as client:
        assert cause_of(client, "http://bad..name/").startswith("DNS: cannot resolve bad..name")


def test_connection_refused_is_named(server: LocalServer) -> None:
    url = server.url("/x")
    server.stop()
    with fetcher() as client:
        assert cause_of(client, url).startswith("connection failed")


def test_etag_revalidation_downloads_nothing_twice(server: LocalServer, tmp_path: Path) -> None:
    url = server.add("/feed", PAGE, etag='"v1"')
    with fetcher(cache=tmp_path) as first:
        assert not first.get(url).from_cache
    with fetcher(cache=tmp_path) as second:  # a re-run: a new process, the same cache folder
        again = second.get(url)
    assert again.from_cache and again.content == PAGE.encode()
    assert server.not_modified["/feed"] == 1 and second.stats.downloads == 0
    assert server.request_headers[1]["if-none-match"] == '"v1"'


def test_last_modified_revalidation_and_changed_content(server: LocalServer, tmp_path: Path) -> None:
    stamp = "Tue, 24 Nov 2026 10:00:00 GMT"
    url = server.add("/page", PAGE, last_modified=stamp)
    with fetcher(cache=tmp_path) as client:
        client.get(url)
        assert client.get(url).from_cache
        server.add("/page", "changed", last_modified="Wed, 25 Nov 2026 10:00:00 GMT")
        changed = client.get(url)
    assert changed.content == b"changed" and not changed.from_cache
    assert server.not_modified["/page"] == 1 and server.hits["/page"] == 3


def test_damaged_cache_entry_is_a_miss(server: LocalServer, tmp_path: Path) -> None:
    url = server.add("/page", PAGE, etag='"v1"')
    with fetcher(cache=tmp_path) as client:
        client.get(url)
    for entry in tmp_path.iterdir():
        entry.write_bytes(b"{not json\n")
    with fetcher(cache=tmp_path) as client:
        assert client.get(url).content == PAGE.encode()
    assert server.not_modified["/page"] == 0


def test_an_address_urllib_cannot_parse_is_a_fetch_error_not_a_crash(server: LocalServer) -> None:
    url = server.add("/ok", PAGE)
    with fetcher() as client:
        bad, good = client.get_many(["http://[bad/x", url])
    assert isinstance(bad, FetchError) and "refused: not a valid address" in str(bad)
    assert good.content == PAGE.encode()


def test_get_many_is_polite_per_host_and_returns_errors_in_order(server: LocalServer) -> None:
    urls = [server.add(f"/p{i}", PAGE, delay=0.1) for i in range(8)]
    urls.insert(3, server.url("/missing"))
    with fetcher() as client:
        results = client.get_many(urls)
    assert server.max_in_flight == FAST.per_host
    assert [isinstance(r, FetchError) for r in results] == [i == 3 for i in range(9)]
    assert results[0].content == PAGE.encode()


def test_a_host_that_keeps_timing_out_is_given_up_after_host_failures(server: LocalServer) -> None:
    """20 pages that stall: after 2 timeouts in a row the host's other 18 are not requested
    (counted by the server), each failing at once with the same cause."""
    urls = [server.add(f"/stall/{i}", PAGE, delay=3.0) for i in range(20)]
    with fetcher(HttpConfig(timeout=0.2, per_host=1, host_failures=2, allow_private=True)) as client:
        results = client.get_many(urls)
    assert sum(server.hits.values()) == 2 and client.stats.skipped == 18
    causes = [r.cause for r in results if isinstance(r, FetchError)]
    assert causes[:2] == ["timeout after 0.2 s"] * 2
    assert set(causes[2:]) == {f"not fetched: 127.0.0.1:{server.port} timed out or refused the connection 2 times in a row (http.host_failures)"}


def test_an_answer_resets_the_count_and_zero_never_gives_up(server: LocalServer) -> None:
    stall = [server.add(f"/stall/{i}", PAGE, delay=3.0) for i in range(4)]
    urls = [stall[0], server.url("/missing"), *stall[1:]]  # a 404 is an answer: the host is there
    with fetcher(HttpConfig(timeout=0.2, per_host=1, host_failures=2, allow_private=True)) as client:
        client.get_many(urls)
    assert server.hits["/missing"] == 1 and sum(server.hits[f"/stall/{i}"] for i in range(4)) == 3
    server.hits.clear()
    with fetcher(HttpConfig(timeout=0.2, per_host=1, host_failures=0, host_budget=0, allow_private=True)) as client:
        client.get_many(stall)
    assert sum(server.hits.values()) == 4 and client.stats.skipped == 0


def test_a_slow_host_stops_at_its_time_budget(server: LocalServer) -> None:
    """Each answer comes in time (0.2 s of a 2 s timeout), but after 0.5 s of requests in all
    the host's other pages are skipped: at most 3 of the 20 are requested."""
    urls = [server.add(f"/slow/{i}", PAGE, delay=0.2) for i in range(20)]
    with fetcher(HttpConfig(timeout=2, per_host=1, host_budget=0.5, allow_private=True)) as client:
        results = client.get_many(urls)
    assert 1 <= sum(server.hits.values()) <= 3 and client.stats.skipped == 20 - sum(server.hits.values())
    assert str(results[-1]).endswith(f"not fetched: 127.0.0.1:{server.port} has used its 0.5 s of requests (http.host_budget)")
