"""Unsubscribing: the RFC 8058 one-click POST against a real wsgiref server on 127.0.0.1,
the confirmation page on GET, and `briefing unsubscribe TOKEN`."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.deliver.db import Database
from briefing.deliver.store import SubscriberStore
from briefing.deliver.tokens import TokenSigner
from briefing.deliver.webapp import app_from_config
from smtp_server import delivery_config, delivery_env

pytestmark = pytest.mark.timeout(60)
SECTIONS = ("diplomacy", "military", "domestic")


class Silent(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def wsgi_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, handler_class=Silent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def request(url: str, data: bytes | None = None, content_type: str = "application/x-www-form-urlencoded"):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, response.read().decode("utf-8"), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8"), exc.headers


def subscribe(config, *emails: str) -> dict[str, str]:
    signer = TokenSigner.from_config(config.mail)
    with Database(config.data_dir) as db:
        store = SubscriberStore(db, SECTIONS)
        return {email: signer.token(store.add(email).id, email) for email in emails}


def status(config, email: str) -> str:
    with Database(config.data_dir) as db:
        return SubscriberStore(db, SECTIONS).require(email).status


def test_one_click_post_unsubscribes_only_that_subscriber(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25)
    tokens = subscribe(config, "ana@example.org", "bob@example.org")
    with wsgi_server(app_from_config(config)) as base:
        url = f"{base}/unsubscribe/{tokens['ana@example.org']}"
        code, page, headers = request(url)
        assert code == 200 and 'method="post"' in page
        assert status(config, "ana@example.org") == "active"  # a GET (link preview) changes nothing
        assert headers["Referrer-Policy"] == "no-referrer"

        code, page, _ = request(url, b"List-Unsubscribe=One-Click")
        assert code == 200 and "Unsubscribed" in page
        assert request(url, b"List-Unsubscribe=One-Click")[0] == 200  # a second click is harmless
    assert status(config, "ana@example.org") == "unsubscribed"
    assert status(config, "bob@example.org") == "active"


def test_one_click_as_multipart_and_under_a_prefix_with_query_token(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25)
    tokens = subscribe(config, "ana@example.org")
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n')
    with wsgi_server(app_from_config(config)) as base:
        code, _, _ = request(f"{base}/mail/u?token={tokens['ana@example.org']}", body, "multipart/form-data; boundary=XyZ")
    assert code == 200 and status(config, "ana@example.org") == "unsubscribed"


def test_forged_or_incomplete_requests_change_nothing(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25)
    tokens = subscribe(config, "ana@example.org", "bob@example.org")
    ana = tokens["ana@example.org"]
    bob_id = tokens["bob@example.org"].split(".")[0]
    with wsgi_server(app_from_config(config)) as base:
        assert request(f"{base}/unsubscribe/{bob_id}.{ana.split('.')[1]}", b"List-Unsubscribe=One-Click")[0] == 400
        assert request(f"{base}/unsubscribe/{ana[:-2]}xx", b"List-Unsubscribe=One-Click")[0] == 400
        assert request(f"{base}/unsubscribe/{ana}", b"something=else")[0] == 400
        assert request(f"{base}/elsewhere", b"List-Unsubscribe=One-Click")[0] == 404
    assert status(config, "ana@example.org") == status(config, "bob@example.org") == "active"


def test_cli_unsubscribe_token(tmp_path: Path) -> None:
    config = delivery_config(tmp_path, 25)
    tokens = subscribe(config, "ana@example.org")
    env = {"BRIEFING_CONFIG": "", **delivery_env(tmp_path / "data", tmp_path / "out", 25)}
    bad = CliRunner().invoke(main, ["unsubscribe", "1.AAAAAAAAAAAAAAAAAAAAAA"], env=env)
    assert bad.exit_code == 2 and "invalid unsubscribe token" in bad.stderr
    good = CliRunner().invoke(main, ["unsubscribe", tokens["ana@example.org"]], env=env)
    assert good.exit_code == 0 and good.stdout == "ana@example.org: unsubscribed\n"
    assert status(config, "ana@example.org") == "unsubscribed"


def test_server_on_a_port_in_use_is_one_line_exit_2(tmp_path: Path) -> None:
    import socket

    env = {"BRIEFING_CONFIG": "", **delivery_env(tmp_path / "data", tmp_path / "out", 25)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["unsubscribe-server", "--port", str(port)], env=env)
    assert result.exit_code == 2 and result.stderr == f"error: 127.0.0.1:{port}: cannot listen (Address already in use)\n"
