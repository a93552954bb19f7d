"""``briefing eval`` and ``briefing train``: measure the pipeline against labelled data, and
learn the classifier's model from it (a thin click layer).

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
from .. import section_model
from ..errors import NoArticlesError
from ..fsutil import write_requested_file
from .sections import SectionScores, evaluate_sections, read_labelled
from .summaries import SPLITS, Score, algorithm_names, evaluate_splits, load_cases, write_json


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
    config = load(config_path)
    scores = evaluate_sections(file, config.sections, section_model.configured(config.classify))
    print_scores(scores, Console(highlight=False, soft_wrap=True))
    if json_out:
        write_requested_file(json_out, json.dumps(scores.as_dict(), indent=2) + "\n")
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


@eval_group.command(name="summaries")
@click.argument("articles_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("summaries_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--algorithms", help="Comma-separated algorithms (default: every registered one, then lead).")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
              help="Development half, held-out half, or all articles (a table for each half and one overall).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the scores to this JSON file.")
@common_options
def summaries_command(articles_dir: Path, summaries_dir: Path, algorithms: str | None, split: str,
                      json_out: Path | None, config_path: Path | None, reporter: Reporter) -> None:
    """ROUGE-1/2/L F1 (rouge-score, stemming on) of every algorithm against the reference
    extracts in SUMMARIES_DIR, each article summarized in as many sentences as its
    reference shares with it verbatim. ARTICLES_DIR and SUMMARIES_DIR hold NNN.txt files
    of the same names (an article's first line is its title).

    \b
    Example:
      briefing eval summaries ../shared/eval/bbc-politics-dev/articles \\
          ../shared/eval/bbc-politics-dev/summaries --split dev --algorithms briefing,textrank,lead
    """
    names = algorithm_names(algorithms)
    cases = load_cases(articles_dir, summaries_dir, split, reporter.warn)
    if not cases:
        raise NoArticlesError(f"{articles_dir}: no article with a usable reference extract in {summaries_dir}")
    tables = evaluate_splits(cases, names, split)
    console = Console(highlight=False, soft_wrap=True)
    for name, scores in tables.items():
        print_rouge(name, scores, console)
    if json_out:
        write_json(json_out, tables)
        reporter.info(f"scores written to {json_out}")


def print_rouge(split: str, scores: list[Score], console: Console) -> None:
    """One table per split, best ROUGE-2 first."""
    table = Table("algorithm", "ROUGE-1", "ROUGE-2", "ROUGE-L", "sentences/s",
                  title=f"{split}: {scores[0].articles if scores else 0} articles")
    for s in sorted(scores, key=lambda s: s.rouge2, reverse=True):
        table.add_row(s.algorithm, f"{s.rouge1:.2f}", f"{s.rouge2:.2f}", f"{s.rougeL:.2f}", f"{s.sentences_per_second:,.0f}")
    console.print(table)


@click.command(name="train")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model (gzipped JSON); point [classify] model at it.")
@click.option("--strength", type=click.FloatRange(min=0, min_open=True), default=section_model.STRENGTH,
              show_default=True, help="Inverse regularisation: higher fits the training sentences more closely.")
@common_options
def train_command(files: tuple[Path, ...], out: Path, strength: float, config_path: Path | None,
                  reporter: Reporter) -> None:
    """Learn the section classifier's model from labelled sentences (JSONL: text, section,
    as for `eval sections`) and write it to OUT. Its labels are the section ids it will
    support; the shipped model is `briefing train training/sections/*.jsonl`.

    \b
    Example:
      briefing train training/sections/*.jsonl my-labels.jsonl --out data/sections-model.json.gz
    """
    records = [record for file in files for record in read_labelled(file)]
    model = section_model.train([(r.text, r.section) for r in records], strength)
    write_requested_file(out, section_model.save_bytes(model))
    labels = ", ".join(f"{label} {sum(r.section == label for r in records)}" for label in model.classes)
    click.echo(f"{out}: {len(records)} sentences ({labels}), {len(model.weights)} features")
