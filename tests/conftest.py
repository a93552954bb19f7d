"""Shared test set-up: the loopback HTTP server fixture (tests/http_server.py), and a
hypothesis profile that judges examples, not the machine's speed (CI shares its 2 cores)."""

from hypothesis import HealthCheck, settings

pytest_plugins = ["http_server"]

settings.register_profile("briefing", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("briefing")
