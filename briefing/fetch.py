"""HTTP for feeds and article pages: one polite, bounded client with an on-disk cache.

Everything fetched comes from servers we do not control, so every response is bounded
in time (``http.timeout`` for the whole body, not only between packets), in size
(``http.max_bytes``, counted while streaming) and in redirects (``http.max_redirects``,
each hop re-checked: only http/https, never ``file:``, ``ftp:`` or ``data:``).
Concurrency is bounded overall (``http.concurrency``) and per host (``http.per_host``).
Time is bounded per server (host and port) as well, since a feed can link to hundreds of
pages on a server that stalls: after ``http.host_failures`` timeouts or connection failures
in a row, or once its requests have taken ``http.host_budget`` seconds in all, a server's
remaining addresses fail at once with one cause (feed summaries stand in), instead of each
waiting its timeout.

Address policy (SSRF): the operator chooses the sources, but feed items and redirects
point wherever the feed's author likes, including ``http://169.254.169.254/`` or an
intranet service. So an address the operator named (a source URL) is trusted for its
host and port; any other URL that resolves to a loopback, private, link-local or
otherwise non-public address is refused unless ``http.allow_private = true``. The check
resolves the name before the request, so a DNS answer that changes between the check
and the connection (rebinding) is not covered; run the briefing where such addresses
hold nothing sensitive if that matters.

The cache keeps each 200 response with its ``ETag``/``Last-Modified`` and revalidates
with a conditional GET, so re-running an edition transfers no bodies the server says
are unchanged. Each use refreshes an entry's modification time, and entries unused for
``http.cache_days`` are deleted (``Cache.prune``), so the folder holds what recent runs
read rather than every page ever linked.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .config import HttpConfig
from .errors import InputError

__all__ = ["Cache", "FetchError", "FetchStats", "Fetcher", "Response", "host_port"]

SCHEMES = ("http", "https")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Accept header: feeds first, then pages; servers that negotiate pick something we read.
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.1"


class FetchError(InputError):
    """One address could not be fetched; ``cause`` is the short reason for the health box;
    ``unreachable`` when the host did not answer (a timeout or a failed connection)."""

    def __init__(self, url: str, cause: str, *, unreachable: bool = False) -> None:
        super().__init__(f"{url}: {cause}")
        self.url = url
        self.cause = cause
        self.unreachable = unreachable


@dataclass(frozen=True)
class Response:
    """A finished 2xx response (or its cached copy after a 304)."""

    url: str  # the address asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    content: bytes
    from_cache: bool = False


@dataclass
class FetchStats:
    """Counts for the benchmark and the cache tests; updated under the fetcher's lock."""

    requests: int = 0
    downloads: int = 0
    not_modified: int = 0
    bytes: int = 0
    skipped: int = 0  # addresses not requested: their host gave up (host_failures, host_budget)


@dataclass
class _HostRecord:
    """What one host has cost this run, for the per-host limits on time."""

    failures: int = 0  # timeouts and connection failures in a row
    spent: float = 0.0  # seconds of requests


@dataclass(frozen=True)
class _Redirect:
    location: str


def host_port(url: str) -> tuple[str, int]:
    """The (host, port) an address connects to, the unit of trust and of politeness."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[bad": no host to trust or to be polite to; get() refuses it
        return "", 0
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or (443 if parts.scheme == "https" else 80)


class Cache:
    """Responses on disk, one file each: a JSON line of metadata, then the body."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, url: str) -> Path:
        return self.folder / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.http"

    def load(self, url: str) -> tuple[dict[str, str], bytes] | None:
        """Metadata and body, or None when absent or unreadable (a damaged entry is a miss).
        A hit counts as a use: its modification time is what ``prune`` goes by."""
        path = self._path(url)
        try:
            head, _, body = path.read_bytes().partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError):
            return None
        with suppress(OSError):  # a read-only cache is still a cache
            os.utime(path)
        return (meta, body) if isinstance(meta, dict) else None

    def prune(self, days: int, now: float | None = None) -> int:
        """Delete entries (and temporary files a crash left) unused for ``days``; 0 keeps all.
        Returns how many went; a folder that cannot be read or cleaned is left as it is."""
        if days <= 0:
            return 0
        cutoff = (time.time() if now is None else now) - days * 86400
        removed = 0
        try:
            paths = [p for p in self.folder.iterdir() if p.suffix in (".http", ".part")]
        except OSError:
            return 0
        for path in paths:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def store(self, url: str, response: httpx.Response, body: bytes) -> None:
        meta = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "content_type": response.headers.get("content-type", ""),
        }
        if meta["etag"] or meta["last_modified"]:
            self._write(self._path(url), json.dumps(meta).encode("utf-8") + b"\n" + body)

    def _write(self, path: Path, data: bytes) -> None:
        """Atomic (rename) but not fsynced, unlike fsutil: a cache entry lost in a crash is
        only a miss, and 200 fsyncs cost a sixth of a cold run (bench/fetch.py). A cache
        folder that cannot be written is no reason to fail a fetch, so errors are ignored."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


@dataclass
class Fetcher:
    """GET with limits, address policy, cache and per-host politeness; thread-safe."""

    http: HttpConfig
    cache: Cache | None = None
    stats: FetchStats = field(default_factory=FetchStats)

    def __post_init__(self) -> None:
        limits = httpx.Limits(max_connections=self.http.concurrency, max_keepalive_connections=self.http.concurrency)
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.http.timeout),
            follow_redirects=False,  # every hop is checked by us
            headers={"User-Agent": self.http.user_agent, "Accept": ACCEPT},
            transport=_deadline_transport(limits),
            trust_env=False,  # no proxies or .netrc from the environment: config is the only input
        )
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._records: dict[str, _HostRecord] = {}  # by "host:port"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, trusted: frozenset[tuple[str, int]] = frozenset()) -> Response:
        """The body at ``url`` after at most ``http.max_redirects`` checked redirects.

        ``trusted`` holds the (host, port) pairs the operator named, which may be private.
        """
        current = url
        for _ in range(self.http.max_redirects + 1):
            self._check_address(current, trusted)
            with self._host_slot(host_port(current)[0]):
                outcome = self._timed_request(url, current)
            if isinstance(outcome, Response):
                return outcome
            current = outcome.location
        raise FetchError(url, f"redirect: more than {self.http.max_redirects} redirects")

    def get_many(self, urls: Sequence[str], trusted: frozenset[tuple[str, int]] = frozenset()) -> list[Response | FetchError]:
        """Every address fetched, in order, failures returned rather than raised.

        Each host's addresses are dealt into ``per_host`` lanes fetched one after another,
        and at most ``concurrency`` lanes run at once: no worker ever sits blocked on a busy
        host while another host waits (blocked workers made a feed dominated by one host
        30% slower to fetch).
        """
        results: list[Response | FetchError | None] = [None] * len(urls)

        def run_lane(lane: list[int]) -> None:
            for i in lane:
                try:
                    results[i] = self.get(urls[i], trusted)
                except FetchError as exc:
                    results[i] = exc

        lanes = _lanes(urls, max(1, self.http.per_host))
        if lanes:
            with ThreadPoolExecutor(max_workers=max(1, min(self.http.concurrency, len(lanes)))) as pool:
                list(pool.map(run_lane, lanes))
        return [r for r in results if r is not None]

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._hosts.setdefault(host, threading.BoundedSemaphore(max(1, self.http.per_host)))
        with slot:
            yield

    def _timed_request(self, url: str, current: str) -> Response | _Redirect:
        """The request, unless its server (host and port: a stalled port says nothing of the
        others) has been given up this run; its time and outcome counted."""
        host, port = host_port(current)
        with self._lock:
            record = self._records.setdefault(f"{host}:{port}", _HostRecord())
            cause = self._given_up(f"{host}:{port}", record)
            if cause:
                self.stats.skipped += 1
        if cause:
            raise FetchError(url, cause)
        started = time.monotonic()
        try:
            outcome = self._request(url, current)
        except FetchError as exc:
            self._tally(record, started, unreachable=exc.unreachable)
            raise
        self._tally(record, started, unreachable=False)
        return outcome

    def _given_up(self, host: str, record: _HostRecord) -> str:
        """Why the host's next address is not fetched, or "" (the cause is the same for all of
        them, so the health box groups them into one line)."""
        if self.http.host_failures and record.failures >= self.http.host_failures:
            return (f"not fetched: {host} timed out or refused the connection {self.http.host_failures} times "
                    "in a row (http.host_failures)")
        if self.http.host_budget and record.spent >= self.http.host_budget:
            return f"not fetched: {host} has used its {self.http.host_budget:g} s of requests (http.host_budget)"
        return ""

    def _tally(self, record: _HostRecord, started: float, *, unreachable: bool) -> None:
        with self._lock:
            record.spent += time.monotonic() - started
            record.failures = record.failures + 1 if unreachable else 0

    def _check_address(self, url: str, trusted: frozenset[tuple[str, int]]) -> None:
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # feed links are anyone's text: "http://[bad" must not end the run
            raise FetchError(url, f"refused: not a valid address ({exc})") from None
        if parts.scheme.lower() not in SCHEMES:
            raise FetchError(url, f"refused: scheme {parts.scheme or '(none)'!r} is not http or https")
        if not parts.hostname:
            raise FetchError(url, "refused: no host in the address")
        target = host_port(url)
        if self.http.allow_private or target in trusted:
            return
        for address in _resolve(url, *target):
            if not address.is_global:
                raise FetchError(
                    url,
                    f"refused: {target[0]} is a non-public address ({address}); "
                    "set http.allow_private = true to allow",
                )

    def _request(self, url: str, current: str) -> Response | _Redirect:
        cached = self.cache.load(current) if self.cache else None
        deadline = time.monotonic() + self.http.timeout
        _deadline.at = deadline
        try:
            with self._client.stream("GET", current, headers=_validators(cached)) as response:
                self._count(requests=1)
                if response.status_code == 304 and cached:
                    self._count(not_modified=1)
                    meta, body = cached
                    return Response(url, current, 200, meta.get("content_type", ""), body, from_cache=True)
                if response.status_code in REDIRECTS:
                    return _Redirect(_location(url, current, response))
                if response.status_code >= 400:
                    raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
                if not 200 <= response.status_code < 300:
                    raise FetchError(url, f"HTTP {response.status_code}: unexpected status")
                body = self._read_body(url, response, deadline)
        except httpx.TimeoutException:
            raise FetchError(url, f"timeout after {self.http.timeout:g} s", unreachable=True) from None
        except httpx.ConnectError as exc:
            raise FetchError(url, _connect_cause(exc, current), unreachable=True) from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"protocol error: {exc}") from None
        except httpx.InvalidURL as exc:  # also raised for a malformed Location header
            raise FetchError(url, f"refused: invalid address in the request or a redirect ({exc})") from None
        finally:
            _deadline.at = None
        if self.cache:
            self.cache.store(current, response, body)
        self._count(downloads=1, bytes=len(body))
        return Response(url, current, response.status_code, response.headers.get("content-type", ""), body)

    def _read_body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        """The body, stopped at ``max_bytes`` (decoded size, so gzip cannot slip past) or the deadline."""
        limit = self.http.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"too large: {int(declared):,} bytes declared (limit {limit:,})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(url, f"too large: more than {limit:,} bytes (limit http.max_bytes)")
            if time.monotonic() > deadline:
                raise FetchError(url, f"timeout: body not complete after {self.http.timeout:g} s", unreachable=True)
            chunks.append(chunk)
        return b"".join(chunks)

    def _count(self, **amounts: int) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self.stats, name, getattr(self.stats, name) + amount)


def _lanes(urls: Sequence[str], per_host: int) -> list[list[int]]:
    """Indices of ``urls`` dealt round-robin into ``per_host`` lanes per host, hosts interleaved."""
    by_host: dict[str, list[int]] = {}
    for i, url in enumerate(urls):
        by_host.setdefault(host_port(url)[0], []).append(i)
    return [indices[k::per_host] for k in range(per_host) for indices in by_host.values() if indices[k::per_host]]


#: The deadline of the request the current thread is making (``time.monotonic()``), or None.
_deadline = threading.local()


def _until_deadline(timeout: float | None) -> float | None:
    """The wait allowed for one read, write or connect: httpx's per-operation timeout, but
    never past the deadline of the whole request."""
    deadline = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("the answer did not complete before the deadline")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _until_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _until_deadline(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[no-untyped-def]
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _until_deadline(timeout)))

    def get_extra_info(self, info: str):  # type: ignore[no-untyped-def]
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpx times each read, not the whole answer: a server sending its headers one byte
    at a time, each within the timeout, held a fetch for hours (h11 allows 16 kB of
    headers). Connections made here wait for nothing past the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        stream = self._inner.connect_tcp(host, port, _until_deadline(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # type: ignore[no-untyped-def]
        return _DeadlineStream(self._inner.connect_unix_socket(path, _until_deadline(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's transport with the deadline backend; httpx 0.28 has no public hook for a
    network backend, so it is set on the connection pool (checked by the header-drip test)."""
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    pool = transport._pool  # noqa: SLF001
    pool._network_backend = _DeadlineBackend(pool._network_backend)  # noqa: SLF001
    return transport


def _validators(cached: tuple[dict[str, str], bytes] | None) -> dict[str, str]:
    if not cached:
        return {}
    meta = cached[0]
    headers = {"If-None-Match": meta.get("etag", ""), "If-Modified-Since": meta.get("last_modified", "")}
    return {k: v for k, v in headers.items() if v}


def _location(url: str, current: str, response: httpx.Response) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchError(url, f"redirect: HTTP {response.status_code} without a Location")
    target = urljoin(current, location)
    if urlsplit(target).scheme.lower() not in SCHEMES:
        raise FetchError(url, f"refused: redirect to {urlsplit(target).scheme or 'a relative'!s}: address ({target[:80]})")
    return target


def _resolve(url: str, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host name resolves to (IPv4-mapped IPv6 seen as IPv4)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        infos = [(None, None, None, None, (str(literal), port))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(url, f"DNS: cannot resolve {host} ({getattr(exc, 'strerror', None) or exc})") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def _connect_cause(exc: httpx.ConnectError, current: str) -> str:
    """DNS failures and refused connections look alike in httpx; the cause chain tells them apart."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"DNS: cannot resolve {host_port(current)[0]} ({cause.strerror or cause})"
        cause = cause.__cause__ or cause.__context__
    return f"connection failed: {exc}"
