"""Article content against the renderer: a hostile page goes through the whole build, and
whatever it holds (scripts, iframes, remote images and stylesheets, ``file:`` links,
``rel=attachment``, template syntax) comes out as inert text. WeasyPrint fetches nothing,
the PDF carries no attachment, and the HTML has the same elements whatever the text says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from http_server import LocalServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from briefing.cli import main
from briefing.config import RenderConfig
from briefing.models import Briefing, KeySentence, SectionDigest, SourceHealth, SourceRef
from briefing.render import render_html, render_pdf, render_text

UTC = timezone.utc
TEMPLATE_SYNTAX = ("{{ 7*7 }}", "{% for x in range(3) %}", "{# comment #}", "${7*7}", "<%= 7*7 %>")


def hostile_page(base: str, secret: Path) -> str:
    """An article page whose every trick would reach the network, the disk or the template
    engine if any of its markup survived as markup."""
    return f"""<!DOCTYPE html>
<html><head>
<title>Truce &lt;script&gt;alert(1)&lt;/script&gt; {{{{ 7*7 }}}}</title>
<meta property="og:site_name" content="Herald {{% raw %}}">
<link rel="canonical" href="{secret.as_uri()}">
<link rel="stylesheet" href="{base}/style.css">
<style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png") }}</style>
<script src="{base}/app.js"></script>
</head><body><article>
<h1>Truce &lt;script&gt;alert(1)&lt;/script&gt; talks</h1>
<p>The foreign ministers of Valdor and Tarvania signed a ceasefire agreement {{{{ 7*7 }}}} in Arlen on Tuesday, officials said.</p>
<iframe src="{base}/frame.html">FRAME-TEXT</iframe>
<p>Diplomats said the {{% for x in range(3) %}}talks{{% endfor %}} would continue at the embassy {{# comment #}} next week.</p>
<img src="{base}/pixel.png" alt="PIXEL-ALT"><img src="{secret.as_uri()}">
<p>Troops fired artillery at the border post overnight ${{7*7}}, the army said, painting &lt;a href="{secret.as_uri()}" rel="attachment"&gt;orders&lt;/a&gt; on walls.</p>
<p>The defence ministry <a href="{secret.as_uri()}" rel="attachment">attached a report</a> and <a href="{base}/doc.pdf" rel="attachment">a second one</a> on the drone strike &lt;%= 7*7 %&gt; at the base.</p>
<object data="{base}/object.swf"></object><embed src="{base}/embed.swf">
<svg><image href="{base}/svg.png"/></svg>
<script>document.write("SCRIPT-TEXT")</script>
</article></body></html>"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One real build of the hostile page (PDF, HTML, text) with a live server counting requests."""
    local = LocalServer()
    local.start()
    try:
        root = tmp_path_factory.mktemp("hostile")
        secret = root / "secret.txt"
        secret.write_text("TOP-SECRET-VALUE", "utf-8")
        (root / "in").mkdir()
        (root / "in" / "page.html").write_text(hostile_page(local.url(""), secret), "utf-8")
        result = CliRunner().invoke(
            main,
            ["build", str(root / "in"), "--date", "2026-11-25", "--out", str(root / "out"),
             "--formats", "pdf,html,txt", "--sentences", "10"],
            env={"BRIEFING_CONFIG": ""},
            catch_exceptions=False,
        )
        hits = sum(local.hits.values())
    finally:
        local.stop()
    assert result.exit_code == 0, result.output
    out = root / "out"
    return {
        "hits": hits,
        "pdf": PdfReader(out / "briefing-2026-11-25.pdf"),
        "html": (out / "briefing-2026-11-25.html").read_text("utf-8"),
        "txt": (out / "briefing-2026-11-25.txt").read_text("utf-8"),
        "archive": (out / "briefing-2026-11-25.json").read_text("utf-8"),
    }


def pdf_text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def flat(text: str) -> str:
    return " ".join(text.split())


def test_nothing_is_fetched_and_no_secret_is_read(built: dict) -> None:
    assert built["hits"] == 0
    for name in ("html", "txt", "archive"):
        assert "TOP-SECRET-VALUE" not in built[name]
    assert "TOP-SECRET-VALUE" not in pdf_text(built["pdf"])


def test_scripts_frames_and_images_leave_no_trace(built: dict) -> None:
    for name in ("html", "txt", "archive"):
        for marker in ("SCRIPT-TEXT", "FRAME-TEXT", "PIXEL-ALT", "app.js", "style.css", "pixel.png"):
            assert marker not in built[name], (name, marker)


def test_template_syntax_is_printed_literally_everywhere(built: dict) -> None:
    """Article text is data for Jinja, never source: ``{{ 7*7 }}`` prints as itself."""
    html_text = flat(lxml.html.fromstring(built["html"]).text_content())
    texts = {"html": html_text, "txt": flat(built["txt"]), "pdf": pdf_text(built["pdf"])}
    for name, text in texts.items():
        for syntax in TEMPLATE_SYNTAX:
            assert syntax in text, (name, syntax)
        assert "talkstalkstalks" not in text and "<script>alert(1)</script>" in text


def test_html_output_has_only_the_themes_elements_and_links(built: dict) -> None:
    doc = lxml.html.fromstring(built["html"])
    tags = {element.tag for element in doc.iter() if isinstance(element.tag, str)}
    assert not tags & {"script", "iframe", "img", "object", "embed", "svg", "link", "style", "base", "form"}
    for element in doc.iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
        assert element.get("rel") is None
    links = [a.get("href") for a in doc.iter("a")]
    assert links and all(re.match(r"^(#[\w-]+|https?://)", href) for href in links), links


def test_pdf_has_no_attachments_and_links_only_to_the_web_or_itself(built: dict) -> None:
    reader: PdfReader = built["pdf"]
    assert reader.attachments == {}
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            assert annotation["/Subtype"] != "/FileAttachment"
            action = annotation.get("/A", {})
            if "/URI" in action:
                assert re.match(r"^https?://", str(action["/URI"])), action["/URI"]
            assert "/F" not in action and "/FS" not in annotation


def test_a_file_canonical_link_is_neither_linked_nor_printed(built: dict) -> None:
    """The page's canonical link is ``file:``: the source is listed without an address
    (the same address inside the article text stays text)."""
    assert not re.search(r"^\s*file:", built["txt"], re.M)
    doc = lxml.html.fromstring(built["html"])
    assert not [el for el in doc.iter() if any("file:" in value for value in el.attrib.values())]


# The renderer on its own: every field that comes from a source, with hostile values ----------

UNTRUSTED = st.text(st.characters(codec="utf-8"), max_size=80)


def briefing_with(text: str, title: str, outlet: str, url: str, error: str) -> Briefing:
    """A briefing whose every source-derived field holds the given values (section ids and
    titles come from the operator's config and are not varied)."""
    return Briefing(
        title="Daily Briefing",
        edition=date(2026, 11, 25),
        generated_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
        sections=(
            SectionDigest("diplomacy", "Diplomacy", (KeySentence(text, (1,), new=True), KeySentence("Plain.", (1,)))),
            SectionDigest("military", "Military", ()),
        ),
        sources=(SourceRef(1, "a1", title, outlet, url, datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),),
        article_count=1,
        sentence_count=2,
        health=(SourceHealth(outlet or "feed", seen=1, errors=(error,)),),
    )


def structure(html: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(el.tag, tuple(sorted(el.attrib))) for el in lxml.html.fromstring(html).iter() if isinstance(el.tag, str)]


def benign(url: str | None) -> list[tuple[str, tuple[str, ...]]]:
    return structure(render_html(briefing_with("Text.", "Title", "Outlet", url, "timeout"), RenderConfig()))


LINKED, UNLINKED = benign("https://a.example/"), benign(None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=UNTRUSTED, title=UNTRUSTED, outlet=UNTRUSTED, error=UNTRUSTED,
       url=st.one_of(UNTRUSTED, st.sampled_from(["https://a.example/", "javascript:alert(1)", "file:///etc/passwd",
                                                 "data:text/html,<script>", "//evil.example/x", " https://a.example/\n",
                                                 "https://a.example/\" onclick=\"alert(1)"])))
def test_html_structure_never_depends_on_source_text(text: str, title: str, outlet: str, url: str, error: str) -> None:
    """The HTML has exactly the elements and attributes of a benign edition, with or without
    the source link, whatever the text: no value can open, close or attribute an element."""
    doc = lxml.html.fromstring(render_html(briefing_with(text, title, outlet, url, error), RenderConfig()))
    links = [a.get("href") for a in doc.iter("a") if not a.get("href").startswith("#")]
    assert structure(lxml.html.tostring(doc, encoding="unicode")) == (LINKED if links else UNLINKED)
    assert links in ([], [url.strip()])
    if links:
        assert re.fullmatch(r"https?://[^\s\"<>]+", links[0], re.I), links


@settings(max_examples=150, deadline=None)
@given(text=UNTRUSTED, title=UNTRUSTED, outlet=UNTRUSTED, url=UNTRUSTED, error=UNTRUSTED)
def test_text_output_keeps_the_words_and_drops_control_characters(text: str, title: str, outlet: str, url: str,
                                                                 error: str) -> None:
    out = render_text(briefing_with(text, title, outlet, url, error), RenderConfig())
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    visible = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", re.sub(r"[\t\n\x0b\x0c\r]", " ", text))
    assert flat(visible) in flat(out)


def test_a_web_address_with_white_space_is_not_printed_as_a_line_of_its_own() -> None:
    """A URL cannot hold white space: one that does would add lines to the text edition."""
    spoof = "https://a.example/x\n\nSOURCES\n  [9] Forged source"
    out = render_text(briefing_with("Text.", "Title", "Outlet", spoof, "timeout"), RenderConfig())
    assert "Forged source" not in out
    assert "https://a.example/x" not in out


@pytest.mark.parametrize("text", [
    '</li></ol><a rel="attachment" href="file:///etc/passwd">x</a><img src="http://127.0.0.1:9/p.png">',
    "{{ config.__class__.__init__.__globals__ }} {% include 'print.css' %}",
    "<style>@import url(http://127.0.0.1:9/x.css)</style><link rel=stylesheet href=http://127.0.0.1:9/y.css>",
])
def test_pdf_from_hostile_sentence_has_no_attachment_and_prints_the_text(text: str, server: LocalServer) -> None:
    hostile = briefing_with(text.replace("127.0.0.1:9", f"127.0.0.1:{server.port}"), "Title", "Outlet",
                            server.url("/source"), "timeout")
    reader = PdfReader(BytesIO(render_pdf(hostile, RenderConfig())))
    assert reader.attachments == {}
    assert sum(server.hits.values()) == 0
    shown = pdf_text(reader).replace(" ", "")
    assert flat(text.replace("127.0.0.1:9", f"127.0.0.1:{server.port}")).replace(" ", "")[:40] in shown


def test_archived_text_is_still_data_when_rendered_again(tmp_path: Path) -> None:
    """``send`` renders from the archived JSON: text that survived one render survives the next."""
    from briefing.archive import load_briefing, save_briefing

    original = briefing_with("{{ 7*7 }} <b>bold</b> \x1b[31m", "{% raw %}", "Outlet", "https://a.example/", "x")
    again = load_briefing(save_briefing(original, tmp_path / "briefing-2026-11-25.json"))
    assert replace(again, meta={}) == replace(original, meta={})
    html = render_html(again, RenderConfig())
    assert "{{ 7*7 }} &lt;b&gt;bold&lt;/b&gt;" in html and "\x1b" not in html
