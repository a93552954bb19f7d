"""Extractive selection: score every sentence of a pool, then keep the best without near-repeats.

Scoring and selection are separate so that every algorithm (sumy's own, or our faster
rankers) shares one selection rule: highest score first, ties in input order (as sumy
does), repeats dropped, the result returned in input order.
"""

from __future__ import annotations

import heapq
import importlib
from collections.abc import Callable, Hashable, Sequence
from itertools import groupby
from typing import Any

from . import nlp, rankers, readability, salience
from .errors import ConfigError
from .models import Sentence

#: A scorer rates every sentence of a pool; higher is more central.
Scorer = Callable[[Sequence[Sentence]], list[float]]

#: sumy's summarizers by name, as (module, class): imported when used, since sumy loads
#: nltk and scipy, which commands that only list or send have no need of.
SUMY_CLASSES: dict[str, tuple[str, str]] = {
    "lexrank": ("sumy.summarizers.lex_rank", "LexRankSummarizer"),
    "textrank": ("sumy.summarizers.text_rank", "TextRankSummarizer"),
    "lsa": ("sumy.summarizers.lsa", "LsaSummarizer"),
    "luhn": ("sumy.summarizers.luhn", "LuhnSummarizer"),
    "edmundson": ("sumy.summarizers.edmundson", "EdmundsonSummarizer"),
    "kl": ("sumy.summarizers.kl", "KLSummarizer"),
    "sumbasic": ("sumy.summarizers.sum_basic", "SumBasicSummarizer"),
    "reduction": ("sumy.summarizers.reduction", "ReductionSummarizer"),
}

#: Cue words for Edmundson: news-writing signals of substance and of filler.
EDMUNDSON_BONUS = ("announced", "agreed", "said", "killed", "approved", "signed", "rejected", "launched")
EDMUNDSON_STIGMA = ("meanwhile", "however", "perhaps", "reportedly", "also", "may", "might")


def sumy_document(sentences: Sequence[Sentence], tokenizer: nlp.SumyTokenizer | None = None) -> Any:
    """A sumy document whose paragraphs are our articles' paragraphs, in pool order."""
    nlp.load_nltk()  # before sumy imports nltk, so nltk loads the quick way
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence

    tokenizer = tokenizer or nlp.SumyTokenizer()
    paragraphs = [
        Paragraph([SumySentence(s.text, tokenizer) for s in group])
        for _, group in groupby(sentences, key=lambda s: (s.article_id, s.paragraph))
    ]
    return ObjectDocumentModel(paragraphs)


def new_sumy_summarizer(name: str) -> Any:
    """A configured sumy summarizer with our stemmer and stop words."""
    nlp.load_nltk()  # before sumy imports nltk, so nltk loads the quick way
    from sumy.nlp.stemmers import Stemmer

    module, cls = SUMY_CLASSES[name]
    summarizer = getattr(importlib.import_module(module), cls)(Stemmer(nlp.LANGUAGE))
    summarizer.stop_words = nlp.stop_words()
    if name == "edmundson":
        summarizer.bonus_words = EDMUNDSON_BONUS
        summarizer.stigma_words = EDMUNDSON_STIGMA
        summarizer.null_words = nlp.stop_words()
    return summarizer


def sumy_scorer(name: str) -> Scorer:
    """Scores from a sumy summarizer: we catch the ratings it hands to its own
    selection step, so its choices and ours come from the same numbers."""

    def score(sentences: Sequence[Sentence]) -> list[float]:
        if not sentences:
            return []
        summarizer = new_sumy_summarizer(name)
        captured: list[float] = []

        def capture(doc_sentences, count, rating, *args, **kwargs):  # sumy's signature
            rate = (lambda s: rating[s]) if isinstance(rating, dict) else rating
            captured.extend(float(rate(s, *args, **kwargs)) for s in doc_sentences)
            return ()

        summarizer._get_best_sentences = capture
        summarizer(sumy_document(sentences), len(sentences))
        return captured or [0.0] * len(sentences)  # sumy's LSA rates nothing when no word counts

    return score


SCORERS: dict[str, Scorer] = {
    **{name: sumy_scorer(name) for name in SUMY_CLASSES},
    # sumy's graph rankers are quadratic pure Python (LexRank: 81 s on 2,000 sentences);
    # ours reproduce their scores with sparse matrices, and sumy's stay as the reference.
    "lexrank": rankers.lexrank_scores,
    "textrank": rankers.textrank_scores,
    "sumy-lexrank": sumy_scorer("lexrank"),
    "sumy-textrank": sumy_scorer("textrank"),
    # the same for two more that were slow in sumy: LSA (13 s on 500 sentences, an SVD
    # that reduces to column lengths) and Reduction (a Python loop over every pair)
    "lsa": rankers.lsa_scores,
    "reduction": rankers.reduction_scores,
    "sumy-lsa": sumy_scorer("lsa"),
    "sumy-reduction": sumy_scorer("reduction"),
    # and for the greedy word-probability ones, which rank the whole pool one pick at a
    # time: KL rescans every sentence at every pick (99 s on 500 sentences), SumBasic too
    "kl": rankers.kl_scores,
    "sumbasic": rankers.sumbasic_scores,
    "sumy-kl": sumy_scorer("kl"),
    "sumy-sumbasic": sumy_scorer("sumbasic"),
    # ours: centroid centrality, cross-article support, lead prior (briefing/salience.py)
    salience.NAME: salience.salience_scores,
}
#: Algorithms picked with the readability rule (a sentence that leans on the one before
#: comes with it or not at all); sumy's keep sumy's own picks.
READABLE = frozenset({salience.NAME})


def scorer(name: str) -> Scorer:
    try:
        return SCORERS[name]
    except KeyError:
        raise ConfigError(f"unknown algorithm {name!r}; choose one of {', '.join(sorted(SCORERS))}") from None


def select(
    sentences: Sequence[Sentence],
    scores: Sequence[float],
    count: int,
    dedupe_threshold: float | None = 0.6,
    antecedents: Sequence[int | None] | None = None,
    stories: Sequence[Hashable] | None = None,
) -> list[int]:
    """Indices of the ``count`` best sentences, in input order.

    Best first with ties in input order (sumy's rule); with a threshold, a sentence
    whose stem set overlaps an already kept one by that Jaccard share is a repeat.

    ``antecedents`` is the readability hook (``readability.antecedents``): for each
    sentence, the index of the sentence it cannot be read without (None: none; -1: one
    outside the pool). Such a sentence is kept only with its chain of antecedents, the
    chain competing at the mean score of the sentences it adds, so a strong sentence
    can bring in a weaker one it needs but a weak chain does not crowd out two
    sentences that stand alone.

    ``stories`` (a story key per sentence) spreads the picks when the pool spans several
    stories: a first pass takes one sentence (or chain) per story, so that a story with
    many strong sentences cannot crowd the others out of a section, then the rest are
    filled in score order. See ``_Picking.cover_stories`` for which stories and
    sentences come first. Without it (or with a single story) the picks are the score
    order's alone, which is what sumy picks.
    """
    picking = _Picking(sentences, scores, count, dedupe_threshold, antecedents)
    ranked = sorted(range(len(sentences)), key=lambda i: scores[i], reverse=True)
    if stories is not None and len(set(stories)) > 1:
        picking.cover_stories(ranked, stories)
    picking.take(ranked)
    return sorted(picking.kept)


class _Picking:
    """The state ``select``'s passes share: what is kept, and the stems repeats are checked against."""

    def __init__(self, sentences: Sequence[Sentence], scores: Sequence[float], count: int,
                 dedupe_threshold: float | None, antecedents: Sequence[int | None] | None) -> None:
        self.sentences, self.scores, self.count = sentences, scores, count
        self.dedupe_threshold, self.antecedents = dedupe_threshold, antecedents
        self.kept: set[int] = set()
        self.kept_stems: list[frozenset[str]] = []

    def cover_stories(self, ranked: Sequence[int], stories: Sequence[Hashable]) -> None:
        """One pick per story. Stories with the most sentences in the pool come first (ties:
        the best sentence first): the section's own stories, and those several outlets
        carried, before a story that only touches the section in a sentence or two. A story
        is represented by its best lead sentence in the pool (an article's first sentence,
        written to introduce the story), else by its best sentence that stands alone: a
        later sentence alone often leans on what it never says ("said the corridor ..."),
        and one that needs its antecedent would spend two places on one story."""
        members: dict[Hashable, list[int]] = {}
        for i in ranked:  # each story's sentences best first; stories in the order of their best
            members.setdefault(stories[i], []).append(i)
        for candidates in sorted(members.values(), key=len, reverse=True):
            if len(self.kept) >= self.count:
                return
            leads = [i for i in candidates if self.sentences[i].index == 0]
            others = [i for i in candidates if self.sentences[i].index != 0]
            for i in (*leads, *others):
                if self.chain(i) == [i] and self.keep([i]):
                    break

    def take(self, ranked: Sequence[int]) -> None:
        """One pass over ``ranked`` (best first), chains waiting at their mean score."""
        scores, kept = self.scores, self.kept
        candidates = iter(ranked)
        deferred: list[tuple[float, int]] = []  # chains waiting at their mean score
        upcoming = next(candidates, None)
        while len(kept) < self.count and (upcoming is not None or deferred):
            from_deferred = bool(deferred) and (upcoming is None or -deferred[0][0] > scores[upcoming])
            if from_deferred:
                i = heapq.heappop(deferred)[1]
            else:
                i, upcoming = upcoming, next(candidates, None)
            group = self.chain(i)
            if not group:
                continue
            worth = sum(scores[j] for j in group) / len(group)
            if not from_deferred and worth < scores[i]:
                heapq.heappush(deferred, (-worth, i))
                continue
            self.keep(group)

    def keep(self, group: list[int]) -> bool:
        """Keep ``group`` (a sentence and the chain it needs) unless it repeats a kept sentence."""
        if self.is_repeat(group):
            return False
        self.kept.update(group)
        return True

    def chain(self, i: int) -> list[int]:
        """``i`` and the antecedents it still needs; empty when that is out of reach or too many."""
        group = [i] if self.antecedents is None else chain_to_keep(i, self.antecedents, self.kept)
        return group if len(self.kept) + len(group) <= self.count else []

    def is_repeat(self, group: list[int]) -> bool:
        """Whether a sentence of ``group`` repeats a kept one; if not, its stems are kept."""
        if self.dedupe_threshold is None:
            return False
        stems = [frozenset(nlp.stems(self.sentences[j].text)) for j in group]
        if any(jaccard(a, b) >= self.dedupe_threshold for a in stems for b in self.kept_stems):
            return True
        self.kept_stems.extend(stems)
        return False


def chain_to_keep(i: int, antecedents: Sequence[int | None], kept: set[int]) -> list[int]:
    """Sentence ``i`` and the antecedents it still needs; empty when one is out of reach
    (or ``i`` is already kept)."""
    group: list[int] = []
    j: int | None = i
    while j is not None and j not in kept:
        if j < 0:
            return []
        group.append(j)
        j = antecedents[j]
    return group


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def summarize(
    sentences: Sequence[Sentence],
    count: int,
    algorithm: str = salience.NAME,
    dedupe_threshold: float | None = 0.6,
    stories: Sequence[Hashable] | None = None,
) -> list[Sentence]:
    """The key sentences of a pool, in pool order; ``stories`` spreads them (see ``select``)."""
    scores = scorer(algorithm)(sentences)
    if algorithm not in READABLE:
        return [sentences[i] for i in select(sentences, scores, count, dedupe_threshold, stories=stories)]
    picks = select(sentences, scores, count, dedupe_threshold, readability.antecedents(sentences), stories)
    return readability.as_read(sentences, picks)
