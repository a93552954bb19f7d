"""Per-subscriber variants of an edition, each rendered once however many subscribers share it.

A PDF render takes about a second, so ``send`` groups subscribers by (sections, format)
and renders each group's text, HTML and PDF once; the whole edition's PDF that the same
run has just built is reused rather than rendered again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
        pdf, notice = (self._attachment(variant) if variant.format == "pdf" else (None, None))
        return Rendering(
            subject=subject_line(cut),
            text=render.render_text(self.briefing, self.config.render, sections=variant.sections),
            html=render.render_html(self.briefing, self.config.render, sections=variant.sections),
            pdf=pdf,
            notice=notice,
        )

    def _attachment(self, variant: Variant) -> tuple[bytes | None, str | None]:
        """The PDF, or None and the notice saying why it is not attached (too big)."""
        pdf = self._pdf(variant)
        limit = self.config.mail.max_attachment_mb
        if len(pdf) <= limit * MEGABYTE:
            return pdf, None
        size = f"{len(pdf) / MEGABYTE:.1f} MB"
        self.warn(f"the PDF for {variant.describe()} is {size}, over mail.max_attachment_mb = {limit:g}: "
                  "sending the HTML body with a link instead")
        notice = f"The PDF edition ({size}) is larger than this list's {limit:g} MB attachment limit, so it is not attached."
        link = self._pdf_link()
        return None, f"{notice} Read it at {link}" if link else f"{notice} The whole briefing is in this message."

    def _pdf(self, variant: Variant) -> bytes:
        from .. import render

        if variant.sections is None and self.built_pdf is not None:
            return self.built_pdf.read_bytes()
        self.pdf_renders += 1
        return render.render_pdf(self.briefing, self.config.render, sections=variant.sections)

    def _pdf_link(self) -> str | None:
        template = self.config.mail.pdf_url
        if not template:
            return None
        return template.replace("{file}", f"briefing-{self.briefing.edition.isoformat()}.pdf")
