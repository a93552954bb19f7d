"""The CLI through its real entry point: commands, outputs, messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from briefing.cli import main
from briefing.pipeline import sample_inputs

ARTICLE = (
    "Ceasefire talks resume\n\n"
    "The foreign ministers of Velmora and Ostravia met in Arlen on Tuesday for talks on extending the ceasefire. "
    "They agreed to meet again in January, the Velmoran foreign ministry said.\n\n"
    "Artillery shelling killed two soldiers near the border town of Drevno overnight, the army said. "
    "Drones were shot down over the frontier.\n\n"
    "In the capital, parliament passed the budget after a long debate, and police arrested protesters outside."
)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"BRIEFING_CONFIG": "", **(env or {})}, catch_exceptions=False)


def test_build_samples_writes_all_formats(tmp_path: Path) -> None:
    result = run("build", "--out", str(tmp_path), "--formats", "pdf,html,txt", "-q")
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.split()]
    assert [p.name for p in paths] == [f"briefing-2026-11-25.{ext}" for ext in ("pdf", "html", "txt")]
    assert all(p.stat().st_size > 0 for p in paths)
    reader = PdfReader(paths[0])
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Diplomacy" in text and "Domestic" in text
    assert (tmp_path / "briefing-2026-11-25.json").exists()


def test_build_of_the_samples_folder_named_explicitly_reads_only_articles(tmp_path: Path) -> None:
    """The samples folder held its README.md (read as an article) and EDITION (a warning)."""
    folder = sample_inputs()[0].parent
    named = run("build", str(folder), "--date", "2026-11-25", "--out", str(tmp_path / "a"), "--formats", "txt")
    default = run("build", "--out", str(tmp_path / "b"), "--formats", "txt")
    assert named.exit_code == default.exit_code == 0, named.output
    assert named.stderr == "" and default.stderr == ""
    cover = [(tmp_path / out / "briefing-2026-11-25.txt").read_text("utf-8").splitlines()[3] for out in ("a", "b")]
    assert cover[0] == cover[1] == "15 key sentences in 3 sections from 12 articles"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in sample_inputs())


def test_build_with_inputs_and_date(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text(ARTICLE, "utf-8")
    out = tmp_path / "out"
    result = run("build", str(source), "--date", "2026-01-02", "--out", str(out), "--formats", "txt", "--sentences", "2")
    assert result.exit_code == 0, result.output
    text = (out / "briefing-2026-01-02.txt").read_text("utf-8")
    assert "Ceasefire talks resume" in text


def test_build_with_nothing_usable_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", "utf-8")
    result = run("build", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert f"{tmp_path / 'empty.txt'}: empty file" in result.stderr
    assert "no usable articles" in result.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_bad_file_warns_and_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, "utf-8")
    (tmp_path / "bad.jsonl").write_text("{oops\n", "utf-8")
    result = run("build", str(tmp_path), "--out", str(tmp_path / "o"), "--formats", "txt")
    assert result.exit_code == 0
    assert f"{tmp_path / 'bad.jsonl'}:1: invalid JSON" in result.stderr


def test_bad_option_and_bad_config_exit_2(tmp_path: Path) -> None:
    assert run("build", "--formats", "docx").exit_code == 2
    config = tmp_path / "c.toml"
    config.write_text("[summary]\nsentences = 'x'\n", "utf-8")
    result = run("build", "--config", str(config))
    assert result.exit_code == 2 and "summary.sentences" in result.stderr


def test_bad_formats_name_the_option_and_the_format() -> None:
    result = run("build", "--formats", "pdf,xls")
    assert result.exit_code == 2
    assert "Invalid value for '--formats': unknown format 'xls'; choose from pdf, html, txt" in result.stderr


def test_common_options_work_before_the_command_too(tmp_path: Path) -> None:
    """``briefing -q build`` was "No such option '-q'": -q, -v and --config are accepted
    on the group as well as on every command."""
    (tmp_path / "a.txt").write_text(ARTICLE, "utf-8")
    (tmp_path / "bad.jsonl").write_text("{oops\n", "utf-8")
    build = ["build", str(tmp_path), "--out", str(tmp_path / "o"), "--formats", "txt"]
    quiet = run("-q", *build)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and quiet.stdout.strip().endswith(".txt")
    verbose = run("-v", *build)
    assert verbose.exit_code == 0 and "summarize: " in verbose.stderr and "invalid JSON" in verbose.stderr
    config = tmp_path / "c.toml"
    config.write_text("[summary]\nsentences = 'x'\n", "utf-8")
    bad = run("--config", str(config), "classify", str(tmp_path / "a.txt"))
    assert bad.exit_code == 2 and "summary.sentences" in bad.stderr
    good = tmp_path / "good.toml"
    good.write_text("[render]\ntitle = 'Group Config'\n", "utf-8")
    assert run("--config", str(good), *build).exit_code == 0
    assert "GROUP CONFIG" in next((tmp_path / "o").glob("*.txt")).read_text("utf-8")
    assert run("--config", str(config), *build, "--config", str(good)).exit_code == 0  # the command's own wins


def test_classify_json_lines(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, "utf-8")
    result = run("classify", str(tmp_path / "a.txt"), "--json")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["index"] for r in records] == list(range(len(records)))
    assert {"article", "index", "text", "section", "score", "evidence"} <= set(records[0])
    sections = {r["text"][:20]: r["section"] for r in records}
    assert sections["The foreign minister"] == "diplomacy"
    assert sections["Artillery shelling k"] == "military"
    assert sections["In the capital, parl"] == "domestic"


def test_summarize_lexrank_no_dedupe_matches_sumy(tmp_path: Path) -> None:
    from briefing.summarize import new_sumy_summarizer, sumy_document
    from briefing.ingest import read_paths
    from briefing.sentences import split_articles

    inputs = sample_inputs()[:4]
    result = run("summarize", *map(str, inputs), "--sentences", "5", "--algorithm", "lexrank", "--no-dedupe")
    assert result.exit_code == 0
    articles = read_paths(inputs, print)
    by_article = split_articles(articles)
    pool = [s for a in articles for s in by_article[a.id]]
    expected = [str(s) for s in new_sumy_summarizer("lexrank")(sumy_document(pool), 5)]
    assert result.stdout.splitlines() == expected


def test_summarize_spreads_our_picks_across_stories_and_leaves_sumys_alone() -> None:
    """Our default picks one sentence per story first (README: Summaries); sumy's algorithms
    keep sumy's own picks, so --no-dedupe still gives exactly what sumy picks."""
    from briefing.summarize import new_sumy_summarizer, sumy_document
    from briefing.ingest import read_paths
    from briefing.sentences import split_articles

    inputs = list(map(str, sample_inputs()))
    ours = run("summarize", *inputs, "--sentences", "6", "--json")
    assert ours.exit_code == 0, ours.output
    assert len({json.loads(line)["article"] for line in ours.stdout.splitlines()}) == 6
    theirs = run("summarize", *inputs, "--sentences", "6", "--algorithm", "sumy-lexrank", "--no-dedupe")
    articles = read_paths(sample_inputs(), print)
    by_article = split_articles(articles)
    pool = [s for a in articles for s in by_article[a.id]]
    assert theirs.stdout.splitlines() == [str(s) for s in new_sumy_summarizer("lexrank")(sumy_document(pool), 6)]


def test_summarize_by_section_json(tmp_path: Path) -> None:
    result = run("summarize", *map(str, sample_inputs()), "--by-section", "--json", "--sentences", "2")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["section"] for r in records} == {"diplomacy", "military", "domestic"}


def test_python_dash_m_and_help() -> None:
    done = subprocess.run([sys.executable, "-m", "briefing", "build", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "Example:" in done.stdout and "--formats" in done.stdout


def test_commands_that_do_not_need_them_load_no_heavy_libraries() -> None:
    """Counted, not timed: --help, subscribers and deliveries must not pay for NLTK,
    sumy, WeasyPrint or trafilatura at start-up."""
    heavy = ["nltk", "sumy", "weasyprint", "trafilatura"]
    code = f"import sys, briefing.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_same_file_twice_is_classified_once(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, "utf-8")
    once = run("classify", str(article), "--json")
    twice = run("classify", str(article), str(article), "--json")
    assert twice.exit_code == 0
    assert twice.stdout == once.stdout
    assert f"{article}: the same article as {article}" in twice.stderr
