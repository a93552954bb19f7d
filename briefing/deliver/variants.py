"""Per-subscriber variants of an edition, each rendered once however many subscribers share it.

A PDF render takes about a second, so ``send`` groups subscribers by (sections, format)
and renders each group's text, HTML and PDF once; the whole edition's PDF that the same
run has just built is reused rather than rendered again. A variant whose message would be
too big to send with its PDF gets, once, a copy without it and a notice saying why
(``Renderer.without_pdf``; the send decides when, see ``Outbox.message``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Config
from ..models import Briefing
from .message import Rendering, subject_line
from .store import Subscriber

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Variant:
    sections: tuple[str, ...] | None  # None = the whole edition
    format: str  # "pdf" or "html"

    def describe(self) -> str:
        return f"{', '.join(self.sections) if self.sections else 'all sections'} ({self.format})"


def variant_of(subscriber: Subscriber, configured: Sequence[str]) -> Variant:
    """The subscriber's preference, less any section no longer configured; when none is
    left they get the whole edition rather than an empty one."""
    kept = tuple(s for s in configured if subscriber.sections and s in subscriber.sections)
    return Variant(kept if kept and len(kept) < len(configured) else None, subscriber.format)


class Renderer:
    """Renders each variant on first request and keeps it; counts what it rendered."""

    def __init__(self, briefing: Briefing, config: Config, warn: Callable[[str], None],
                 built_pdf: Path | None = None) -> None:
        self.briefing = briefing
        self.config = config
        self.warn = warn
        self.built_pdf = built_pdf
        self.variants_rendered = 0
        self.pdf_renders = 0
        self._done: dict[Variant, Rendering] = {}

    def rendering(self, variant: Variant) -> Rendering:
        if variant not in self._done:
            self._done[variant] = self._render(variant)
            self.variants_rendered += 1
        return self._done[variant]

    def _render(self, variant: Variant) -> Rendering:
        from .. import render  # WeasyPrint loads only when something is sent

        cut = render.select_sections(self.briefing, variant.sections)
        return Rendering(
            subject=subject_line(cut),
            text=render.render_text(self.briefing, self.config.render, sections=variant.sections),
            html=render.render_html(self.briefing, self.config.render, sections=variant.sections),
            pdf=self._pdf(variant) if variant.format == "pdf" else None,
        )

    def without_pdf(self, variant: Variant, size: int, limit: int, over: str) -> Rendering:
        """The variant with its PDF left out and a notice saying so, for a message of ``size``
        bytes (as sent: the PDF base64-encoded) over ``limit``; ``over`` names that limit."""
        link = self._pdf_link()
        self.warn(f"the message for {variant.describe()} would be {human_size(size)} with its PDF, over {over} "
                  f"({human_size(limit)}): sending it without the PDF" + (", with a link instead" if link else ""))
        notice = (f"The PDF edition is not attached: with it this message would be {human_size(size)}, "
                  f"over the {human_size(limit)} that can be sent.")
        if link and variant.sections is None:
            notice += f" Read it at {link}"
        elif link:
            notice += f" The whole edition's PDF (every section, not only yours) is at {link}"
        elif variant.sections is None:
            notice += " The whole briefing is in this message."
        else:
            notice += " Your sections of the briefing are in this message."
        return replace(self.rendering(variant), pdf=None, notice=notice)

    def _pdf(self, variant: Variant) -> bytes:
        from .. import render

        if variant.sections is None and self.built_pdf is not None:
            return self.built_pdf.read_bytes()
        self.pdf_renders += 1
        return render.render_pdf(self.briefing, self.config.render, sections=variant.sections)

    def _pdf_link(self) -> str | None:
        """Where the whole edition's PDF is published (``mail.pdf_url``); there is no such
        place for a section subset, so its notice says the link is to every section."""
        template = self.config.mail.pdf_url
        if not template:
            return None
        return template.replace("{file}", f"briefing-{self.briefing.edition.isoformat()}.pdf")


def human_size(size: int) -> str:
    """``812 bytes``, ``41 kB``, ``2.4 kB``, ``10.0 MB``: enough digits to tell two sizes apart."""
    if size < 1024:
        return f"{size} bytes"
    if size < 10 * 1024:
        return f"{size / 1024:.1f} kB"
    if size < MEGABYTE:
        return f"{size / 1024:.0f} kB"
    return f"{size / MEGABYTE:.1f} MB"
