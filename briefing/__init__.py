"""briefing: turn the day's news into a sectioned, cited briefing (PDF, HTML, text) and e-mail it."""

__version__ = "0.1.0"
__all__ = ["__version__"]
