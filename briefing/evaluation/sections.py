"""How well the classifier files sentences: accuracy, macro-F1, per-section scores, confusion.

An evaluation file is JSONL, one labelled sentence a line: ``text`` and the gold ``section``.
Sentences are classified as one-sentence articles, as their labellers read them, unless
records name their article (``article``, or ``context``): consecutive records of the same
article are then classified together, in file order, so context rules are measured too.
An optional ``paragraph`` number marks paragraph breaks within an article.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from ..classify import OTHER, classify
from ..config import SectionDef
from ..errors import InputError
from ..models import Article, Sentence
from ..section_model import Learned

__all__ = ["LabelledSentence", "SectionScores", "evaluate_sections", "read_labelled", "score_labels"]

GROUP_KEYS = ("article", "context")


@dataclass(frozen=True)
class LabelledSentence:
    id: str
    text: str
    section: str
    article: str | None = None  # None: the sentence is an article of its own
    paragraph: int = 0


@dataclass(frozen=True)
class SectionScores:
    """Scores of one run; ``per_section`` maps a label to precision, recall, F1 and support,
    ``confusion[gold][predicted]`` counts sentences."""

    count: int
    accuracy: float
    macro_f1: float
    labels: tuple[str, ...]
    per_section: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, object]:
        return {
            "count": self.count, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
            "labels": list(self.labels), "per_section": self.per_section, "confusion": self.confusion,
        }


def read_labelled(path: Path) -> list[LabelledSentence]:
    """The file's records; a bad line is an InputError naming the file and line."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read evaluation file ({exc})") from None
    records = [_record(path, n, line) for n, line in enumerate(lines, 1) if line.strip()]
    if not records:
        raise InputError(f"{path}: no labelled sentences")
    return records


def _record(path: Path, number: int, line: str) -> LabelledSentence:
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not isinstance(data.get("section"), str):
        raise InputError(f"{where}: each record needs string fields 'text' and 'section'")
    group = next((data[k] for k in GROUP_KEYS if data.get(k) not in (None, "")), None)
    paragraph = data.get("paragraph", 0)
    if not isinstance(paragraph, int):
        raise InputError(f"{where}: 'paragraph' must be a whole number")
    return LabelledSentence(str(data.get("id", number)), data["text"], data["section"],
                            None if group is None else str(group), paragraph)


def predict(records: Sequence[LabelledSentence], sections: Sequence[SectionDef],
            learned: Learned | None = None) -> list[str]:
    """The classifier's section for every record, in order, articles classified as wholes."""
    predicted: list[str] = []
    runs = groupby(enumerate(records), key=lambda pair: pair[1].article if pair[1].article is not None else f"\0{pair[0]}")
    for article_id, run in runs:
        group = [r for _, r in run]
        article = Article(id=article_id, title="", paragraphs=tuple(r.text for r in group))
        sentences = [Sentence(article_id, i, r.paragraph, r.text) for i, r in enumerate(group)]
        predicted.extend(p.section for p in classify(article, sentences, sections, learned))
    return predicted


def score_labels(gold: Sequence[str], predicted: Sequence[str]) -> SectionScores:
    """Accuracy, macro-F1 over every label seen in gold or prediction, per-label P/R/F1, confusion."""
    labels = tuple(sorted(set(gold) | set(predicted), key=lambda label: (label == OTHER, label)))
    pairs = Counter(zip(gold, predicted))
    per_section: dict[str, dict[str, float]] = {}
    for label in labels:
        hit = pairs[(label, label)]
        guessed = sum(n for (_, p), n in pairs.items() if p == label)
        support = sum(n for (g, _), n in pairs.items() if g == label)
        precision = hit / guessed if guessed else 0.0
        recall = hit / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_section[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    count = len(gold)
    return SectionScores(
        count=count,
        accuracy=sum(pairs[(l, l)] for l in labels) / count if count else 0.0,
        macro_f1=sum(s["f1"] for s in per_section.values()) / len(labels) if labels else 0.0,
        labels=labels,
        per_section=per_section,
        confusion={g: {p: pairs[(g, p)] for p in labels} for g in labels},
    )


def evaluate_sections(path: Path, sections: Sequence[SectionDef], learned: Learned | None = None) -> SectionScores:
    """Classify every sentence of an evaluation file and score it against its labels."""
    records = read_labelled(path)
    return score_labels([r.section for r in records], predict(records, sections, learned))
