"""A small WSGI app for unsubscribing: RFC 8058 one-click POST, and a confirmation page on GET.

GET never unsubscribes: mail scanners and link previewers fetch every URL in a message,
so GET only shows a button that POSTs. The POST body must be ``List-Unsubscribe=One-Click``
(what mail providers send for the ``List-Unsubscribe-Post`` header, and what the button sends).
The token is the last path segment (``/unsubscribe/<token>``) or a ``token`` query
parameter, so the app works under any prefix a WSGI server mounts it at.

    briefing unsubscribe-server --port 8025                       (wsgiref, local)
    gunicorn 'briefing.deliver.webapp:app_from_environment()'     (any WSGI server)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..config import Config, load_config
from .db import Database
from .service import unsubscribe
from .store import SubscriberStore
from .tokens import InvalidToken, TokenSigner

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
MAX_BODY = 4096
ONE_CLICK = "List-Unsubscribe=One-Click"
SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),  # the token is in the URL
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
]


class UnsubscribeApp:
    """Opens the database per request, so it can run in any threaded or forking WSGI server."""

    def __init__(self, data_dir: Path, signer: TokenSigner, section_ids: Iterable[str] = ()) -> None:
        self.data_dir = data_dir
        self.signer = signer
        self.section_ids = tuple(section_ids)

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        token = _token(environ)
        if not token:
            return _page(start_response, "404 Not Found", "Not found", "There is nothing here.")
        if method in ("GET", "HEAD"):
            return _confirmation(start_response, environ)
        if method != "POST":
            return _page(start_response, "405 Method Not Allowed", "Not allowed", "Use the button on the page.",
                         [("Allow", "GET, HEAD, POST")])
        if not _one_click(environ):
            return _page(start_response, "400 Bad Request", "Not unsubscribed",
                         f"The request must carry {ONE_CLICK}.")
        try:
            with Database(self.data_dir) as db:
                unsubscribe(SubscriberStore(db, self.section_ids), self.signer, token)
        except InvalidToken:
            return _page(start_response, "400 Bad Request", "Not unsubscribed",
                         "This unsubscribe link is not valid. Reply to the briefing to be removed by hand.")
        return _page(start_response, "200 OK", "Unsubscribed", "You will not receive the briefing any more.")


def app_from_config(config: Config) -> UnsubscribeApp:
    return UnsubscribeApp(config.data_dir, TokenSigner.from_config(config.mail), [s.id for s in config.sections])


def app_from_environment() -> UnsubscribeApp:
    """For WSGI servers: the configuration from $BRIEFING_CONFIG and BRIEFING_* variables."""
    return app_from_config(load_config())


def _token(environ: Environ) -> str:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("token"):
        return query["token"][0]
    segments = [s for s in environ.get("PATH_INFO", "").split("/") if s]
    return segments[-1] if len(segments) >= 2 and segments[-2] == "unsubscribe" else ""


def _one_click(environ: Environ) -> bool:
    """RFC 8058 lets the client send the field urlencoded or as multipart/form-data."""
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    except ValueError:
        length = 0
    body = (environ["wsgi.input"].read(length) if length > 0 else b"").decode("utf-8", "replace")
    if environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        return 'name="List-Unsubscribe"' in body and "One-Click" in body
    return parse_qs(body).get("List-Unsubscribe") == ["One-Click"]


def _confirmation(start_response: StartResponse, environ: Environ) -> list[bytes]:
    action = html.escape(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), quote=True)
    query = environ.get("QUERY_STRING", "")
    if query:
        action += "?" + html.escape(query, quote=True)
    form = (f'<form method="post" action="{action}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>')
    return _page(start_response, "200 OK", "Unsubscribe from the briefing?", form, raw=True)


def _page(start_response: StartResponse, status: str, title: str, body: str,
          extra: list[tuple[str, str]] | None = None, *, raw: bool = False) -> list[bytes]:
    content = body if raw else f"<p>{html.escape(body)}</p>"
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'<body style="font-family:sans-serif;max-width:32em;margin:3em auto;">'
            f"<h1>{html.escape(title)}</h1>{content}</body></html>").encode("utf-8")
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page))),
               *SECURITY_HEADERS, *(extra or [])]
    start_response(status, headers)
    return [page]
