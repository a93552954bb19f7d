"""Render a Briefing as a PDF, a standalone HTML document (e-mail body) and plain text.

The look lives in ``templates/`` (Jinja2 + CSS), not here: this module only picks the
sections a reader asked for, hands the values to a template and, for the PDF, to
WeasyPrint. Article text is untrusted, so HTML templates are autoescaped, every printed
value is stripped of control characters, only http(s) links are emitted, and WeasyPrint
may read nothing but files inside the templates folder.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from . import __version__
from .config import FORMATS, RenderConfig
from .errors import RenderError
from .fsutil import atomic_write_bytes
from .models import Briefing, KeySentence, SectionDigest

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

__all__ = [
    "FORMATS",
    "check_pdf_backend",
    "output_path",
    "render_html",
    "render_pdf",
    "render_text",
    "select_sections",
    "template_fetcher",
    "templates_dir",
    "write_outputs",
]

HTML_TEMPLATE = "email.html.j2"
PDF_TEMPLATE = "print.html.j2"
TEXT_TEMPLATE = "briefing.txt.j2"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
TEXT_WIDTH = 78
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MISSING_LIBRARY = re.compile(r"cannot load library '([^']+)'")


def templates_dir(config: RenderConfig) -> Path:
    """The theme folder: the configured one, else the copy an install ships inside the
    package (``briefing/templates``, beside this module whatever the install form:
    a prefix, ``--user`` or ``--target`` folder), else the checkout's ``templates/``
    (source tree or editable install), which that copy is made from."""
    if config.templates_dir is not None:
        return config.templates_dir
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    return installed if installed.is_dir() else here.parent / "templates"


def render_html(briefing: Briefing, config: RenderConfig, sections: Sequence[str] | None = None) -> str:
    """A self-contained HTML document with inline styles, fit to be an e-mail body."""
    return _render(HTML_TEMPLATE, briefing, config, sections)


def render_text(briefing: Briefing, config: RenderConfig, sections: Sequence[str] | None = None) -> str:
    """The same content as plain text wrapped at 78 columns, for the text/plain part."""
    return _render(TEXT_TEMPLATE, briefing, config, sections)


def render_pdf(briefing: Briefing, config: RenderConfig, sections: Sequence[str] | None = None) -> bytes:
    """A paginated A4 PDF (tagged PDF/UA-1 by default) with contents, bookmarks and metadata."""
    weasyprint = _load_weasyprint()
    root = templates_dir(config)
    variant = config.pdf_variant or None
    if variant is not None and variant not in weasyprint.pdf.VARIANTS:
        known = ", ".join(sorted(weasyprint.pdf.VARIANTS))
        raise RenderError(f"render.pdf_variant {variant!r} is unknown (choose one of {known}, or \"\")")
    html = _render(PDF_TEMPLATE, briefing, config, sections)
    document = weasyprint.HTML(string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=template_fetcher(root))
    return document.write_pdf(pdf_variant=variant)


def output_path(out_dir: Path, edition: date, fmt: str) -> Path:
    """Where ``write_outputs`` puts one format of an edition: ``briefing-YYYY-MM-DD.<fmt>``."""
    return out_dir / f"briefing-{edition.isoformat()}.{fmt}"


def write_outputs(briefing: Briefing, out_dir: Path, formats: Sequence[str], config: RenderConfig) -> list[Path]:
    """Render every format before writing any, then write each atomically, so a failed
    render leaves the previous files of the edition untouched."""
    wanted = list(dict.fromkeys(formats))
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown:
        raise RenderError(f"unknown output format {', '.join(map(repr, unknown))} (choose from {', '.join(FORMATS)})")
    renderers = {
        "pdf": lambda: render_pdf(briefing, config),
        "html": lambda: render_html(briefing, config).encode("utf-8"),
        "txt": lambda: render_text(briefing, config).encode("utf-8"),
    }
    rendered = {fmt: renderers[fmt]() for fmt in wanted}
    return [write_output(output_path(out_dir, briefing.edition, fmt), data) for fmt, data in rendered.items()]


def write_output(path: Path, data: bytes) -> Path:
    """One output file, atomically; a folder that cannot be made or written is one error line."""
    try:
        return atomic_write_bytes(path, data)
    except OSError as exc:
        raise RenderError(f"{path}: cannot write ({exc.strerror or exc})") from None


def check_pdf_backend() -> None:
    """Fail early, with the package to install, when WeasyPrint cannot load Pango."""
    _load_weasyprint()


def template_fetcher(root: Path) -> URLFetcher:
    """A WeasyPrint URL fetcher that reads files inside ``root`` and refuses everything
    else (http, https, data:, files outside, symlinks leading out), so neither a template
    nor anything that slips into one can reach the network or the rest of the disk."""
    from weasyprint.urls import URLFetcher

    allowed = root.resolve()

    class TemplateFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return super().fetch(_template_file(allowed, url).as_uri(), headers)

    return TemplateFetcher(allowed_protocols=("file",), allow_redirects=False)


def _template_file(root: Path, url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise PermissionError(f"refused to fetch {url!r}: only files in the templates folder may be read")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(root):
        raise PermissionError(f"refused to read {path}: it is outside the templates folder {root}")
    return path


def _load_weasyprint() -> Any:
    """Import WeasyPrint on first use: it costs start-up time and needs Pango, which
    commands that never render a PDF should not depend on."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints its own help text
            import weasyprint
            import weasyprint.pdf
    except OSError as exc:
        found = _MISSING_LIBRARY.search(str(exc))
        library = found.group(1) if found else "libpango-1.0-0"
        raise RenderError(
            f"PDF rendering needs Pango, but {library} is missing: apt-get install -y {PANGO_PACKAGES} "
            f"(or render only html/txt) [{exc}]"
        ) from None
    return weasyprint


def _render(name: str, briefing: Briefing, config: RenderConfig, sections: Sequence[str] | None) -> str:
    root = templates_dir(config)
    try:
        template = _environment(root.resolve()).get_template(name)
        return template.render(
            briefing=select_sections(briefing, sections), config=config, version=__version__, zone=edition_zone(briefing)
        )
    except TemplateError as exc:
        raise RenderError(f"{root / name}: {exc}") from None


def select_sections(briefing: Briefing, sections: Sequence[str] | None) -> Briefing:
    """The edition cut down to ``sections`` (ids not in the edition are ignored), with only
    the sources those sections cite, renumbered in order of first citation like the full one."""
    if sections is None:
        return briefing
    wanted = set(sections)
    kept = tuple(s for s in briefing.sections if s.id in wanted)
    numbers: dict[int, int] = {}
    for digest in kept:
        for sentence in digest.sentences:
            for old in (*sentence.citations, *sentence.also):
                numbers.setdefault(old, len(numbers) + 1)
    sources = sorted(
        (replace(ref, number=numbers[ref.number]) for ref in briefing.sources if ref.number in numbers),
        key=lambda ref: ref.number,
    )
    return replace(briefing, sections=tuple(_renumbered(d, numbers) for d in kept), sources=tuple(sources))


def _renumbered(digest: SectionDigest, numbers: dict[int, int]) -> SectionDigest:
    sentences: tuple[KeySentence, ...] = tuple(
        replace(s, citations=tuple(numbers[n] for n in s.citations), also=tuple(numbers[n] for n in s.also))
        for s in digest.sentences
    )
    return replace(digest, sentences=sentences)


@lru_cache(maxsize=8)
def _environment(root: Path) -> Environment:
    if not root.is_dir():
        raise RenderError(f"{root}: templates folder not found (set render.templates_dir)")
    env = Environment(
        loader=FileSystemLoader(root),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"),
            disabled_extensions=("txt.j2",),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        finalize=_printable,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({f.__name__: f for f in (long_date, clock, stamp, period, w3c, web_url, hang)})
    return env


def _printable(value: Any) -> Any:
    """Every printed value loses control characters (terminal escapes in the text output,
    characters XML and PDF cannot carry); newlines and tabs stay. ``type(value)`` keeps a
    macro's Markup from being escaped a second time."""
    return type(value)(_CONTROL.sub("", value)) if isinstance(value, str) else value


def edition_zone(briefing: Briefing) -> tzinfo:
    """The time zone the edition is made in: its window's, else its generated time's."""
    moment = briefing.window[1] if briefing.window else briefing.generated_at
    return _aware(moment).tzinfo  # type: ignore[return-value] - an aware time has one


def _aware(moment: datetime) -> datetime:
    """Naive times are taken as UTC, so every printed time names its zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def long_date(day: date) -> str:
    """``Wednesday 25 November 2026``: unambiguous for readers on either side of the Atlantic."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def clock(moment: datetime) -> str:
    moment = _aware(moment)
    return f"{moment:%H:%M} {moment.tzname()}"


def stamp(moment: datetime, zone: tzinfo | None = None) -> str:
    """``24 Nov 2026, 14:05 UTC``: a source's time (shown in ``zone``, the edition's, so
    a list of sources never mixes offsets) or the generated time."""
    moment = _aware(moment) if zone is None else _aware(moment).astimezone(zone)
    return f"{moment.day} {moment:%b %Y}, {clock(moment)}"


def period(window: tuple[datetime, datetime]) -> str:
    """``24 Nov 06:00 – 25 Nov 2026, 06:00 UTC``: the hours an edition covers."""
    end = _aware(window[1])
    start = _aware(window[0]).astimezone(end.tzinfo)
    return f"{start.day} {start:%b %H:%M} – {stamp(end)}"


def w3c(moment: datetime) -> str:
    """The W3C date-time WeasyPrint turns into the PDF's /CreationDate."""
    return _aware(moment).isoformat(timespec="seconds")


def web_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address; anything else (``javascript:``,
    ``file:``, relative, or with white space inside, which would add lines of its own
    to the text edition) is never turned into a link or printed."""
    if not url or any(c.isspace() for c in url.strip()):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def hang(text: str, first: str = "", rest: str | None = None, width: int = TEXT_WIDTH) -> str:
    """Wrap ``text`` to ``width`` with a first-line prefix and a hanging indent; long words
    such as URLs are never broken, so they stay clickable in a terminal or mail client."""
    return textwrap.fill(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
