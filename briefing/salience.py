"""Our key-sentence ranker ("briefing").

Centrality is the centroid method (Radev et al., MEAD): a sentence is central when it
shares vocabulary with the rest of its story, measured as its mean cosine similarity
to the other sentences of its own article. Summed over a sentence's neighbours this is
the degree of a cosine graph, but computed against the article's centroid it costs one
pass over the term matrix, so a pool of thousands of sentences stays linear in size.
The vocabulary is the sentence's content words plus the words that attribute it ("said",
"says", "according"): news is told as who said what, so within an article a sentence
that reports a statement shares the story's most constant word with its neighbours.
A pool holds many articles, so each sentence also gets its support across the pool
(mean cosine to the other articles' sentences, attribution words left out as they are
no topic: how much of the section's news it speaks to) and a lead prior (news puts the
gist first). A sentence that is a fragment (a bullet, a heading, a stray quote mark) is
ranked last; a quotation with no speaker in it or in the sentences before it is
discounted, as a reader cannot tell whose words they are (one the sentences before
attribute is given its speaker when read alone: ``readability``).

Which picked sentences can be read on their own is ``readability.py``'s concern.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from . import nlp
from .models import Sentence
from .readability import is_fragment, unattributed_quotes

__all__ = ["NAME", "Weights", "salience_scores"]

NAME = "briefing"

#: Stop words (sumy's list) that attribute a statement: they count as content words for
#: centrality within an article, not for support across the pool (every story has them).
ATTRIBUTION_WORDS = frozenset({"say", "says", "said", "saying", "tell", "according"})


@dataclass(frozen=True)
class Weights:
    """How the signals combine; chosen on the development half of the BBC data (README).
    The lead prior is the largest of the weights that tie there (0.05 to 0.2): a briefing
    picks a few sentences from many stories, and a story's gist is in its first lines."""

    support: float = 0.2  # weight of support across the pool, against centrality in the article
    lead: float = 0.2  # a sentence at position p gains a share lead / (1 + p) of its score
    unattributed_quote: float = 0.2  # share of its score a quotation nobody is named for loses


WEIGHTS = Weights()


def salience_scores(sentences: Sequence[Sentence], weights: Weights = WEIGHTS) -> list[float]:
    """The ``briefing`` score of every sentence of a pool, in input order."""
    if not sentences:
        return []
    counts, attribution = term_matrix(sentences)
    units = unit_rows(counts)
    articles = article_numbers(sentences)
    centrality = relative_to_article_mean(
        mean_similarity_within(units, articles, article_centroids(units, articles)), articles
    )
    topical = unit_rows(without_columns(counts, attribution))
    support = relative_to_mean(mean_similarity_across(topical, articles, article_centroids(topical, articles)))
    lead = np.array([1.0 / (1 + s.index) for s in sentences])
    quoted = np.array(unattributed_quotes(sentences), dtype=float)
    scores = (
        (centrality + weights.support * support)
        * (1 + weights.lead * lead)
        * (1 - weights.unattributed_quote * quoted)
    )
    fragment = np.array([is_fragment(s.text) for s in sentences])
    # below every real sentence (those score 0 or more), still in their own order
    scores[fragment] = scores[fragment] / (1 + scores.max()) - 2
    return scores.tolist()


@lru_cache(maxsize=nlp.TOKEN_CACHE_SIZE)
def topical_stems(text: str) -> tuple[tuple[str, int], ...]:
    """Stems of the words that carry a sentence's topic or attribute it, with their counts:
    other stop words go, and so do numbers ("2007", "£1,400" seldom recur as the same
    token; sumy's own tokenizer drops them too). Remembered, as wire copy repeats across
    outlets."""
    stop = content_stop_words()
    lowered = (word.lower() for word in nlp.words(text) if word[0].isalpha())
    return tuple(Counter(nlp.stem_word(word) for word in lowered if word not in stop).items())


@lru_cache(maxsize=1)
def content_stop_words() -> frozenset[str]:
    return nlp.stop_words() - ATTRIBUTION_WORDS


@lru_cache(maxsize=1)
def attribution_stems() -> frozenset[str]:
    return frozenset(nlp.stem_word(word) for word in ATTRIBUTION_WORDS)


def term_matrix(sentences: Sequence[Sentence]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Counts of every sentence's topical stems, one row per sentence, and which columns
    are attribution stems."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for row, sentence in enumerate(sentences):
        for stem, count in topical_stems(sentence.text):
            rows.append(row)
            columns.append(vocabulary.setdefault(stem, len(vocabulary)))
            counts.append(count)
    shape = (len(sentences), max(len(vocabulary), 1))
    attribution = np.zeros(shape[1], dtype=bool)
    attribution[[column for stem, column in vocabulary.items() if stem in attribution_stems()]] = True
    return sparse.csr_matrix((np.array(counts, dtype=float), (rows, columns)), shape=shape), attribution


def without_columns(matrix: sparse.csr_matrix, dropped: np.ndarray) -> sparse.csr_matrix:
    return sparse.csr_matrix(matrix @ sparse.diags((~dropped).astype(float)))


def unit_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to length 1, so dot products are cosines; empty rows stay empty."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


def article_numbers(sentences: Sequence[Sentence]) -> np.ndarray:
    """A small integer per article, in order of first appearance."""
    numbers: dict[str, int] = {}
    return np.array([numbers.setdefault(s.article_id, len(numbers)) for s in sentences])


def article_centroids(units: sparse.csr_matrix, articles: np.ndarray) -> sparse.csr_matrix:
    """One row per article: the sum of its sentences' unit vectors, column indices sorted.
    ``dot_with_own_centroid`` reads entries by (row, column), which scipy finds by binary
    search in a sorted row but by scanning the whole row otherwise, and the product leaves
    them unsorted: with one long article's row holding its whole vocabulary, that made the
    ranker quadratic in the article's length (16,000 sentences: 7 s, sorted 0.2 s)."""
    membership = sparse.csr_matrix((np.ones(len(articles)), (articles, np.arange(len(articles)))))
    centroids = sparse.csr_matrix(membership @ units)
    centroids.sort_indices()
    return centroids


def dot_with_own_centroid(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Each sentence's dot product with its article's centroid, read term by term off
    the sentence's own non-zero entries (no pool-sized dense product)."""
    entries = units.tocoo()
    matching = np.asarray(centroids[articles[entries.row], entries.col]).ravel()
    return np.bincount(entries.row, weights=entries.data * matching, minlength=units.shape[0])


def mean_similarity_within(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Mean cosine of each sentence to the other sentences of its article: its dot
    product with the article's centroid, less its own (1, or 0 for an empty row)."""
    own = np.asarray(units.multiply(units).sum(axis=1)).ravel()
    others = np.bincount(articles)[articles] - 1
    return (dot_with_own_centroid(units, articles, centroids) - own) / np.maximum(others, 1)


def mean_similarity_across(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Mean cosine of each sentence to the sentences of every other article in the pool
    (zero when the pool is one article)."""
    pool_centroid = np.asarray(centroids.sum(axis=0)).ravel()
    toward_pool = units @ pool_centroid
    toward_own = dot_with_own_centroid(units, articles, centroids)
    others = len(articles) - np.bincount(articles)[articles]
    return np.where(others > 0, (toward_pool - toward_own) / np.maximum(others, 1), 0.0)


def relative_to_article_mean(values: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """Values over their article's mean: how central a sentence is for its story, on a
    scale that lets a 3-sentence brief and a 40-sentence feature share one pool."""
    totals = np.bincount(articles, weights=values)
    means = totals / np.bincount(articles)
    means[means <= 0] = 1.0
    return values / means[articles]


def relative_to_mean(values: np.ndarray) -> np.ndarray:
    mean = values.mean()
    return values / mean if mean > 0 else values
