"""Readers: every supported format becomes the same Article shape; bad files are named and skipped."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from briefing.ingest import read_file, read_paths
from briefing.ingest.common import MAX_INPUT_BYTES
from briefing.errors import InputError

BODY = "The ministers met in Arlen on Tuesday. They agreed to resume talks.\n\nShelling continued near the border."


def collect(paths: list[Path]):
    warnings: list[str] = []
    return read_paths(paths, warnings.append), warnings


def test_text_with_front_matter(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(
        "---\ntitle: Talks resume\nsource: The Herald\nurl: https://herald.example/a\n"
        "published: 2026-11-24T14:05:00+01:00\n---\nTalks resume\n\n" + BODY, "utf-8"
    )
    (article,) = read_file(f, print)
    assert article.title == "Talks resume"
    assert article.source == "The Herald"
    assert article.url == "https://herald.example/a"
    assert article.published == datetime(2026, 11, 24, 13, 5, tzinfo=timezone.utc)
    assert article.paragraphs == (
        "The ministers met in Arlen on Tuesday. They agreed to resume talks.",
        "Shelling continued near the border.",
    )


def test_text_title_line_only_when_blank_line_follows(tmp_path: Path) -> None:
    titled = tmp_path / "t.txt"
    titled.write_text("Border clashes\n\n" + BODY, "utf-8")
    untitled = tmp_path / "u.txt"
    untitled.write_text("The ministers met in Arlen.\nThey agreed.\n\nMore text here today.", "utf-8")
    (a,) = read_file(titled, print)
    (b,) = read_file(untitled, print)
    assert a.title == "Border clashes" and a.paragraphs[0].startswith("The ministers")
    assert b.paragraphs[0] == "The ministers met in Arlen. They agreed."


@pytest.mark.parametrize("end", [".", "?", '."'])
def test_a_long_first_line_that_ends_like_a_sentence_is_the_lead_not_the_title(tmp_path: Path, end: str) -> None:
    lead = "The foreign ministers of Velmora and Ostravia met in Arlen on Tuesday to extend the ceasefire" + end
    f = tmp_path / "lead.txt"
    f.write_text(f"{lead}\n\nShelling continued near the border overnight, the army said.", "utf-8")
    (article,) = read_file(f, print)
    assert article.paragraphs[0] == lead
    assert article.title == "The foreign ministers of Velmora and Ostravia met in Arlen on Tuesday…"


@pytest.mark.parametrize("first", [
    "Talks collapse in Arlen.",  # short: a headline, even with a full stop
    "Tarvania recalls ambassador after Brannock drone strike kills seven in Ulm province",  # long, no full stop
])
def test_headline_lines_stay_titles(tmp_path: Path, first: str) -> None:
    f = tmp_path / "t.txt"
    f.write_text(f"{first}\n\n{BODY}", "utf-8")
    (article,) = read_file(f, print)
    assert article.title == first and article.paragraphs[0].startswith("The ministers met")


def test_markdown_markup_removed(tmp_path: Path) -> None:
    f = tmp_path / "m.md"
    f.write_text("# Sanctions widen\n\nThe **Council** agreed [new measures](https://x.example) on *Monday*.\n\n## Reaction\n\nMarkets fell.", "utf-8")
    (article,) = read_file(f, print)
    assert article.title == "Sanctions widen"
    assert article.paragraphs == ("The Council agreed new measures on Monday.", "Markets fell.")


MARKDOWN_BLOCKS = """# Floods close the Ormen bridges

## Three provinces under emergency rule

The government declared a state of emergency on Tuesday.

> "We have never seen the river this high," the mayor said.
> > Residents were told to leave.

- Schools are closed in Castrel.
* Trains to the north are cancelled.
1. The army has sent 600 soldiers.
2) Aid convoys left at dawn.

---

| province | evacuated |
|:---------|----------:|
| Castrel  | 4,200     |
| Ulm      | 1,100     |

district | shelters
--- | ---
north | 12

Sub-heading in setext style
---------------------------

Rain is forecast to ease on Thursday.
"""


def test_markdown_blocks_become_plain_paragraphs(tmp_path: Path) -> None:
    """Quote and list markers go, table rows and rules are dropped, and sub-headings are
    not text: a heading is a label, not a news sentence."""
    f = tmp_path / "floods.md"
    f.write_text(MARKDOWN_BLOCKS, "utf-8")
    (article,) = read_file(f, print)
    assert article.title == "Floods close the Ormen bridges"
    assert article.paragraphs == (
        "The government declared a state of emergency on Tuesday.",
        '"We have never seen the river this high," the mayor said. Residents were told to leave.',
        "Schools are closed in Castrel.",
        "Trains to the north are cancelled.",
        "The army has sent 600 soldiers.",
        "Aid convoys left at dawn.",
        "Rain is forecast to ease on Thursday.",
    )


@pytest.mark.parametrize("title", ["# Floods close bridges #", "Floods close bridges\n===="])
def test_markdown_title_heading_in_either_style(tmp_path: Path, title: str) -> None:
    f = tmp_path / "t.md"
    f.write_text(f"{title}\nThe river rose overnight in Castrel.\n\n## Later\n\nIt fell again.", "utf-8")
    (article,) = read_file(f, print)
    assert article.title == "Floods close bridges"
    assert article.paragraphs == ("The river rose overnight in Castrel.", "It fell again.")


def test_html_main_text_without_furniture(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_text(
        "<html><head><title>Truce | Herald</title><meta property='og:title' content='Truce holds'>"
        "<meta property='og:site_name' content='The Herald'>"
        "<meta property='article:published_time' content='2026-11-24T14:05:00+00:00'>"
        "<link rel='canonical' href='https://herald.example/truce'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World news</a></nav>"
        "<div class='cookie-banner'>We use cookies to improve your experience. Accept all cookies.</div>"
        "<article><h1>Truce holds</h1><p>By Ana Ruiz</p>"
        "<p>The truce between Valdor and Ostravia held for a third day on Monday, officials said after talks in Arlen.</p>"
        "<p>Both delegations agreed to meet again in January to discuss prisoner exchanges and the border.</p>"
        "<p>Protesters gathered outside parliament demanding a referendum on the deal, police said.</p></article>"
        "<footer>Copyright 2026 The Herald. All rights reserved.</footer><script>var tracking = 1;</script></body></html>",
        "utf-8",
    )
    (article,) = read_file(f, print)
    text = article.text
    assert article.title == "Truce holds"
    assert article.source == "The Herald"
    assert article.url == "https://herald.example/truce"
    assert article.published == datetime(2026, 11, 24, 14, 5, tzinfo=timezone.utc)
    assert "third day" in text and "referendum" in text
    for furniture in ("cookies", "Copyright", "tracking", "World news", "By Ana Ruiz"):
        assert furniture not in text


def test_jsonl_bad_lines_reported_with_numbers(tmp_path: Path) -> None:
    f = tmp_path / "w.jsonl"
    good = {"id": "w1", "title": "Vote", "source": "Wire", "published": "2026-11-24T09:00:00Z", "text": BODY}
    f.write_text(json.dumps(good) + "\n{broken\n" + json.dumps({"title": "no text"}) + "\n\n" + json.dumps({"text": "Plain text article here."}) + "\n", "utf-8")
    articles, warnings = collect([f])
    assert [a.id for a in articles][0] == "w1"
    assert len(articles) == 2
    assert warnings[0].startswith(f"{f}:2: invalid JSON")
    assert warnings[1] == f"{f}:3: missing or empty 'text'"


def test_json_list_and_stable_ids(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps([{"text": "One article about talks."}, {"text": "Another about troops."}]), "utf-8")
    first, _ = collect([f])
    again, _ = collect([f])
    assert [a.id for a in first] == [a.id for a in again]
    assert len({a.id for a in first}) == 2


def test_latin1_text_is_decoded_not_garbled(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_bytes("Réunion à Genève\n\nLe ministre a rencontré ses homologues à Genève pour des négociations.".encode("latin-1"))
    (article,) = read_file(f, print)
    assert article.title == "Réunion à Genève"
    assert "négociations" in article.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n ", "empty file"),
        ("bin.txt", b"abc\x00\x01\x02def", "binary data"),
        ("doc.pdf", b"%PDF-1.7", "unsupported file type"),
        ("bad.json", b"{nope", "invalid JSON"),
        ("date.jsonl", b'{"text": "Some text here.", "published": "yesterday"}\n', "not an ISO 8601 date"),
    ],
)
def test_bad_inputs_are_named_and_the_batch_goes_on(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("Good\n\n" + BODY, "utf-8")
    articles, warnings = collect([tmp_path])
    assert [a.title for a in articles] == ["Good"]
    assert len(warnings) == 1
    assert name in warnings[0] and reason in warnings[0]


def test_oversized_file_refused(tmp_path: Path) -> None:
    f = tmp_path / "huge.txt"
    f.write_bytes(b"word " * (MAX_INPUT_BYTES // 5 + 10))
    with pytest.raises(InputError, match="too large"):
        read_file(f, print)


def test_missing_path_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nShould not be read at all.", "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Nested\n\n" + BODY, "utf-8")
    articles, warnings = collect([tmp_path, tmp_path / "missing.txt"])
    assert [a.title for a in articles] == ["Nested"]
    assert warnings == [f"{tmp_path / 'missing.txt'}: no such file or folder"]


def test_source_defaults_to_link_host(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"text": "Talks went on.", "url": "https://www.dispatch.example/x"}), "utf-8")
    (article,) = read_file(f, print)
    assert article.source == "dispatch.example"


def test_unparsable_link_is_dropped_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"text": "Talks went on.", "url": "http://[dispatch.example/x"}), "utf-8")
    (article,) = read_file(f, print)
    assert article.url is None and article.source == ""


def test_central_european_encoding_detected(tmp_path: Path) -> None:
    f = tmp_path / "pl.txt"
    text = "Łódź: Premier spotkał się z ministrem. Źródła podają, że rozmowy trwały długo."
    f.write_bytes(("Rozmowy\n\n" + text).encode("cp1250"))
    (article,) = read_file(f, print)
    assert article.text == text


def test_bare_text_file_names_itself_as_source(tmp_path: Path) -> None:
    f = tmp_path / "wire-0412.txt"
    f.write_text("Troops withdraw\n\nThe army said troops withdrew from the ridge overnight.", "utf-8")
    (article,) = read_file(f, print)
    assert article.source == "wire-0412.txt"


def test_text_file_with_a_link_but_no_source_names_the_links_host(tmp_path: Path) -> None:
    f = tmp_path / "wire-0413.md"
    f.write_text("---\nurl: https://www.dispatch.example/ridge\n---\nThe army said troops withdrew overnight.", "utf-8")
    (article,) = read_file(f, print)
    assert article.source == "dispatch.example"


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    from briefing.fsutil import atomic_write_text

    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_html_publish_time_kept_to_the_minute(tmp_path: Path) -> None:
    """The stated time wins over dates in the byline, which would keep only the day."""
    f = tmp_path / "x.html"
    f.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html><head><title>Court ruling</title>'
        '<meta property="article:published_time" content="2026-11-24T11:20:00+01:00"></head><body><article>'
        "<h1>Court ruling</h1><p class='byline'>Published 24 November 2026</p>"
        "<p>The constitutional court struck down the conscription law on Tuesday, ruling that it had been passed without a quorum.</p>"
        "<p>The defence ministry said it would comply with the ruling and present a new bill to parliament next month.</p>"
        "</article></body></html>",
        "utf-8",
    )
    (article,) = read_file(f, print)
    assert article.published == datetime(2026, 11, 24, 10, 20, tzinfo=timezone.utc)


def test_html_publish_time_from_json_ld(tmp_path: Path) -> None:
    f = tmp_path / "y.html"
    f.write_text(
        '<html><head><title>Vote</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "datePublished": "2026-11-24T21:05:00Z"}</script></head><body><article>'
        "<p>Parliament approved the budget late on Tuesday after an eleven-hour debate in the lower chamber.</p>"
        "<p>The opposition said it would challenge the spending plan in the constitutional court next week.</p>"
        "</article></body></html>",
        "utf-8",
    )
    (article,) = read_file(f, print)
    assert article.published == datetime(2026, 11, 24, 21, 5, tzinfo=timezone.utc)


def test_html_with_a_broken_json_ld_date_is_still_read(tmp_path: Path) -> None:
    f = tmp_path / "z.html"
    f.write_text(
        '<html><head><title>Vote</title><script type="application/ld+json">'
        '{"datePublished": "2026-11-24\\q"}</script></head><body><article>'
        "<p>Parliament approved the budget late on Tuesday after an eleven-hour debate in the lower chamber.</p>"
        "<p>The opposition said it would challenge the spending plan in the constitutional court next week.</p>"
        "</article></body></html>",
        "utf-8",
    )
    (article,) = read_file(f, print)
    assert article.title == "Vote" and "eleven-hour debate" in article.text
