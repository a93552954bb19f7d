"""Ranker benchmark: our vectorized LexRank, TextRank, LSA, Reduction, KL and SumBasic against sumy's.

    .venv/bin/python bench/rank.py                  # 200, 1,000, 2,000 and 5,000 sentences
    .venv/bin/python bench/rank.py --sizes 500,20000  # other pool sizes
    .venv/bin/python bench/rank.py --max-sumy 5000  # sumy too at 5,000 (minutes)
    .venv/bin/python bench/rank.py --quick          # 60 sentences, a smoke run for CI

Sentences are real: BBC politics articles from ../shared/eval when present, else the
shipped samples, split as the pipeline splits them; past the supply, more are made by
joining the first half of one real sentence to the second half of another.

Per size and algorithm: sumy's time and ours with the pool's words already tokenized
(both rankers read them from nlp's cache, as in the pipeline, where the sentence filter
has tokenized every sentence), their ratio, our time cold (NLTK tokenizing included,
which sumy's run is spared), how many of sumy's 10 picks ours share (``select`` without
de-duplication) and the largest score difference. Sumy's runs beyond ``--max-sumy``
are skipped, not estimated (sumy's KL, cubic, beyond 500 whatever ``--max-sumy`` says).

A second table times our default ranker (``briefing``) on one article of 4,000, 8,000
and 16,000 sentences (``--article-sizes``): its centrality reads each sentence's terms
off the article's centroid, which must stay linear in the article's length. That article
is bench/edition.py's invented news, a new story with names never seen before every 16
sentences, so its vocabulary grows with its length as a long live report's does.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing import nlp, rankers, salience  # noqa: E402
from briefing.evaluation.summaries import read_article  # noqa: E402
from briefing.ingest import read_paths  # noqa: E402
from briefing.models import Sentence  # noqa: E402
from briefing.pipeline import sample_inputs  # noqa: E402
from briefing.sentences import split_article, split_articles  # noqa: E402
from briefing.summarize import select, sumy_scorer  # noqa: E402

BBC_ARTICLES = ROOT.parent / "shared" / "eval" / "bbc-politics-dev" / "articles"
SIZES = (200, 1000, 2000, 5000)
QUICK_SIZES = (60,)
ARTICLE_SIZES = (4000, 8000, 16000)
QUICK_ARTICLE_SIZES = (200, 400)
TOP = 10
OURS: dict[str, Callable[[Sequence[Sentence]], list[float]]] = {
    "lexrank": rankers.lexrank_scores,
    "textrank": rankers.textrank_scores,
    "lsa": rankers.lsa_scores,
    "reduction": rankers.reduction_scores,
    "kl": rankers.kl_scores,
    "sumbasic": rankers.sumbasic_scores,
}
#: Largest pool sumy runs on for an algorithm, below ``--max-sumy``: sumy's KL takes 99 s at 500.
SUMY_MAX = {"kl": 500}
#: Whose picks ``--agreement`` compares: the greedy ones' whole rankings are compared in the tests.
AGREEMENT = ("lexrank", "textrank", "lsa", "reduction")


@dataclass(frozen=True)
class Row:
    size: int
    algorithm: str
    sumy: float | None
    cold: float
    warm: float
    shared_picks: int | None
    max_difference: float | None


def real_sentences() -> tuple[list[str], str]:
    """Sentence texts in reading order, and where they came from."""
    if BBC_ARTICLES.is_dir():
        articles = [read_article(path) for path in sorted(BBC_ARTICLES.glob("*.txt"))]
        return [s.text for a in articles for s in split_article(a)], "BBC politics (../shared)"
    by_article = split_articles(read_paths(sample_inputs(), warn=lambda message: None))
    return [s.text for sentences in by_article.values() for s in sentences], "shipped samples"


def pool_of(size: int, texts: Sequence[str], rng: random.Random) -> list[Sentence]:
    """``size`` sentences: the real ones first, then spliced halves of random pairs."""
    chosen = list(texts[:size])
    while len(chosen) < size:
        first, second = rng.choice(texts).split(), rng.choice(texts).split()
        chosen.append(" ".join(first[: len(first) // 2] + second[len(second) // 2 :]))
    return [Sentence(f"s{i // 20}", i % 20, (i % 20) // 4, text) for i, text in enumerate(chosen)]


def timed(function: Callable[[], list[float]]) -> tuple[list[float], float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def measure(pool: list[Sentence], algorithm: str, run_sumy: bool) -> Row:
    nlp.clear_caches()
    ours, cold = timed(lambda: OURS[algorithm](pool))
    warm = min(timed(lambda: OURS[algorithm](pool))[1] for _ in range(3))
    if not run_sumy:
        return Row(len(pool), algorithm, None, cold, warm, None, None)
    reference, sumy = timed(lambda: sumy_scorer(algorithm)(pool))
    count = min(TOP, len(pool))
    shared = len(set(select(pool, ours, count, None)) & set(select(pool, reference, count, None)))
    difference = max(abs(a - b) for a, b in zip(ours, reference))
    return Row(len(pool), algorithm, sumy, cold, warm, shared, difference)


def agreement(texts: Sequence[str], pools: int, rng: random.Random) -> str:
    """Over ``pools`` random runs of consecutive real sentences (20 to 400), how often
    our picks differ from sumy's at any count from 1 to 10, and whether every difference
    is a near-tie: each swapped sentence's sumy score within 1e-9 (relative) of the
    last one picked at that count."""
    lines = []
    for algorithm in AGREEMENT:
        differing = near_ties = 0
        for _ in range(pools):
            size = rng.randint(20, 400)
            start = rng.randrange(0, max(1, len(texts) - size))
            pool = [Sentence("a", i, i // 4, t) for i, t in enumerate(texts[start : start + size])]
            ours, reference = OURS[algorithm](pool), sumy_scorer(algorithm)(pool)
            ranked = sorted(reference, reverse=True)
            swaps = [
                (i, ranked[count - 1])
                for count in range(1, min(TOP, len(pool)) + 1)
                for i in set(select(pool, ours, count, None)) ^ set(select(pool, reference, count, None))
            ]
            if swaps:
                differing += 1
                near_ties += all(abs(reference[i] - last) <= 1e-9 * abs(last) for i, last in swaps)
        lines.append(f"  {algorithm}: picks differ in {differing} of {pools} pools ({near_ties} of them near-ties)")
    return "\n".join(lines)


def table(rows: Sequence[Row]) -> str:
    lines = [
        f"{'sentences':>9}  {'algorithm':<9}  {'sumy s':>8}  {'ours s':>7}  {'ratio':>7}"
        f"  {'ours cold s':>11}  {'top-10 shared':>13}  {'max |Δscore|':>12}"
    ]
    for r in rows:
        sumy = f"{r.sumy:8.2f}" if r.sumy is not None else f"{'skipped':>8}"
        ratio = f"{r.sumy / r.warm:6.0f}×" if r.sumy is not None else f"{'–':>7}"
        shared = f"{r.shared_picks}/{min(TOP, r.size)}" if r.shared_picks is not None else "–"
        difference = f"{r.max_difference:.1e}" if r.max_difference is not None else "–"
        lines.append(
            f"{r.size:>9,}  {r.algorithm:<9}  {sumy}  {r.warm:7.3f}  {ratio}"
            f"  {r.cold:11.3f}  {shared:>13}  {difference:>12}"
        )
    return "\n".join(lines)


def long_article(size: int, seed: int) -> list[Sentence]:
    """One article of ``size`` invented news sentences (bench/edition.py's long report)."""
    spec = importlib.util.spec_from_file_location("bench_edition", ROOT / "bench" / "edition.py")
    assert spec and spec.loader
    edition = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edition)
    return [Sentence("one", i, i // 4, text) for i, text in enumerate(edition.long_report(size, seed))]


def article_scaling(sizes: Sequence[int], seed: int) -> str:
    """Our default ranker on one article of each size: seconds (best of 3, words cached)
    and microseconds per sentence, which stay flat when the ranker is linear."""
    lines = [f"{'one article, sentences':>22}  {'briefing s':>10}  {'µs / sentence':>13}  {'vs smallest':>11}"]
    base = None
    for size in sizes:
        pool = long_article(size, seed)
        salience.salience_scores(pool)  # tokenizes and stems
        seconds = min(timed(lambda: salience.salience_scores(pool))[1] for _ in range(3))
        per = seconds / size * 1e6
        base = base or per
        lines.append(f"{size:>22,}  {seconds:10.3f}  {per:13.1f}  {per / base:10.2f}×")
    return "\n".join(lines)


def sizes_option(value: str) -> list[int]:
    return [int(size) for size in value.split(",") if size.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one tiny pool, for CI")
    parser.add_argument("--sizes", type=sizes_option, help="comma-separated pool sizes (default 200,1000,2000,5000)")
    parser.add_argument("--article-sizes", type=sizes_option,
                        help="comma-separated one-article sizes for our ranker (default 4000,8000,16000)")
    parser.add_argument("--max-sumy", type=int, default=2000, help="largest pool sumy runs on (default 2,000)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the spliced sentences")
    parser.add_argument("--agreement", type=int, default=0, metavar="POOLS",
                        help="also compare picks at counts 1-10 on this many random real pools")
    args = parser.parse_args(argv)
    texts, origin = real_sentences()
    rng = random.Random(args.seed)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    print(f"{len(texts):,} real sentences from {origin}; pools of {', '.join(f'{s:,}' for s in sizes)}", flush=True)
    warm_up = pool_of(5, texts, rng)
    for algorithm in OURS:  # first calls build the tokenizer, stemmer and stop words
        OURS[algorithm](warm_up), sumy_scorer(algorithm)(warm_up)
    rows = []
    for size in sizes:
        pool = pool_of(size, texts, rng)
        for algorithm in OURS:
            rows.append(measure(pool, algorithm, run_sumy=size <= min(args.max_sumy, SUMY_MAX.get(algorithm, size))))
            print(f"  {size:,} {algorithm} done", file=sys.stderr, flush=True)
    print(table(rows))
    print(article_scaling(args.article_sizes or (QUICK_ARTICLE_SIZES if args.quick else ARTICLE_SIZES), args.seed))
    if args.agreement:
        print(f"agreement with sumy, top 1 to 10, on {args.agreement} pools of 20-400 real sentences:")
        print(agreement(texts, args.agreement, rng))
    return 0


if __name__ == "__main__":
    sys.exit(main())
