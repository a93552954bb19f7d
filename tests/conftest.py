"""Fixtures shared across test modules: the loopback HTTP server (tests/http_server.py)."""

pytest_plugins = ["http_server"]
