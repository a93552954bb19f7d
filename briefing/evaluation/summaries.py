"""ROUGE of every summarizer against reference extracts, each at the reference's own budget.

A data set is two folders of ``NNN.txt`` files: articles (first line the title, then one
paragraph a line) and reference extracts (the chosen sentences run together). Every
system picks k sentences of an article, k being how many of the article's own sentences
(pysbd per paragraph, title excluded) appear verbatim in the reference, so systems are
compared at the length the reference editors chose. Scores are ``rouge-score`` F1 with
stemming (ROUGE-1, ROUGE-2 and ROUGE-L over the whole text, not ``rougeLsum``), the
mean over articles, times 100: the rule the issue's figures were measured with.

sumy's algorithms also run as ``NAME+sumy-words``: sumy's summarizer with sumy's own word
rule (a word is letters, with inner apostrophes or hyphens) in place of the project's
tokenizer, which keeps numbers. That is how sumy runs out of the box, and how the issue's
figures were measured, so each sumy algorithm is compared at its best.

Articles split deterministically by a hash of their id into a development half (tune
there) and a held-out half (measure there, rarely), so a tuned ranker is judged on
articles it never saw.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


from .. import nlp, summarize
from ..errors import ConfigError, InputError
from ..fsutil import write_requested_file
from ..models import Article, Sentence

__all__ = [
    "LEAD",
    "SPLITS",
    "SUMY_WORDS",
    "Case",
    "Score",
    "algorithm_names",
    "evaluate",
    "evaluate_splits",
    "load_cases",
    "reference_budget",
    "split_of",
    "write_json",
]

LEAD = "lead"
#: Suffix of a sumy algorithm run with sumy's own word rule: ``reduction+sumy-words``.
SUMY_WORDS = "+sumy-words"
SPLITS = ("dev", "heldout", "all")
METRICS = ("rouge1", "rouge2", "rougeL")
#: Encodings tried in turn: the data set mixes UTF-8 with Latin-1 files, and Latin-1
#: decodes any byte string, so it comes last.
ENCODINGS = ("utf-8", "latin-1")


@dataclass(frozen=True)
class Case:
    """One article with its sentences, its reference extract and the sentence budget."""

    article: Article
    sentences: tuple[Sentence, ...]
    reference: str
    budget: int


@dataclass(frozen=True)
class CaseResult:
    """One algorithm on one article: ROUGE F1 (0..1) and the time it took to pick."""

    article_id: str
    rouge: dict[str, float]
    sentences: int
    seconds: float


@dataclass(frozen=True)
class Score:
    """Mean ROUGE F1 (x100) of one algorithm over a set of cases, and how fast it ranked."""

    algorithm: str
    articles: int
    rouge1: float
    rouge2: float
    rougeL: float
    sentences: int
    seconds: float

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else float("inf")


def read_text(path: Path) -> str:
    """The file's text in the first encoding that decodes it."""
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: cannot decode as {' or '.join(ENCODINGS)}")  # unreachable with latin-1 last


def read_article(path: Path) -> Article:
    """Title from the first line; every further non-empty line is a paragraph (the data
    set writes bullet points as consecutive lines, each its own paragraph)."""
    title, _, body = read_text(path).partition("\n")
    paragraphs = tuple(line.strip() for line in body.splitlines() if line.strip())
    if not paragraphs:
        raise InputError(f"{path}: no text after the title line")
    return Article(id=path.stem, title=title.strip(), paragraphs=paragraphs, origin=str(path))


def article_sentences(article: Article) -> tuple[Sentence, ...]:
    """Every pysbd sentence of every paragraph, fragments included: the budget rule counts
    the article's own sentences, so no system gets a pre-filtered pool."""
    sentences: list[Sentence] = []
    for p, paragraph in enumerate(article.paragraphs):
        for text in nlp.split_sentences(paragraph):
            sentences.append(Sentence(article.id, len(sentences), p, text))
    return tuple(sentences)


def reference_budget(sentences: Sequence[Sentence], reference: str) -> int:
    """How many of the article's sentences the reference contains verbatim."""
    return sum(1 for s in sentences if s.text in reference)


def split_of(article_id: str) -> str:
    """``dev`` or ``heldout``: a hash of the id, so the halves do not depend on file order
    and an article keeps its half when others are added."""
    return "dev" if zlib.crc32(article_id.encode("utf-8")) % 2 == 0 else "heldout"


def load_cases(
    articles_dir: Path,
    summaries_dir: Path,
    split: str = "all",
    warn: Callable[[str], None] = lambda message: None,
) -> list[Case]:
    """Every usable article of the split, by file name; an article without a reference,
    or one that shares no sentence with its reference, is reported and left out."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if not articles_dir.is_dir():
        raise InputError(f"{articles_dir}: not a folder of articles")
    cases: list[Case] = []
    for path in sorted(articles_dir.glob("*.txt")):
        if split != "all" and split_of(path.stem) != split:
            continue
        try:
            cases.append(read_case(path, summaries_dir / path.name))
        except (InputError, OSError) as exc:
            warn(str(exc) if isinstance(exc, InputError) else f"{path}: {exc.strerror or exc}")
    return cases


def read_case(article_path: Path, summary_path: Path) -> Case:
    if not summary_path.is_file():
        raise InputError(f"{article_path}: no reference extract at {summary_path}")
    article = read_article(article_path)
    sentences = article_sentences(article)
    reference = read_text(summary_path).strip()
    budget = reference_budget(sentences, reference)
    if budget == 0:
        raise InputError(f"{summary_path}: shares no sentence with {article_path}")
    return Case(article, sentences, reference, budget)


def lead_scores(sentences: Sequence[Sentence]) -> list[float]:
    """Lead-k: earlier in its article is better."""
    return [-float(s.index) for s in sentences]


def algorithm_names(requested: str | None = None) -> list[str]:
    """The algorithms named in a comma-separated list, checked; when none is named, every
    registered scorer, Lead-k, then every sumy algorithm with sumy's word rule."""
    known = [*sorted(summarize.SCORERS), LEAD, *(name + SUMY_WORDS for name in sorted(summarize.SUMY_CLASSES))]
    if not requested:
        return known
    names = [name.strip() for name in requested.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ConfigError(f"unknown algorithm(s) {', '.join(unknown) or repr(requested)}; choose from {', '.join(known)}")
    return names


def system_summary(case: Case, algorithm: str) -> list[Sentence]:
    """What an algorithm picks at the case's budget, exactly as ``summarize`` gives it
    without de-duplication: sumy's algorithms best first (as the issue's figures were
    measured), ours with the readability rule it ships with."""
    if algorithm == LEAD:
        picks = summarize.select(case.sentences, lead_scores(case.sentences), case.budget, None)
        return [case.sentences[i] for i in picks]
    if algorithm.endswith(SUMY_WORDS):
        return sumy_word_rule_summary(case.sentences, case.budget, algorithm.removesuffix(SUMY_WORDS))
    return summarize.summarize(case.sentences, case.budget, algorithm, None)


class SumyWordRuleTokenizer(nlp.SumyTokenizer):
    """The project's sentences and word tokens, filtered by sumy's own word rule."""

    def __init__(self) -> None:
        from sumy.nlp.tokenizers import Tokenizer  # sumy's punkt-backed tokenizer: only its word rule

        self.word_rule = Tokenizer._WORD_PATTERN

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(w for w in nlp.words(sentence) if self.word_rule.search(w))


def sumy_word_rule_summary(sentences: Sequence[Sentence], count: int, name: str) -> list[Sentence]:
    """sumy's own picks (its selection, best first) with sumy's word rule."""
    document = summarize.sumy_document(sentences, SumyWordRuleTokenizer())
    ours = {id(d): s for d, s in zip(document.sentences, sentences)}
    return [ours[id(d)] for d in summarize.new_sumy_summarizer(name)(document, count)]


def rouge_f1(reference: str, system: str) -> dict[str, float]:
    from rouge_score import rouge_scorer  # an evaluation-only dependency (extra "eval")

    scores = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True).score(reference, system)
    return {metric: scores[metric].fmeasure for metric in METRICS}


def evaluate_case(case: Case, algorithm: str) -> CaseResult:
    """The time counted is ranking and picking only, not ROUGE."""
    started = time.perf_counter()
    picked = system_summary(case, algorithm)
    seconds = time.perf_counter() - started
    system = " ".join(s.text for s in picked)
    return CaseResult(case.article.id, rouge_f1(case.reference, system), len(case.sentences), seconds)


def aggregate(algorithm: str, results: Sequence[CaseResult]) -> Score:
    """Mean F1 over articles, times 100."""
    count = max(len(results), 1)
    return Score(
        algorithm=algorithm,
        articles=len(results),
        sentences=sum(r.sentences for r in results),
        seconds=sum(r.seconds for r in results),
        **{metric: 100 * sum(r.rouge[metric] for r in results) / count for metric in METRICS},
    )


def evaluate(cases: Sequence[Case], algorithm: str) -> Score:
    return aggregate(algorithm, [evaluate_case(case, algorithm) for case in cases])


def evaluate_splits(cases: Sequence[Case], algorithms: Iterable[str], split: str = "all") -> dict[str, list[Score]]:
    """Scores of every algorithm on the same cases, per half and, for ``all``, overall.

    Every article is summarized once per algorithm whatever the number of tables;
    tokens are cached first, so no algorithm's speed includes tokenizing that another's
    run already paid for."""
    for case in cases:
        for sentence in case.sentences:
            nlp.stems(sentence.text)
    halves = {case.article.id: split_of(case.article.id) for case in cases}
    tables: dict[str, list[Score]] = {name: [] for name in (("dev", "heldout", "all") if split == "all" else (split,))}
    for algorithm in algorithms:
        results = [evaluate_case(case, algorithm) for case in cases]
        for name, scores in tables.items():
            chosen = [r for r in results if name == "all" or halves[r.article_id] == name]
            scores.append(aggregate(algorithm, chosen))
    return tables


def scores_document(scores_by_split: dict[str, Sequence[Score]]) -> dict[str, object]:
    return {
        split: [{**asdict(s), "sentences_per_second": s.sentences_per_second} for s in scores]
        for split, scores in scores_by_split.items()
    }


def write_json(path: Path, scores_by_split: dict[str, Sequence[Score]]) -> Path:
    return write_requested_file(path, json.dumps(scores_document(scores_by_split), indent=2) + "\n")
