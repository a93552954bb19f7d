"""Hostile and broken input files: each is refused with one line naming it and the reason,
the good files beside it are still read, and nothing hangs, blows memory or prints a traceback.

Every hostile file is generated here, in ``tmp_path``. Tests that would hang (or take hours)
if a guard were missing carry a ``timeout`` mark, so a regression fails instead of stalling.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from briefing import nlp
from briefing.errors import InputError
from briefing.ingest import read_file, read_paths
from briefing.ingest.common import MAX_INPUT_BYTES
from briefing.ingest.text import strip_markdown
from briefing.models import Article
from briefing.sentences import MIN_WORDS, split_article

GOOD = (
    "Ceasefire talks resume\n\n"
    "The foreign ministers of Velmora and Ostravia met in Arlen on Tuesday for talks on extending the "
    "ceasefire. They agreed to meet again in January.\n\n"
    "Artillery shelling killed two soldiers near the border town of Drevno overnight, the army said.\n"
)
PROJECT = Path(__file__).resolve().parent.parent


def collect(*paths: Path) -> tuple[list[str], list[str]]:
    """Titles of the articles read and the warnings given."""
    warnings: list[str] = []
    articles = read_paths(list(paths), warnings.append)
    return [a.title for a in articles], warnings


def sentence(i: int) -> str:
    """A distinct, ordinary news sentence (distinct so no de-duplication shortcut applies)."""
    return f"Officials in district {i} said talks on the border crossing number {i * 7 + 3} would resume on Tuesday."


Make = Callable[[Path], None]


def write_bytes(name: str, data: bytes) -> tuple[str, Make]:
    return name, lambda folder: (folder / name).write_bytes(data)


def write_text(name: str, text: str) -> tuple[str, Make]:
    return write_bytes(name, text.encode("utf-8"))


ARTICLE = {"title": "Talks", "text": "The ministers met in Arlen on Tuesday and agreed to talk again."}
HOSTILE_FILES: list[tuple[tuple[str, Make], str]] = [
    (write_bytes("empty.txt", b""), "empty file"),
    (write_bytes("spaces.md", b" \n\t\n  "), "empty file"),
    (write_bytes("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "binary data (NUL bytes)"),
    (write_bytes("utf16.txt", "Talks resumed in Arlen on Tuesday.".encode("utf-16-le")), "binary data (NUL bytes)"),
    (write_bytes("bom16.txt", "\ufeffTalks resumed in Arlen on Tuesday.\ud800".encode("utf-16-le", "surrogatepass")),
     "not valid UTF-16 despite its byte-order mark"),
    (write_bytes("noise.txt", bytes((i * 7919 + 13) % 255 + 1 for i in range(6000))), "cannot detect the text encoding"),
    (write_bytes("huge.txt", b"Talks went on. " * (MAX_INPUT_BYTES // 15 + 1000)), "too large"),
    (write_bytes("report.pdf", b"%PDF-1.7\n"), "unsupported file type '.pdf'"),
    (write_bytes("README", b"Talks went on."), "unsupported file type '(none)'"),
    (write_text("multi.json", '[\n  {"text": "fine"},\n  {"text": "fine"\n  "title": "x"}\n]\n'), "multi.json:4: invalid JSON"),
    (write_text("deep.json", "[" * 200_000 + "]" * 200_000), "invalid JSON (nested too deeply)"),
    (write_text("digits.json", '{"text": "Talks went on in Arlen.", "id": ' + "9" * 5000 + "}"), "invalid JSON"),
    (write_text("list.json", "[1]"), "list.json[0]: expected an object"),
    (write_text("script.html", "<html><body><script>document.write('Talks went on')</script></body></html>"),
     "no article text found"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("make", "reason"), HOSTILE_FILES, ids=[case[0][0] for case in HOSTILE_FILES])
def test_hostile_file_is_named_once_and_the_batch_goes_on(tmp_path: Path, make: tuple[str, Make], reason: str) -> None:
    name, create = make
    create(tmp_path)
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    titles, warnings = collect(tmp_path)
    assert titles == ["Ceasefire talks resume"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(str(tmp_path / name)) and reason in warnings[0]
    assert "\n" not in warnings[0] and "Traceback" not in warnings[0]


def test_unknown_front_matter_keys_are_named_and_the_article_kept(tmp_path: Path) -> None:
    """author:, tags: and the like are routine in exported articles: each unknown key is
    one warning naming the file, line and key, and the article is read with the keys it knows;
    a YAML list under an unknown key goes with it, a line that is no ``key: value`` is named too."""
    f = tmp_path / "front.md"
    f.write_text("---\ntitle: Talks in Arlen\nauthor: A. Writer\ntags:\n  - diplomacy\n  - talks\n"
                 "evil: {{ 7*7 }}\nsource: Herald\njust words\n---\nThe ministers met in Arlen on Tuesday.", "utf-8")
    warnings: list[str] = []
    (article,) = read_paths([f], warnings.append)
    assert (article.title, article.source) == ("Talks in Arlen", "Herald")
    assert article.paragraphs == ("The ministers met in Arlen on Tuesday.",)
    assert warnings == [
        f"{f}:3: unknown front matter key 'author' ignored (known: id, published, source, title, url)",
        f"{f}:4: unknown front matter key 'tags' ignored (known: id, published, source, title, url)",
        f"{f}:7: unknown front matter key 'evil' ignored (known: id, published, source, title, url)",
        f"{f}:9: front matter line is not 'key: value', ignored: 'just words'",
    ]


@pytest.mark.timeout(60)
def test_jsonl_bad_lines_are_numbered_and_good_lines_kept(tmp_path: Path) -> None:
    """Line numbers stay right with CRLF endings, a BOM, blank lines and Unicode line
    separators inside strings (which are not line ends in JSON Lines)."""
    lines = [
        json.dumps({"title": "One", "text": "First article\u2028with a line separator inside it."}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps({"title": "Two", "text": "Second\x85article with a next-line character in it."}, ensure_ascii=False),
        "[" * 100_000,
        '{"title": "Digits", "text": "x", "id": ' + "1" * 5000 + "}",
        json.dumps({"title": "No text"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "Three", "text": "Third article text.", "published": "the day before"}),
        json.dumps({"title": "Four", "text": "Fourth article about talks in Arlen."}),
    ]
    f = tmp_path / "wire.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    titles, warnings = collect(f)
    assert titles == ["One", "Two", "Four"]
    assert [w.split(": ", 1)[0] for w in warnings] == [f"{f}:{n}" for n in (3, 5, 6, 7, 8, 9)]
    assert "invalid JSON" in warnings[0] and "nested too deeply" in warnings[1] and "invalid JSON" in warnings[2]
    assert "missing or empty 'text'" in warnings[3] and "expected an object" in warnings[4]
    assert "not an ISO 8601 date" in warnings[5]


def test_json_fields_of_the_wrong_type_are_refused_or_read_as_text(tmp_path: Path) -> None:
    f = tmp_path / "types.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {**ARTICLE, "url": 12345},
        {**ARTICLE, "title": {"nested": "object"}},
        {**ARTICLE, "text": ["a", "list"]},
        {**ARTICLE, "id": 7, "source": "Wire"},
        {**ARTICLE, "source": 3.5},
    ]), "utf-8")
    warnings: list[str] = []
    articles = read_paths([f], warnings.append)
    assert [a.id for a in articles] == [articles[0].id, "7"]
    assert articles[0].url == "12345" and articles[0].source == ""
    assert [w.split(": ", 1)[0] for w in warnings] == [f"{f}:2", f"{f}:3", f"{f}:5"]


def test_lone_surrogates_and_control_characters_never_reach_an_article(tmp_path: Path) -> None:
    """JSON may spell characters UTF-8 cannot carry (``\\ud800``) and terminal escapes;
    they become U+FFFD and vanish, so every later stage can encode what it prints."""
    f = tmp_path / "odd.jsonl"
    f.write_text(json.dumps({
        "title": "Talks \ud800 resume\x1b[2J", "source": "Wire\x07", "url": "https://wire.example/\udfff",
        "text": "The ministers \udc80met in Arlen\x00 on Tuesday.\x1b]0;pwned\x07 They agreed to talk again.",
    }), "utf-8")
    (article,) = read_file(f, print)
    for value in (article.title, article.source, article.url or "", article.text):
        value.encode("utf-8")
        assert not any(ord(c) < 32 and c not in "\n\t" for c in value), value
    assert article.title == "Talks \ufffd resume[2J" and "met in Arlen on Tuesday." in article.text


def test_file_name_that_is_not_utf8_is_cited_printably(tmp_path: Path) -> None:
    """Linux file names are bytes; one that is not UTF-8 arrives as lone surrogates and
    becomes the cited source of a bare text file."""
    os.makedirs(os.fsencode(tmp_path / "in"))
    with open(os.fsencode(tmp_path / "in") + b"/caf\xe9.txt", "wb") as handle:
        handle.write(GOOD.encode("utf-8"))
    warnings: list[str] = []
    (article,) = read_paths([tmp_path / "in"], warnings.append)
    assert warnings == []
    assert article.source == "caf\ufffd.txt"
    (article.source + article.origin).encode("utf-8")


@pytest.mark.timeout(30)
def test_fifo_and_device_inputs_are_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe would block the read for ever, ``/dev/zero`` would fill memory."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    good = tmp_path / "good.txt"
    good.write_text(GOOD, "utf-8")
    titles, warnings = collect(fifo, zero, good)
    assert titles == ["Ceasefire talks resume"]
    assert warnings == [f"{fifo}: not a regular file", f"{zero}: not a regular file"]


@pytest.mark.timeout(30)
def test_file_growing_past_the_limit_is_never_read_whole(tmp_path: Path) -> None:
    """The size limit holds even for a sparse file far beyond memory: the reader stops at the limit."""
    f = tmp_path / "sparse.txt"
    with f.open("wb") as handle:
        handle.truncate(8 * 1024**3)
    with pytest.raises(InputError, match="too large"):
        read_file(f, print)


@pytest.mark.timeout(30)
def test_symlink_loop_in_an_input_folder_ends(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "a" / "good.txt").write_text(GOOD, "utf-8")
    titles, warnings = collect(tmp_path)
    assert titles == ["Ceasefire talks resume"] and warnings == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("line", ["*a " * 200_000, "[" * 600_000, "[x](" * 150_000, "__a " * 150_000])
def test_markdown_markup_removal_is_linear(line: str) -> None:
    """Unclosed emphasis and link brackets made the markup regexes scan to the end of the
    line from every mark: hours for one long line. Bounded spans make it linear."""
    assert strip_markdown(line) == line


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("text", "expected"), [
    (" " * 1_000_000 + "#", " " * 1_000_000 + "#"),  # indented: not a heading
    ("> " * 500_000 + "text", "text"),
    ("-|" * 500_000 + "x", "-|" * 500_000 + "x"),  # not a table's delimiter row
    ("| a |\n" * 100_000, "\n" * 99_999 + "\n"),  # table rows all dropped
])
def test_markdown_block_markup_removal_is_linear(text: str, expected: str) -> None:
    assert strip_markdown(text) == expected


@pytest.mark.timeout(60)
def test_one_giant_paragraph_is_split_in_bounded_time() -> None:
    """pysbd's time grows with the square of a paragraph's length (17 s for 160 kB, some
    minutes for this one); long paragraphs are cut at sentence ends into pieces first."""
    count = 5200
    text = " ".join(sentence(i) for i in range(count))
    assert len(text) > 500_000
    sentences = split_article(Article("big", "Big", (text,)))
    assert [s.text for s in sentences] == [sentence(i) for i in range(count)]


def test_long_paragraph_splits_like_short_ones() -> None:
    """Cutting a long paragraph never splits inside a sentence, even without sentence ends."""
    long = " ".join(sentence(i) for i in range(400))
    assert nlp.split_sentences(long) == [sentence(i) for i in range(400)]
    run_on = "word " * 5000
    pieces = nlp.split_sentences(run_on)
    assert "".join(pieces).replace(" ", "") == run_on.replace(" ", "")
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)


@pytest.mark.timeout(120)
def test_multi_megabyte_html_page_is_read(tmp_path: Path) -> None:
    body = "".join(f"<p>{sentence(i)} {sentence(i + 1)}</p>" for i in range(0, 16_000, 2))
    page = f"<html><head><title>Long page</title></head><body><article><h1>Long page</h1>{body}</article></body></html>"
    f = tmp_path / "long.html"
    f.write_text(page, "utf-8")
    assert f.stat().st_size > 1_500_000
    (article,) = read_file(f, print)
    assert article.title == "Long page" and len(article.paragraphs) == 8000


@pytest.mark.timeout(120)
@pytest.mark.parametrize("closed", [True, False])
def test_deeply_nested_html_is_refused_cleanly(tmp_path: Path, closed: bool) -> None:
    """100,000 nested divs: libxml2 stops at its depth limit; the page has no readable text left."""
    depth = 100_000
    page = "<html><body>" + "<div>" * depth + f"<p>{sentence(1)}</p>" + ("</div>" * depth if closed else "") + "</body></html>"
    (tmp_path / "nested.html").write_text(page, "utf-8")
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    titles, warnings = collect(tmp_path)
    assert titles == ["Ceasefire talks resume"]
    assert warnings == [f"{tmp_path / 'nested.html'}: no article text found in the HTML page"]


def test_html_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", "utf-8")
    f = tmp_path / "xxe.html"
    f.write_text(
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
        '<!ENTITY lol "lollollollollollollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<html><body><article><h1>Entities</h1><p>The ministers met in Arlen on Tuesday. &xxe; &lol2;</p>"
        "<p>They agreed to meet again in January to discuss the border.</p></article></body></html>",
        "utf-8",
    )
    (article,) = read_file(f, print)
    assert "TOP-SECRET-VALUE" not in article.text and "lollollol" not in article.text
    assert "met in Arlen" in article.text


def run_cli(*args: str, cwd: Path, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BRIEFING_CONFIG": "", "PYTHONPATH": str(PROJECT), "COLUMNS": "300"}
    return subprocess.run([*prefix, sys.executable, "-m", "briefing", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=240)


def where_permissions_hold() -> list[str]:
    """A command prefix under which file permissions are enforced: none for an ordinary user;
    for root (who reads any file), setpriv dropping the capabilities that let it."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if setpriv else []


@pytest.mark.timeout(300)
def test_unreadable_file_and_folder_are_named_and_the_batch_goes_on(tmp_path: Path) -> None:
    """chmod 000 on a file and on a folder: each is one warning, the rest is briefed. A
    folder the walk could not enter used to be skipped in silence."""
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD, "utf-8")
    secret, locked = folder / "secret.txt", folder / "locked"
    secret.write_text(GOOD.replace("Ceasefire talks resume", "Secret talks"), "utf-8")
    (locked / "inner.txt").write_text(GOOD.replace("Ceasefire talks resume", "Inner talks"), "utf-8")
    prefix = where_permissions_hold()
    secret.chmod(0)
    locked.chmod(0)
    try:
        if subprocess.run([*prefix, "cat", str(secret)], capture_output=True).returncode == 0:
            pytest.skip("file permissions are not enforced here (root, and setpriv cannot drop CAP_DAC_OVERRIDE)")
        done = run_cli("build", str(folder), "--date", "2026-11-25", "--out", str(tmp_path / "out"), "--formats", "txt",
                       cwd=tmp_path, prefix=prefix)
    finally:
        secret.chmod(0o644)
        locked.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"warning: {locked}: cannot read the folder (Permission denied)",
        f"warning: {secret}: cannot read (Permission denied)",
    ]
    text = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    assert "from 1 article" in text and "Secret talks" not in text and "Inner talks" not in text


@pytest.mark.timeout(300)
def test_cli_messages_are_one_line_each_literal_and_without_terminal_escapes(tmp_path: Path) -> None:
    """Names and values in messages come from the input: markup such as ``[/]`` prints
    literally, escape sequences cannot reach the terminal, and the edition is still made."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, "utf-8")
    (folder / "evil\x1b]0;pwned\x07\x1b[2J.txt").write_bytes(b"")
    (folder / "new\nline.txt").write_bytes(b"")
    (folder / "markup.jsonl").write_text(json.dumps({"text": "Talks went on.", "published": "[/] [bold red]x"}), "utf-8")
    done = run_cli("build", str(folder), "--date", "2026-11-25", "--out", str(tmp_path / "out"), "--formats", "txt",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr and "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3, done.stderr
    assert any("'[/] [bold red]x'" in w for w in warnings)
    assert any("evil" in w and "empty file" in w for w in warnings)
    assert any("new" in w and "line.txt: empty file" in w for w in warnings)
    assert (tmp_path / "out" / "briefing-2026-11-25.txt").exists()


@pytest.mark.timeout(300)
def test_cli_without_usable_input_says_why_and_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bin.txt").write_bytes(b"\x00\x01\x02")
    (folder / "deep.json").write_text("[" * 100_000, "utf-8")
    done = run_cli("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    *warnings, error = done.stderr.splitlines()
    assert warnings == [
        f"warning: {folder / 'bin.txt'}: binary data (NUL bytes), not text",
        f"warning: {folder / 'deep.json'}: invalid JSON (nested too deeply)",
    ]
    assert error.startswith("error: no usable articles") and error.endswith("nothing to brief")
    assert not (tmp_path / "out").exists()


@pytest.mark.timeout(300)
def test_inputs_without_sentences_are_named_and_nothing_usable_exits_3(tmp_path: Path) -> None:
    """Files that hold no article or no sentence were passed over in silence, and a build
    of them wrote an edition of "0 key sentences" with exit 0."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "furniture.txt").write_text("Read more\n\nClick here.\n", "utf-8")
    (folder / "list.json").write_text("[]", "utf-8")
    (folder / "front.md").write_text("---\ntitle: Talks in Arlen\n---", "utf-8")
    done = run_cli("build", str(folder), "--date", "2026-11-25", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    *warnings, error = done.stderr.splitlines()
    assert warnings == [
        f"warning: {folder / 'front.md'}: no article text",
        f"warning: {folder / 'list.json'}: no articles (an empty list)",
        f"warning: {folder / 'furniture.txt'}: no sentences (nothing of {MIN_WORDS} words or more)",
    ]
    assert error == "error: no usable articles (none has a sentence); nothing to brief"
    assert not (tmp_path / "out").exists()


def test_an_article_without_sentences_is_named_and_left_out(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    (tmp_path / "furniture.txt").write_text("Read more\n\nClick here.\n", "utf-8")
    done = run_cli("build", str(tmp_path), "--date", "2026-11-25", "--out", str(tmp_path / "out"), "--formats", "txt",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"warning: {tmp_path / 'furniture.txt'}: no sentences (nothing of {MIN_WORDS} words or more)"]
    assert "from 1 article" in (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    classified = run_cli("classify", str(tmp_path / "furniture.txt"), cwd=tmp_path)
    assert classified.returncode == 3 and classified.stdout == ""
    assert classified.stderr.splitlines()[-1] == "error: no usable articles (none has a sentence); nothing to brief"


@pytest.mark.timeout(120)
def test_unwritable_output_folder_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    done = run_cli("build", str(tmp_path / "good.txt"), "--out", str(blocker / "sub"), "--formats", "txt", cwd=tmp_path)
    assert done.returncode == 4 and "Traceback" not in done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert str(blocker / "sub") in error and "cannot write" in error
    assert stat.S_ISREG(blocker.stat().st_mode)


def test_duplicate_article_ids_keep_the_first_and_say_so(tmp_path: Path) -> None:
    """Sentences, stories and citations are keyed by article id: a second article under the
    same id used to replace the first one's sentences and cancel both as repeats."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text(GOOD, "utf-8")
    (tmp_path / "sub" / "a.txt").write_text(GOOD, "utf-8")
    (tmp_path / "wire.jsonl").write_text(
        json.dumps({"id": "w1", "title": "First", "text": "The ministers met in Arlen on Tuesday."}) + "\n"
        + json.dumps({"id": "w1", "title": "Second", "text": "Troops withdrew from the border on Monday."}) + "\n",
        "utf-8",
    )
    titles, warnings = collect(tmp_path)
    assert titles == ["Ceasefire talks resume", "First"]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{tmp_path / 'sub' / 'a.txt'}: the same article as {tmp_path / 'a.txt'}")
    assert warnings[1].startswith(f"{tmp_path / 'wire.jsonl'}:2: the same id as {tmp_path / 'wire.jsonl'}:1 (id 'w1')")


def test_the_same_article_twice_still_makes_its_briefing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from briefing.cli import main

    (tmp_path / "in" / "copy").mkdir(parents=True)
    for folder in (tmp_path / "in", tmp_path / "in" / "copy"):
        (folder / "a.txt").write_text(GOOD, "utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "in"), "--date", "2026-11-25", "--out", str(tmp_path / "out"),
                                       "--formats", "txt"], env={"BRIEFING_CONFIG": ""}, catch_exceptions=False)
    assert result.exit_code == 0
    text = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    assert "ceasefire" in text and "Drevno" in text


def test_markup_that_crashes_the_extractor_is_refused_cleanly(tmp_path: Path) -> None:
    """Found by tests/test_fuzz.py: htmldate asserts on an ``<svg>`` root (lxml drop_tree)."""
    (tmp_path / "svg.html").write_text('<svg href=""><p href=""><p href="">', "utf-8")
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    titles, warnings = collect(tmp_path)
    assert titles == ["Ceasefire talks resume"]
    assert warnings == [f"{tmp_path / 'svg.html'}: the HTML page cannot be parsed (AssertionError in the extractor)"]


def varied_sentences(count: int, seed: int = 7) -> list[str]:
    """Sentences of made-up words, none alike: what a long article is, unlike a template."""
    import random

    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    return [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(10, 22))).capitalize() + "." for _ in range(count)]


@pytest.mark.timeout(180)
def test_multi_megabyte_article_goes_through_the_whole_pipeline(tmp_path: Path) -> None:
    """1.6 MB in ordinary paragraphs: read, split, grouped, classified and summarized
    (about 8 s on the development machine)."""
    from datetime import date

    from briefing.config import load_config
    from briefing.pipeline import make_briefing

    sentences = varied_sentences(14_400)
    f = tmp_path / "long.txt"
    f.write_text("Long report\n\n" + "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, 14_400, 4)), "utf-8")
    assert f.stat().st_size > 1_500_000
    (article,) = read_file(f, print)
    briefing = make_briefing(load_config(None, env={}), [article], date(2026, 11, 25))
    assert briefing.sentence_count > 14_000 and any(digest.sentences for digest in briefing.sections)


@pytest.mark.parametrize("kind", ["repeated", "templated"])
def test_story_grouping_work_grows_linearly_with_near_repeats(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Counted, not timed: Jaccard comparisons for 1,500 sentences that are all alike."""
    from briefing import stories
    from briefing.sentences import split_articles

    calls = 0
    real = stories._jaccard

    def counting(a: frozenset[str], b: frozenset[str]) -> float:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(stories, "_jaccard", counting)
    if kind == "repeated":
        paragraphs = tuple(f"{sentence(1)} {sentence(2)}" for _ in range(750))
    else:
        paragraphs = tuple(f"{sentence(2 * i)} {sentence(2 * i + 1)}" for i in range(750))
    article = Article("alike", "Alike", paragraphs)
    stories.find_stories([article], split_articles([article]))
    assert calls <= 20 * 1500, calls
