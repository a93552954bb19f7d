"""Property tests: any Unicode in a text file, a JSON Lines field or an HTML page gives a
briefing (valid HTML and text, an archive that reads back) or a clean named error, never a
traceback. Examples are bounded (``max_examples``) so the suite stays fast; hypothesis
remembers failing examples in ``.hypothesis/`` and replays them first.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.archive import load_briefing, save_briefing
from briefing.cli import main
from briefing.config import load_config
from briefing.errors import InputError, NoArticlesError
from briefing.ingest import read_paths
from briefing.models import Briefing
from briefing.pipeline import make_briefing
from briefing.render import render_html, render_text

pytestmark = pytest.mark.timeout(600)
CONFIG = load_config(None, env={})
EDITION = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NEWS = (
    "The foreign ministers met in Arlen on Tuesday to sign a ceasefire agreement. "
    "Artillery shelling killed two soldiers near the border overnight, the army said. "
    "Parliament passed the budget after a long debate."
)

#: Every code point a file can hold (UTF-8 cannot carry surrogates), weighted towards the odd ones.
ANY_CHAR = st.characters(codec="utf-8")
ODD_CHAR = st.sampled_from(["\x00", "\x1b", "\r", "\u2028", "\u0085", "\ufeff", "\ufffe", "\U0010ffff", "\u202e",
                            "\u0301", "{{", "{%", "}}", "%}", "<", "&", "]]>", "---", "#", "*", "_", "[", "](", "\n\n"])
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=40), ODD_CHAR, st.just(NEWS)), max_size=12).map("".join)
#: JSON can also spell lone surrogates, and any value can stand where a string is expected.
JSON_STRING = st.one_of(TEXT, st.text(st.characters(), max_size=30))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | JSON_STRING,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(JSON_STRING, children, max_size=3),
    max_leaves=8,
)
RECORD = st.fixed_dictionaries(
    {},
    optional={key: st.one_of(JSON_STRING, JSON_VALUE) for key in ("id", "title", "source", "url", "published", "text")},
)
TAGS = ["p", "div", "article", "h1", "title", "script", "style", "iframe", "a", "img", "svg", "table", "td", "meta",
        "link", "br", "noscript", "template", "main", "nav", "footer", "time", "!--", "![CDATA["]
HTML_PIECE = st.one_of(
    TEXT,
    st.builds(lambda tag, attribute, value: f"<{tag} {attribute}=\"{value}\">", st.sampled_from(TAGS),
              st.sampled_from(["href", "src", "content", "property", "rel", "class", "datetime", "onload"]),
              st.text(ANY_CHAR, max_size=20)),
    st.builds(lambda tag: f"</{tag}>", st.sampled_from(TAGS)),
    st.sampled_from(["<!DOCTYPE html>", "<html>", "<head>", "<body>", "&amp;", "&#0;", "&#xD800;", "&nbsp;",
                     "<!ENTITY x SYSTEM 'file:///etc/passwd'>", "&x;", f"<p>{NEWS}</p>"]),
)
HTML = st.lists(HTML_PIECE, max_size=25).map("".join)


def checked_edition(files: dict[str, bytes]) -> Briefing | None:
    """The briefing made from these files (checked: renders, archives), or None after a clean error."""
    warnings: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in files.items():
            (root / name).write_bytes(data)
        articles = read_paths([root], warnings.append)
        assert all(isinstance(w, str) and w.startswith(folder) for w in warnings), warnings
        if not articles:
            return None
        try:
            briefing = make_briefing(CONFIG, articles, EDITION, now=NOW)
        except (InputError, NoArticlesError):
            return None
        html = render_html(briefing, CONFIG.render)
        assert lxml.html.fromstring(html).find(".//body") is not None
        text = render_text(briefing, CONFIG.render)
        text.encode("utf-8")
        assert len(lxml.html.fromstring(html).findall(".//script")) == 0
        archived = load_briefing(save_briefing(briefing, root / "archive.json"))
        assert archived.sections == briefing.sections and archived.sources == briefing.sources
        return briefing


@FUZZ
@given(text=TEXT, suffix=st.sampled_from([".txt", ".md"]))
def test_any_text_or_markdown_file(text: str, suffix: str) -> None:
    checked_edition({f"article{suffix}": text.encode("utf-8")})


@FUZZ
@given(front=st.dictionaries(st.sampled_from(["title", "source", "url", "published", "id", "other"]),
                             st.text(ANY_CHAR, max_size=30), max_size=4),
       body=TEXT)
def test_any_front_matter(front: dict[str, str], body: str) -> None:
    header = "".join(f"{key}: {value}\n" for key, value in front.items())
    checked_edition({"article.md": f"---\n{header}---\n{body}\n\n{NEWS}".encode("utf-8")})


@FUZZ
@given(records=st.lists(st.one_of(RECORD, JSON_VALUE), max_size=5), junk=st.lists(TEXT, max_size=2))
def test_any_json_lines(records: list[object], junk: list[str]) -> None:
    lines = [json.dumps(r) for r in records] + [j.replace("\n", " ") for j in junk]
    checked_edition({"wire.jsonl": "\n".join(lines).encode("utf-8"), "wire.json": json.dumps(records).encode("utf-8")})


@FUZZ
@given(page=HTML)
def test_any_html_page(page: str) -> None:
    checked_edition({"page.html": page.encode("utf-8")})


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html", ".json", ".jsonl"]))
def test_any_bytes(data: bytes, suffix: str) -> None:
    checked_edition({f"file{suffix}": data})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, page=HTML, record=RECORD)
def test_cli_build_exits_cleanly_on_any_input(text: str, page: str, record: dict[str, object]) -> None:
    """Through the real entry point: exit 0 with files, or exit 3 with one error line."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "in").mkdir()
        (root / "in" / "a.txt").write_text(text, "utf-8")
        (root / "in" / "b.html").write_text(page, "utf-8")
        (root / "in" / "c.jsonl").write_text(json.dumps(record), "utf-8")
        result = CliRunner().invoke(main, ["build", str(root / "in"), "--date", "2026-11-25", "--out", str(root / "out"),
                                           "--formats", "html,txt"], env={"BRIEFING_CONFIG": ""})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 3), result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        if result.exit_code == 0:
            assert not errors and len(result.stdout.split()) == 2
        else:
            assert len(errors) == 1 and "no usable articles" in errors[0]
