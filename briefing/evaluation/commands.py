"""``briefing eval``: measure the pipeline against labelled data (a thin click layer).

Registered on the main group by ``briefing/cli.py``; import ``briefing.cli`` rather than
this module directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..cli import Reporter, common_options, load
from ..fsutil import atomic_write_text
from .sections import SectionScores, evaluate_sections


@click.group(name="eval")
def eval_group() -> None:
    """Measure quality against labelled data (accuracy, F1, ROUGE).

    \b
    Example:
      briefing eval sections labelled.jsonl --json scores.json
    """


@eval_group.command(name="sections")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the scores (with the confusion matrix) to this JSON file.")
@common_options
def sections_command(file: Path, json_out: Path | None, config_path: Path | None, reporter: Reporter) -> None:
    """Classify the labelled sentences of FILE (JSONL: text, section; optional article,
    paragraph) with the configured sections and print accuracy, macro-F1, per-section
    precision/recall/F1 and the confusion matrix.

    \b
    Example:
      briefing eval sections tests/data/sections-fresh.jsonl --json fresh.json
    """
    scores = evaluate_sections(file, load(config_path).sections)
    print_scores(scores, Console(highlight=False, soft_wrap=True))
    if json_out:
        atomic_write_text(json_out, json.dumps(scores.as_dict(), indent=2) + "\n")
        reporter.info(f"scores written to {json_out}")


def print_scores(scores: SectionScores, console: Console) -> None:
    """Two tables: the scores per section, then gold (rows) against predicted (columns)."""
    console.print(f"{scores.count} sentences  accuracy {scores.accuracy:.3f}  macro-F1 {scores.macro_f1:.3f}")
    per_section = Table("section", "precision", "recall", "F1", "support")
    for label, s in scores.per_section.items():
        per_section.add_row(label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(int(s["support"])))
    console.print(per_section)
    confusion = Table("gold \\ predicted", *scores.labels)
    for gold, row in scores.confusion.items():
        confusion.add_row(gold, *(str(row[p]) for p in scores.labels))
    console.print(confusion)
