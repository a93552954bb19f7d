"""The section evaluation harness (issue 6): scores computed by hand on tiny inputs, JSONL
reading and grouping, the ``briefing eval sections`` command, and the classifier's measured
quality on the shared development set and on our own held-out sets, each with a floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing import section_model
from briefing.config import ClassifyConfig, default_sections
from briefing.errors import InputError
from briefing.evaluation.sections import SectionScores, evaluate_sections, predict, read_labelled, score_labels

ROOT = Path(__file__).resolve().parent.parent
SHARED_DEV = ROOT.parent / "shared" / "eval" / "sections-dev.jsonl"
FRESH = ROOT / "tests" / "data" / "sections-fresh.jsonl"
BLIND = ROOT / "tests" / "data" / "sections-blind.jsonl"
BLIND2 = ROOT / "tests" / "data" / "sections-blind2.jsonl"


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def test_scores_match_a_hand_computation() -> None:
    gold = ["military", "military", "diplomacy", "other", "other", "domestic"]
    pred = ["military", "diplomacy", "diplomacy", "other", "military", "domestic"]
    scores = score_labels(gold, pred)
    assert scores.count == 6
    assert scores.accuracy == pytest.approx(4 / 6)
    # military: 1 right of 2 predicted, of 2 gold; diplomacy: 1 of 2 predicted, 1 gold
    assert scores.per_section["military"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert scores.per_section["diplomacy"]["precision"] == pytest.approx(0.5)
    assert scores.per_section["diplomacy"]["f1"] == pytest.approx(2 / 3)
    assert scores.per_section["other"]["recall"] == pytest.approx(0.5)
    assert scores.macro_f1 == pytest.approx((0.5 + 2 / 3 + 1.0 + 2 / 3) / 4)
    assert scores.confusion["military"]["diplomacy"] == 1
    assert scores.confusion["other"]["military"] == 1
    assert scores.labels[-1] == "other"


def test_bad_records_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "section": "other"}\n\n{"text": "no label"}\n', "utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:3: .*'section'"):
        read_labelled(path)
    path.write_text("not json\n", "utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:1: not JSON"):
        read_labelled(path)
    with pytest.raises(InputError, match="cannot read"):
        read_labelled(tmp_path / "missing.jsonl")


def test_records_of_one_article_are_classified_together(tmp_path: Path) -> None:
    strong = "Artillery shelling killed six soldiers near the front line on Monday."
    weak = "It was the third such incident this week."
    grouped = read_labelled(write_jsonl(tmp_path / "g.jsonl", [
        {"text": strong, "section": "military", "article": "x"},
        {"text": weak, "section": "military", "article": "x"},
        {"text": weak, "section": "other"},
    ]))
    assert [r.article for r in grouped] == ["x", "x", None]
    assert predict(grouped, default_sections()) == ["military", "military", "other"]


def test_eval_sections_command_prints_and_writes_json(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "small.jsonl", [
        {"text": "Parliament passed the pensions bill after a long debate.", "section": "domestic"},
        {"text": "Rebels shelled the town, killing four civilians.", "section": "military"},
        {"text": "Shares in the carmaker fell 5 percent.", "section": "other"},
        {"text": "The two foreign ministers met for talks in Geneva.", "section": "military"},
    ])
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(main, ["eval", "sections", str(data), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "accuracy 0.750" in result.output
    assert "gold \\ predicted" in result.output
    written = json.loads(out.read_text("utf-8"))
    assert written["accuracy"] == pytest.approx(0.75)
    assert written["confusion"]["military"]["diplomacy"] == 1


def test_eval_sections_command_fails_with_one_line_on_bad_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "sections", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 3  # no usable input; 1 is for bugs
    assert "none.jsonl" in result.output and "Traceback" not in result.output


# --- measured quality, with floors a few points under what the classifier reaches ------------
# The shipped classifier is the terms and rules plus the learned cue (section_model.py), which
# was trained on training/sections/ only: none of these files.


def shipped_scores(path: Path) -> SectionScores:
    return evaluate_sections(path, default_sections(), section_model.configured(ClassifyConfig()))


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="../shared evaluation data is not available")
def test_shared_development_set_score() -> None:
    """Real AG-news and BBC sentences of 2004-05: the rules were developed on half of them."""
    scores = shipped_scores(SHARED_DEV)
    assert scores.accuracy >= 0.81  # measured 0.833 (rules alone 0.829)
    assert scores.macro_f1 >= 0.79  # measured 0.816 (rules alone 0.813)


def test_second_blind_set_score() -> None:
    """Written by one editor and labelled again by another, blind (447 of 452 agreed kept),
    2013-2026 and 1980s reporting in online, regional and broadcast styles, 60% in long mixed
    articles; never read while developing: the honest estimate on other sources and years."""
    scores = shipped_scores(BLIND2)
    assert scores.count >= 440
    assert scores.accuracy >= 0.89  # measured 0.922 (rules alone 0.857)
    assert scores.macro_f1 >= 0.89  # measured 0.923 (rules alone 0.857)
    assert min(s["f1"] for s in scores.per_section.values()) >= 0.85  # measured 0.89 (military)


def test_fresh_set_score() -> None:
    """Invented news from other regions and eras, with long mixed articles (never tuned on)."""
    scores = shipped_scores(FRESH)
    assert scores.count >= 150
    assert scores.accuracy >= 0.91  # measured 0.963 (rules alone 0.951)
    assert scores.macro_f1 >= 0.91  # measured 0.962
    assert scores.per_section["other"]["recall"] >= 0.9


def test_blind_set_score() -> None:
    """Invented 2004-05 wire and BBC-politics news, written and labelled before the relation
    rules, scored once before (0.891 / 0.888) and once after them."""
    scores = shipped_scores(BLIND)
    assert scores.count >= 120
    assert scores.accuracy >= 0.91  # measured 0.949
    assert scores.macro_f1 >= 0.91  # measured 0.949
    assert scores.per_section["diplomacy"]["f1"] >= 0.88  # measured 0.95


def test_rules_alone_still_carry_a_taxonomy_the_model_does_not_know() -> None:
    """With model_weight = 0 (or sections of a user's own) the terms and rules decide alone."""
    scores = evaluate_sections(BLIND, default_sections())
    assert scores.accuracy >= 0.89  # measured 0.920
    assert scores.macro_f1 >= 0.88  # measured 0.915
