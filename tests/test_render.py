"""The render stage: HTML and text against golden files, the real PDF read back with pypdf,
the WeasyPrint URL fetcher against a live 127.0.0.1 server, and atomic output files.

Golden files live in tests/golden/. After an intended change to the templates, regenerate
them and review the diff before committing:

    BRIEFING_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_render.py
"""

from __future__ import annotations

import builtins
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from markupsafe import escape
from pypdf import PdfReader

from briefing.config import RenderConfig
from briefing.errors import RenderError
from briefing.health import grouped_errors
from briefing.models import Briefing, KeySentence, SectionDigest, SourceHealth, SourceRef
from briefing.render import (
    check_pdf_backend,
    output_path,
    render_html,
    render_pdf,
    render_text,
    select_sections,
    template_fetcher,
    templates_dir,
    write_outputs,
)

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("BRIEFING_REGEN_GOLDEN") == "1"
UTC = timezone.utc
HOSTILE = "Protesters chanted <script>alert(1)</script> and {{ 7*7 }} {% raw %}\x1b[31m outside the ministry."


def make_briefing() -> Briefing:
    """Three sections (one empty), six sources (one with a javascript: URL, one without a
    URL), hostile text in a sentence and a source title, and a frozen generated time."""
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    return Briefing(
        title="Daily Briefing",
        edition=date(2026, 11, 25),
        generated_at=datetime(2026, 11, 25, 6, 2, 30, tzinfo=UTC),
        sections=(
            SectionDigest("diplomacy", "Diplomacy", (
                KeySentence(
                    "Foreign ministers of Valdor and Tarvania agreed in Geneva to extend the ceasefire "
                    "along the northern border by ninety days.", (1, 2), new=True),
                KeySentence(
                    "The Northern Compact imposed sanctions on Dusmar's state shipping line after "
                    "inspectors found dual-use components in three cargoes.", (3,)),
            )),
            SectionDigest("military", "Military", (
                KeySentence(
                    "A drone strike hit a Tarvanian border post overnight, wounding two soldiers.", (4,), new=True),
                KeySentence(
                    "Kestrel's parliament approved a defence budget eight per cent larger than last year's.", (5, 1)),
                KeySentence(HOSTILE, (6,)),
            )),
            SectionDigest("domestic", "Domestic", ()),
        ),
        sources=(
            SourceRef(1, "a1", "Valdor and Tarvania extend truce", "Harrowgate Herald",
                      "https://herald.example/world/valdor-truce", noon + timedelta(hours=2)),
            SourceRef(2, "a2", "Ceasefire talks in Geneva", "Northern Wire", "http://wire.example/ceasefire", noon),
            SourceRef(3, "a3", "Compact sanctions on Dusmar", "Compact Daily", "javascript:alert(1)", None),
            SourceRef(4, "a4", "Drone strike on border post", "Brannock Times",
                      "https://times.example/drone", noon + timedelta(hours=11)),
            SourceRef(5, "a5", "Defence budget vote", "Kestrel Post", None, noon + timedelta(hours=5)),
            SourceRef(6, "a6", "<img src=x onerror=alert(2)> Protest", "Selvana Gazette",
                      "file:///etc/passwd", noon + timedelta(hours=8)),
        ),
        article_count=9,
        sentence_count=180,
        health=(
            SourceHealth("Harrowgate Herald", seen=12, in_window=4, used=2),
            SourceHealth("Kestrel Post", seen=3, in_window=1, used=1, errors=("timed out after 10 s",), stale=True),
        ),
        window=(datetime(2026, 11, 24, 6, 0, tzinfo=UTC), datetime(2026, 11, 25, 6, 0, tzinfo=UTC)),
    )


@pytest.fixture(scope="module")
def briefing() -> Briefing:
    return make_briefing()


@pytest.fixture(scope="module")
def config() -> RenderConfig:
    return RenderConfig()


@pytest.fixture(scope="module")
def pdf(briefing: Briefing, config: RenderConfig) -> PdfReader:
    return PdfReader(BytesIO(render_pdf(briefing, config)))


def flat(text: str) -> str:
    return " ".join(text.split())


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run BRIEFING_REGEN_GOLDEN=1 pytest {__file__}"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (see module docstring)"


# HTML ---------------------------------------------------------------------------------


def test_html_escapes_hostile_text(briefing: Briefing, config: RenderConfig) -> None:
    html = render_html(briefing, config)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "{{ 7*7 }}" in html and "{% raw %}" in html  # data, never evaluated
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img" not in html
    assert "\x1b" not in html


def test_html_links_only_to_web_sources_and_own_anchors(briefing: Briefing, config: RenderConfig) -> None:
    html = render_html(briefing, config)
    hrefs = re.findall(r'href="([^"]*)"', html)
    external = {h for h in hrefs if not h.startswith("#")}
    assert external == {"https://herald.example/world/valdor-truce", "http://wire.example/ceasefire",
                        "https://times.example/drone"}
    assert "javascript:" not in html and "file:" not in html
    anchors = set(re.findall(r'id="([^"]+)"', html))
    assert {h[1:] for h in hrefs if h.startswith("#")} <= anchors  # every citation lands somewhere


def test_html_is_self_contained(briefing: Briefing, config: RenderConfig) -> None:
    html = render_html(briefing, config)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    for fetching in ("<link", "src=", "url(", "@import", "<style"):
        assert fetching not in html.lower().replace("&lt;img src=", "")


def test_html_golden(briefing: Briefing, config: RenderConfig) -> None:
    check_golden("briefing.html", render_html(briefing, config))


# Text ---------------------------------------------------------------------------------


def test_text_wraps_cites_and_lists_sources(briefing: Briefing, config: RenderConfig) -> None:
    text = render_text(briefing, config)
    too_long = [line for line in text.splitlines() if len(line) > 78 and "://" not in line]
    assert too_long == []
    assert "[NEW] Foreign ministers" in text and "ninety days. [1][2]" in flat(text)
    assert "larger than last year's. [5][1]" in flat(text)
    assert "https://herald.example/world/valdor-truce" in text
    assert "javascript:" not in text and "file:///etc/passwd" not in text
    assert HOSTILE.replace("\x1b", "") in flat(text)  # literal, only the escape character gone
    assert "Nothing in today's sources was filed under Domestic." in text
    assert text.index("DIPLOMACY") < text.index("MILITARY") < text.index("DOMESTIC") < text.index("\nSOURCES")
    assert "Kestrel Post: timed out after 10 s" in text


def test_text_health_box_tells_two_feeds_of_one_host_apart(briefing: Briefing, config: RenderConfig) -> None:
    """A name longer than the 26-character column gets a line of its own, whole: cut to 26
    characters, these two both read ``http://127.0.0.1:8000/wor…``-like and cannot be told apart."""
    feeds = ("http://127.0.0.1:8000/world/rss.xml", "http://127.0.0.1:8000/world-politics/rss.xml")
    health = (*(SourceHealth(name, seen=3, in_window=2, used=1) for name in feeds), SourceHealth("Kestrel Post", seen=5))
    rows = render_text(replace(briefing, health=health), config).split("SOURCE HEALTH")[1].splitlines()[3:]
    assert rows[:5] == [
        f"  {feeds[0]}",
        f"  {'':26} {3:5d} {2:10d} {1:5d} {0:7d}  -",
        f"  {feeds[1]}",
        f"  {'':26} {3:5d} {2:10d} {1:5d} {0:7d}  -",
        f"  {'Kestrel Post':26} {5:5d} {0:10d} {0:5d} {0:7d}  -",
    ]


def test_health_errors_are_few_lines_in_every_format(briefing: Briefing, config: RenderConfig) -> None:
    """500 failed pages of one feed are one grouped line, three addresses and a count, not 47 kB."""
    cause = "HTTP 404 Not Found; using the feed's summary instead"
    errors = grouped_errors([(f"http://flaky.example/p{i}.html", cause) for i in range(500)])
    capped = replace(briefing, health=(SourceHealth("Flaky", seen=500, in_window=500, errors=errors, error_count=500),))
    line = f"500 × {cause}: http://flaky.example/p0.html, http://flaky.example/p1.html, http://flaky.example/p2.html and 497 more"
    assert errors == (line,)
    box = render_text(capped, config).split("SOURCE HEALTH")[1]
    assert len(box) < 600 and line in flat(box) and f"{500:7d}  -" in box
    html = render_html(capped, config)
    assert str(escape(line)) in flat(html) and "p3.html" not in html and ">500</td>" in html
    pdf = flat(" ".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(capped, config))).pages))
    assert "and 497 more" in pdf and "p3.html" not in pdf


def test_other_outlets_of_a_story_follow_the_citations_in_every_format(
    briefing: Briefing, config: RenderConfig, tmp_path: Path
) -> None:
    """A sentence cites the outlets that carried it; the story's other outlets are "also"."""
    from briefing.archive import load_briefing, save_briefing

    first = briefing.sections[0]
    also = replace(briefing, sections=(replace(first, sentences=(replace(first.sentences[1], also=(1,)),)),
                                       *briefing.sections[1:]))
    assert load_briefing(save_briefing(also, tmp_path / "briefing.json")).sections == also.sections  # send renders these
    assert "dual-use components in three cargoes. [3] (also [1])" in flat(render_text(also, config))
    html = render_html(also, config)
    assert re.search(r'>\[3\]</a> \(also <a class="cite" href="#source-1"[^>]*>\[1\]</a>\)', html)
    pdf = flat(" ".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(also, config))).pages))
    assert "(also [1])" in pdf
    diplomacy = select_sections(also, ["diplomacy"])  # renumbered: [3] is met first, then [1]
    assert [(k.citations, k.also) for k in diplomacy.sections[0].sentences] == [((1,), (2,))]
    assert [ref.article_id for ref in diplomacy.sources] == ["a3", "a1"]


def test_outlets_beyond_those_named_are_counted_in_every_format(briefing: Briefing, config: RenderConfig) -> None:
    first = briefing.sections[0]
    many = replace(briefing, sections=(replace(first, sentences=(replace(first.sentences[1], more=1204),)),
                                       *briefing.sections[1:]))
    assert "three cargoes. [3] (and 1,204 more outlets)" in flat(render_text(many, config))
    assert "(and 1,204 more outlets)" in render_html(many, config)
    pdf = flat(" ".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(many, config))).pages))
    assert "(and 1,204 more outlets)" in pdf


def test_text_golden(briefing: Briefing, config: RenderConfig) -> None:
    check_golden("briefing.txt", render_text(briefing, config))


def test_section_subset_renumbers_sources(briefing: Briefing, config: RenderConfig) -> None:
    subset = select_sections(briefing, ["military", "unknown"])
    assert [s.id for s in subset.sections] == ["military"]
    assert [s.citations for s in subset.sections[0].sentences] == [(1,), (2, 3), (4,)]
    assert [(r.number, r.article_id) for r in subset.sources] == [(1, "a4"), (2, "a5"), (3, "a1"), (4, "a6")]
    text = render_text(briefing, config, ["military"])
    assert "DIPLOMACY" not in text and "wounding two soldiers. [1]" in flat(text)
    assert "Ceasefire talks in Geneva" not in text
    assert select_sections(briefing, None) is briefing


# PDF ----------------------------------------------------------------------------------


def test_pdf_sections_sentences_and_citations_in_order(pdf: PdfReader, briefing: Briefing) -> None:
    body = flat(" ".join(page.extract_text() for page in pdf.pages[1:]))
    positions = [body.index(s.title) for s in briefing.sections] + [body.index("Sources")]
    assert positions == sorted(positions)
    for section in briefing.sections:
        for sentence in section.sentences:
            cites = "".join(f"[{n}]" for n in sentence.citations)
            assert flat(sentence.text.replace("\x1b", ""))[:60] in body
            assert cites in body
    assert "Nothing in today’s sources was filed under Domestic." in body


def test_pdf_metadata(pdf: PdfReader, briefing: Briefing) -> None:
    meta = pdf.metadata
    assert meta["/Title"] == "Daily Briefing — Wednesday 25 November 2026"
    assert meta["/Author"] == "briefing"
    assert meta["/Subject"] == briefing.summary_line
    assert meta["/Keywords"] == "Diplomacy, Military, Domestic"
    assert meta["/CreationDate"].startswith("D:20261125060230")


def test_pdf_outline_and_contents_page_numbers(pdf: PdfReader) -> None:
    outline = {item.title: pdf.get_destination_page_number(item) + 1 for item in pdf.outline}
    assert list(outline) == ["Cover", "Contents", "Diplomacy", "Military", "Domestic", "Sources", "Source health"]
    contents = pdf.pages[0].extract_text()
    for title in ("Diplomacy", "Military", "Domestic", "Sources"):
        printed = re.search(rf"^{title} .*?(\d+)\s*$", contents, re.MULTILINE)
        assert printed and int(printed.group(1)) == outline[title]


def test_pdf_pages_footer_and_cover(pdf: PdfReader) -> None:
    pages = len(pdf.pages)
    assert pages >= 3
    first = pdf.pages[0].extract_text()
    assert f"Page 1 of {pages}" in first
    assert "Wednesday 25 November 2026" in first and "5 key sentences in 3 sections from 9 articles" in first
    assert "24 Nov 06:00 – 25 Nov 2026, 06:00 UTC" in first
    assert f"Page {pages} of {pages}" in pdf.pages[-1].extract_text()
    assert "daily briefing wednesday 25 november 2026" in pdf.pages[1].extract_text().lower()  # running header


def test_pdf_source_links_are_web_only(pdf: PdfReader) -> None:
    uris = {
        annot.get_object()["/A"]["/URI"]
        for page in pdf.pages
        for annot in page.get("/Annots", [])
        if "/URI" in annot.get_object().get("/A", {})
    }
    assert uris == {"https://herald.example/world/valdor-truce", "http://wire.example/ceasefire",
                    "https://times.example/drone"}


def test_pdf_is_tagged_by_default(pdf: PdfReader) -> None:
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"


def test_pdf_of_chosen_sections_has_no_others_and_no_blank_pages(briefing: Briefing, config: RenderConfig) -> None:
    military = PdfReader(BytesIO(render_pdf(briefing, config, ["military"])))
    assert [item.title for item in military.outline] == ["Cover", "Contents", "Military", "Sources", "Source health"]
    text = " ".join(page.extract_text() for page in military.pages)
    assert "Diplomacy" not in text and "Ceasefire talks in Geneva" not in text
    nothing = PdfReader(BytesIO(render_pdf(briefing, config, [])))
    furniture = re.compile(r"daily briefing|wednesday 25 november 2026|page \d+ of \d+")
    assert all(furniture.sub("", page.extract_text().lower()).split() for page in nothing.pages)


def test_plain_pdf_variant_and_unknown_variant(briefing: Briefing) -> None:
    plain = PdfReader(BytesIO(render_pdf(briefing, RenderConfig(pdf_variant=""))))
    assert "/StructTreeRoot" not in plain.trailer["/Root"]
    with pytest.raises(RenderError, match="pdf/ua-9"):
        render_pdf(briefing, RenderConfig(pdf_variant="pdf/ua-9"))


# URL fetcher --------------------------------------------------------------------------


class CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        CountingHandler.requests.append(self.path)
        body = b"body { background: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_fetcher_reads_templates_and_refuses_everything_else(tmp_path: Path, local_server: str) -> None:
    root = tmp_path / "theme"
    root.mkdir()
    (root / "print.css").write_text("p { color: black }")
    (root / "leak.css").symlink_to("/etc/passwd")
    fetcher = template_fetcher(root)
    response = fetcher((root / "print.css").as_uri())
    assert response.read() == b"p { color: black }"
    response.close()
    refused = [
        f"{local_server}/evil.css",
        "file:///etc/passwd",
        (root / "leak.css").as_uri(),
        (root / ".." / "theme" / ".." / "other.css").as_uri(),
        "data:text/css,p{color:red}",
        "file://example.com/etc/passwd",
    ]
    for url in refused:
        with pytest.raises(PermissionError, match="refused"):
            fetcher(url)
    assert CountingHandler.requests == []


def test_pdf_render_never_fetches_outside_templates(tmp_path: Path, local_server: str, briefing: Briefing) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(templates_dir(RenderConfig()), theme)
    template = theme / "print.html.j2"
    template.write_text(template.read_text().replace(
        '<link rel="stylesheet" href="print.css">',
        f'<link rel="stylesheet" href="print.css"><link rel="stylesheet" href="{local_server}/evil.css">'
        f'<style>@import url("{local_server}/import.css");</style>',
    ).replace("<body>", f'<body><img src="{local_server}/pixel.png" alt=""><img src="file:///etc/passwd" alt="">'))
    reader = PdfReader(BytesIO(render_pdf(briefing, RenderConfig(templates_dir=theme))))
    assert CountingHandler.requests == []
    assert [item.title for item in reader.outline][0] == "Cover"  # print.css itself was read


# Files --------------------------------------------------------------------------------


def test_write_outputs_writes_every_format_atomically(tmp_path: Path, briefing: Briefing, config: RenderConfig) -> None:
    paths = write_outputs(briefing, tmp_path / "out", ["pdf", "html", "txt", "html"], config)
    assert [p.name for p in paths] == ["briefing-2026-11-25.pdf", "briefing-2026-11-25.html", "briefing-2026-11-25.txt"]
    assert paths[0].read_bytes().startswith(b"%PDF-")
    assert paths[1].read_text("utf-8") == render_html(briefing, config)
    assert paths[2].read_text("utf-8") == render_text(briefing, config)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_failed_render_leaves_previous_files_intact(tmp_path: Path, briefing: Briefing) -> None:
    broken = tmp_path / "theme"
    shutil.copytree(templates_dir(RenderConfig()), broken)
    (broken / "briefing.txt.j2").write_text("{{ briefing.no_such_field }}")
    previous = output_path(tmp_path, briefing.edition, "html")
    previous.write_text("yesterday's run")
    with pytest.raises(RenderError, match="briefing.txt.j2"):
        write_outputs(briefing, tmp_path, ["html", "txt"], RenderConfig(templates_dir=broken))
    assert previous.read_text() == "yesterday's run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefing-2026-11-25.html", "theme"]


def test_write_outputs_rejects_unknown_format(tmp_path: Path, briefing: Briefing, config: RenderConfig) -> None:
    with pytest.raises(RenderError, match="'docx'"):
        write_outputs(briefing, tmp_path, ["txt", "docx"], config)
    assert list(tmp_path.iterdir()) == []


def test_missing_templates_folder_is_one_clear_error(tmp_path: Path, briefing: Briefing) -> None:
    with pytest.raises(RenderError, match="templates folder not found"):
        render_text(briefing, RenderConfig(templates_dir=tmp_path / "nope"))


def test_templates_dir_default_and_override(tmp_path: Path) -> None:
    assert (templates_dir(RenderConfig()) / "print.css").is_file()
    assert templates_dir(RenderConfig(templates_dir=tmp_path)) == tmp_path


# PDF backend --------------------------------------------------------------------------


def test_check_pdf_backend_names_library_and_apt_package(monkeypatch: pytest.MonkeyPatch) -> None:
    check_pdf_backend()  # Pango is installed here
    real_import = builtins.__import__

    def no_pango(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("weasyprint"):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(RenderError) as caught:
        check_pdf_backend()
    message = str(caught.value)
    assert "libpango-1.0-0 is missing" in message
    assert "apt-get install -y libpango-1.0-0 libpangoft2-1.0-0" in message
    with pytest.raises(RenderError, match="apt-get install"):
        render_pdf(make_briefing(), RenderConfig())


def test_importing_render_does_not_load_weasyprint() -> None:
    code = "import sys, briefing.render; print('weasyprint' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"


def test_source_times_are_shown_in_the_edition_zone(briefing: Briefing, config: RenderConfig) -> None:
    paris = timezone(timedelta(hours=1))
    first = replace(briefing.sources[0], published=datetime(2026, 11, 24, 19, 45, tzinfo=paris))
    text = render_text(replace(briefing, sources=(first, *briefing.sources[1:])), config)
    assert "Harrowgate Herald · 24 Nov 2026, 18:45 UTC" in text and "+01:00" not in text


def test_naive_times_are_printed_as_utc(briefing: Briefing, config: RenderConfig) -> None:
    naive = replace(briefing, generated_at=datetime(2026, 11, 25, 6, 2), window=None)
    text = render_text(naive, config)
    assert "Generated: 25 Nov 2026, 06:02 UTC" in text and "Covers:" not in text
