"""Named exceptions, so callers (and the CLI's exit codes) can tell failures apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import SourceHealth


class BriefingError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1


class ConfigError(BriefingError):
    """The configuration file, an environment variable or a flag is invalid."""

    exit_code = 2


class InputError(BriefingError):
    """One input (file, feed, page) cannot be used; the run goes on without it. When a
    command cannot go on without it (the archive ``send --date`` reads, an evaluation
    file, a CSV to import), it ends the run as "no usable input"."""

    exit_code = 3


class NoArticlesError(BriefingError):
    """Nothing usable was found in any input, so there is no edition to make."""

    exit_code = 3

    def __init__(self, message: str, health: tuple[SourceHealth, ...] = ()) -> None:
        super().__init__(message)
        #: what each source did: a run that found nothing still reports every source
        self.health = health


class RenderError(BriefingError):
    """The briefing could not be rendered (for example, Pango is missing)."""

    exit_code = 4


class OutputError(BriefingError):
    """A file the user asked for (an export, a JSON report) cannot be written there."""

    exit_code = 4


class DeliveryError(BriefingError):
    """Some messages could not be delivered; they stay pending in the ledger."""

    exit_code = 5
