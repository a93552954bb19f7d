"""Exit codes the README promises for inputs a command cannot do without, and for a
reader of stdout that goes away: one line, a documented code, never 1 (a bug)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from briefing.cli import BROKEN_PIPE_EXIT, main

PROJECT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path):
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), env={"BRIEFING_CONFIG": ""}, catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_send_for_a_date_whose_archive_is_damaged_exits_3_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "briefing-2026-11-25.json").write_text("{broken", "utf-8")
    result = run("send", "--date", "2026-11-25", "--out", str(out), "--dry-run", cwd=tmp_path)
    assert result.exit_code == 3, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "briefing-2026-11-25.json: not a readable briefing archive" in line


def test_evaluation_file_that_does_not_exist_exits_3(tmp_path: Path) -> None:
    result = run("eval", "sections", str(tmp_path / "missing.jsonl"), cwd=tmp_path)
    assert result.exit_code == 3, result.output
    assert "missing.jsonl: cannot read evaluation file" in result.stderr


def test_subscribers_import_of_a_csv_without_an_email_column_exits_3(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,sections\nAna,diplomacy\n", "utf-8")
    result = run("subscribers", "import", str(people), cwd=tmp_path)
    assert result.exit_code == 3, result.output
    assert "people.csv: the CSV needs a header row with an 'email' column" in result.stderr


def test_a_reader_that_stops_early_ends_the_output_silently_with_141(tmp_path: Path) -> None:
    """`briefing classify … --json | head -c 100`: a real pipe closed after 100 bytes of
    output several hundred kilobytes long, so the writes after it fail."""
    rng = random.Random(1)
    words = ["ministers", "talks", "border", "ceasefire", "parliament", "budget", "troops", "drones", "Arlen"]
    paragraphs = [" ".join(" ".join(rng.choices(words, k=10)).capitalize() + "." for _ in range(3)) for _ in range(700)]
    article = tmp_path / "long.txt"
    article.write_text("Long report\n\n" + "\n\n".join(paragraphs), "utf-8")
    reader = subprocess.Popen([sys.executable, "-m", "briefing", "classify", str(article), "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT,
                              env={**os.environ, "BRIEFING_CONFIG": ""})
    assert reader.stdout is not None and reader.stderr is not None
    assert len(reader.stdout.read(100)) == 100
    reader.stdout.close()
    errors = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == BROKEN_PIPE_EXIT == 141
    assert errors == ""
