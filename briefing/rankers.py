"""Vectorized LexRank, TextRank, LSA, Reduction, KL-Sum and SumBasic that reproduce sumy's scores fast.

sumy builds its sentence graphs with a Python double loop (LexRank: 81 s on 2,000
sentences), so these rankers redo the same arithmetic with numpy and scipy sparse
matrices: the same stems (``nlp.stems``, which is sumy's ``_to_words_set`` for our
tokenizer), the same term weights, thresholds and normalizations, and the same
power-iteration stopping rules, so scores agree to rounding and picks agree except
where two scores are within rounding of each other. Copies of a sentence get bit-equal
scores (their rows are identical), as sumy's ratings, keyed by text, give them.

LexRank must look at every pair of sentences sharing a stem, about a fifth of all pairs
in news, so its time grows with the square of the pool; its memory follows the kept
edges, as the similarity products are made a block of rows at a time. TextRank keeps
every such pair as an edge, so its weights are never stored (see ``OverlapWeights``)
and its time and memory grow linearly; Reduction shares that operator, and LSA needs
no pairs at all. KL-Sum and SumBasic are greedy: they rate every sentence by the step
at which it joins the summary, so their order is reproduced step by step, KL with a few
vector operations over the pool per step (quadratic, but in numpy) and SumBasic with a
heap (each step looks at a few sentences).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from . import nlp
from .models import Sentence

__all__ = [
    "kl_scores", "lexrank_scores", "lsa_scores", "reduction_scores", "sumbasic_scores", "textrank_scores",
]

#: sumy's LexRank defaults: an edge needs an idf-modified cosine above the threshold;
#: the power method stops once a step moves the unit-length vector by at most epsilon.
LEXRANK_THRESHOLD = 0.1
LEXRANK_EPSILON = 0.1
#: sumy's TextRank defaults, including its guard against rows that sum to zero.
TEXTRANK_DAMPING = 0.85
TEXTRANK_EPSILON = 1e-4
TEXTRANK_ZERO_DIVISION_PREVENTION = 1e-7
#: sumy's LSA smoothing of term frequencies (``_compute_term_frequency``).
LSA_SMOOTH = 0.4
#: KL divergences this close to the smallest (relative) are recomputed as sumy does:
#: ours are summed in another order, so equal ones may differ in their last bits.
KL_ROUNDING = 1e-9
#: At most this many of them (the first in the pool), so a pool of thousands of equal
#: sentences costs no more than a few exact sums a step.
KL_EXACT_TIES = 16
#: Rows of the similarity product computed at once: bounds the transient memory to
#: about this many rows times the pool size, whatever the pool size.
BLOCK_ROWS = 512


def lexrank_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's LexRank centrality of every sentence, in input order."""
    if not sentences:
        return []
    counts = term_counts(sentence_terms(sentences))
    adjacency = thresholded_cosine_graph(idf_modified_tfidf(counts), LEXRANK_THRESHOLD)
    return lexrank_power_method(adjacency, LEXRANK_EPSILON).tolist()


def textrank_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's TextRank score of every sentence, in input order."""
    if not sentences:
        return []
    weights = OverlapWeights(term_counts(sentence_terms(sentences)))
    return textrank_power_method(weights, TEXTRANK_DAMPING, TEXTRANK_EPSILON).tolist()


def reduction_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's Reduction rating: the sum of a sentence's edge weights to every other one.
    sumy adds them up in a dict keyed by sentence text, so copies of a sentence share the
    total of all their sums."""
    if not sentences:
        return []
    weights = OverlapWeights(term_counts(sentence_terms(sentences)), one_word_pairs_count=False)
    totals = weights @ np.ones(len(sentences)) - weights.diagonal()
    copies = text_groups(sentences)
    return np.bincount(copies, weights=totals)[copies].tolist()


def lsa_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's LSA rating without its SVD. sumy keeps every singular value, and then its
    sqrt(Σ σ_i² v_ij²) is exactly the length of column j of the smoothed term matrix A it
    decomposed (AᵀA = VΣ²Vᵀ), where every cell of a sentence with a known word is
    0.4 + 0.6·count/max count, zeros included: (V - k)·0.16 + Σ of the k present cells²."""
    if not sentences:
        return []
    dictionary = {t: i for i, t in enumerate(dict.fromkeys(t for terms in sentence_terms(sentences) for t in terms))}
    counted = [[t for t in nlp.stems(s.text, drop_stop_words=False) if t in dictionary] for s in sentences]
    counts = term_counts(counted)
    cells = LSA_SMOOTH + (1.0 - LSA_SMOOTH) * _rows_divided(counts, row_maxima(counts)).data
    present = np.diff(counts.indptr)
    squares = np.bincount(np.repeat(np.arange(len(sentences)), present), weights=cells**2, minlength=len(sentences))
    lengths = (len(dictionary) - present) * LSA_SMOOTH**2 + squares
    return np.where(present > 0, np.sqrt(lengths), 0.0).tolist()


def text_groups(sentences: Sequence[Sentence]) -> np.ndarray:
    """A number per distinct sentence text (stripped, as sumy compares sentences)."""
    numbers: dict[str, int] = {}
    return np.array([numbers.setdefault(s.text.strip(), len(numbers)) for s in sentences])


def sentence_terms(sentences: Sequence[Sentence]) -> list[list[str]]:
    """Each sentence's stems with stop words dropped, repeats kept (the rankers count them)."""
    return [nlp.stems(s.text) for s in sentences]


def term_counts(terms: Sequence[Iterable[str]]) -> sparse.csr_matrix:
    """Sentences × vocabulary matrix of term counts, columns in order of first appearance."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, sentence in enumerate(terms):
        for term in sentence:
            rows.append(row)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
    data = np.ones(len(rows), dtype=np.float64)
    shape = (len(terms), len(vocabulary))
    counts = sparse.csr_matrix((data, (rows, cols)), shape=shape)  # duplicates are summed
    counts.sort_indices()
    return counts


def idf_modified_tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Unit-length tf·idf rows as sumy's LexRank weighs them: tf divided by the sentence's
    largest tf, idf = log(N / (1 + df)) (which is zero or negative for very common terms;
    the cosine squares it). Rows with zero weight stay zero, so their cosine is 0 as in sumy."""
    n = counts.shape[0]
    tf = _rows_divided(counts, row_maxima(counts))
    df = np.diff(counts.tocsc().indptr)
    idf = idf_by_document_frequency(n, df)
    weights = tf.multiply(idf[np.newaxis, :]).tocsr()
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = _rows_multiplied(weights, scale)
    unit.eliminate_zeros()
    return unit


def row_maxima(counts: sparse.csr_matrix) -> np.ndarray:
    """Each sentence's largest count, 1 for a sentence without terms (sumy's default)."""
    if not counts.nnz:
        return np.ones(counts.shape[0])
    return np.maximum(counts.max(axis=1).toarray().ravel(), 1.0)


def idf_by_document_frequency(n: int, df: np.ndarray) -> np.ndarray:
    """log(N / (1 + df)) with Python's ``math.log``, as sumy computes it: numpy's
    vectorized log may differ in the last bit, and a last bit can flip a threshold."""
    table = {int(d): math.log(n / (1 + int(d))) for d in np.unique(df)}
    return np.array([table[int(d)] for d in df], dtype=np.float64)


def thresholded_cosine_graph(unit: sparse.csr_matrix, threshold: float) -> sparse.csr_matrix:
    """0/1 adjacency of sentence pairs whose cosine exceeds the threshold (self-loops
    included, as in sumy), built a block of rows at a time so memory follows the edges."""
    n = unit.shape[0]
    transposed = unit.T.tocsr()
    blocks = []
    for start in range(0, n, BLOCK_ROWS):
        block = (unit[start : start + BLOCK_ROWS] @ transposed).tocsr()
        block.data = (block.data > threshold).astype(np.float64)
        block.eliminate_zeros()
        blocks.append(block)
    adjacency = sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((n, n))
    adjacency.sort_indices()
    return adjacency


def lexrank_power_method(adjacency: sparse.csr_matrix, epsilon: float) -> np.ndarray:
    """sumy's LexRank power method on the degree-normalized adjacency: the step vector is
    scaled to unit length and iteration stops once a step moves it by at most epsilon.

    A graph without a single edge (every sentence empty after stop words, or two
    sentences with nothing in common, whose idf is then 0) makes sumy divide 0 by 0 and
    rate every sentence NaN, which its selection reads as "all equal"; we return the
    uniform start vector, which selects the same sentences and stays finite."""
    n = adjacency.shape[0]
    degrees = np.diff(adjacency.indptr).astype(np.float64)
    degrees[degrees == 0] = 1.0
    inverse_degrees = 1.0 / degrees
    transposed = adjacency.T.tocsr()
    p = np.full(n, 1.0 / n)
    step = 1.0
    while step > epsilon:
        following = transposed @ (inverse_degrees * p)
        length = np.linalg.norm(following)
        if length == 0:
            return p
        following /= length
        step = np.linalg.norm(following - p)
        p = following
    return p


class OverlapWeights:
    """TextRank's (and Reduction's) symmetric edge weights W as an operator v ↦ W·v, never stored.

    sumy's weight of a sentence pair is their shared word count (with repeats) divided
    by the sum of their log lengths; when both are one word long that sum is 0, and
    TextRank keeps the bare count where Reduction gives 0. The pairs sharing a word are a
    large share of all pairs (a third of them in BBC news), so W would grow with the
    square of the pool; but lengths take few distinct values, so with sentences grouped
    by length g, W·v = Σ_g (C · C_gᵀ v_g) / (log g + log len), which costs a few sparse
    products per distinct length.
    """

    def __init__(self, counts: sparse.csr_matrix, one_word_pairs_count: bool = True) -> None:
        lengths = np.asarray(counts.sum(axis=1)).ravel().astype(np.int64)
        distinct, self.group = np.unique(lengths, return_inverse=True)
        self.counts = counts
        coo = counts.tocoo()
        self.entry_rows, self.entry_terms, self.entry_counts = coo.row, coo.col, coo.data
        self.norms = pair_norms(log_of_lengths(lengths), log_of_lengths(distinct), lengths, distinct)
        self.norms[np.outer(lengths == 1, distinct == 1)] = 1.0 if one_word_pairs_count else 0.0

    def diagonal(self) -> np.ndarray:
        """Each sentence's weight with itself."""
        squares = np.asarray(self.counts.multiply(self.counts).sum(axis=1)).ravel()
        own = self.norms[np.arange(len(self.group)), self.group]
        return np.divide(squares, own, out=np.zeros_like(squares), where=own > 0)

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        terms, groups = self.counts.shape[1], self.norms.shape[1]
        by_term_and_group = np.bincount(
            self.entry_terms * groups + self.group[self.entry_rows],
            weights=self.entry_counts * v[self.entry_rows],
            minlength=terms * groups,
        ).reshape(terms, groups)
        overlaps = self.counts @ by_term_and_group
        return np.divide(overlaps, self.norms, out=np.zeros_like(overlaps), where=self.norms > 0).sum(axis=1)


def pair_norms(
    log_lengths: np.ndarray, group_log_lengths: np.ndarray, lengths: np.ndarray, group_lengths: np.ndarray
) -> np.ndarray:
    """Sentences × length groups: log len + log g, the divisor of an edge (0 where a side
    has no words, and where both have one, until the caller decides)."""
    norms = log_lengths[:, np.newaxis] + group_log_lengths[np.newaxis, :]
    norms[np.logical_or.outer(lengths == 0, group_lengths == 0)] = 0.0
    return norms


def log_of_lengths(lengths: np.ndarray) -> np.ndarray:
    """``math.log`` of each length, as sumy computes it (0 for empty sentences, which have no edges)."""
    table = {int(k): math.log(k) if k > 0 else 0.0 for k in np.unique(lengths)}
    return np.array([table[int(k)] for k in lengths], dtype=np.float64)


def textrank_power_method(weights: OverlapWeights, damping: float, epsilon: float) -> np.ndarray:
    """sumy's TextRank iteration without its dense matrix. sumy normalizes each row of W
    by its sum (plus a guard against zero) and adds (1 - d)/N to every entry, so a step
    is (1 - d)/N · sum(p) plus d · W·(p / row sums), W being symmetric."""
    n = weights.counts.shape[0]
    row_sums = (weights @ np.ones(n)) + TEXTRANK_ZERO_DIVISION_PREVENTION
    teleport = (1.0 - damping) / n
    p = np.full(n, 1.0 / n)
    step = 1.0
    while step > epsilon:
        following = teleport * p.sum() + damping * (weights @ (p / row_sums))
        step = np.linalg.norm(following - p)
        p = following
    return p


def _rows_divided(matrix: sparse.csr_matrix, divisors: np.ndarray) -> sparse.csr_matrix:
    """Each row divided by its divisor, entry by entry (division, not multiplication by a
    reciprocal, because sumy divides and the last bit decides near-threshold cases)."""
    result = matrix.tocsr(copy=True)
    result.data = result.data / np.repeat(divisors, np.diff(result.indptr))
    return result


def _rows_multiplied(matrix: sparse.csr_matrix, factors: np.ndarray) -> sparse.csr_matrix:
    result = matrix.tocsr(copy=True)
    result.data = result.data * np.repeat(factors, np.diff(result.indptr))
    return result


def kl_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's KL-Sum ratings: sentences in the order its greedy loop adds them to the
    summary, each time the one whose words joined to the summary's have the smallest
    Σ p·log(p / q) (p: the word's share of the pool's content words, q: its share of the
    joined words), rated minus its step; copies of a text share one rating, as in sumy's
    dict. sumy rescans every remaining sentence's words at every step (cubic in the
    pool); here a step is a few vector operations over the pool plus an update of the
    sentences that share a word with the one just added (``KLState``)."""
    if not sentences:
        return []
    state = KLState(sentences)
    order = []
    for _ in range(len(sentences)):
        order.append(state.best())
        state.add(order[-1])
    return ratings_by_text(sentences, order)


class KLState:
    """The greedy loop's state, each sentence's divergence kept as
    base + P_i + log(L_i + L_S) · (F + Q_i). Over the summary's words w (counts c_S, length
    L_S): base = Σ p_w (log p_w − log c_S(w)), F = Σ p_w. P_i and Q_i hold the sentence's
    own words (counts c_i, length L_i): a word also in the summary turns its summary term
    into p_w (log p_w − log(c_i + c_S)), adding p_w (log c_S − log(c_i + c_S)) to P_i;
    another adds p_w (log p_w − log c_i) to P_i and p_w to Q_i. Adding a sentence to the
    summary changes c_S only for its words, so only those words' entries are redone.

    sumy's quirks are kept: the pool's shares count every word whose raw form is not a
    stop word (so "The" counts, as "the"), a sentence's words are lower-cased before stop
    words go, the summary's words are raw (its stop words lengthen it; its capitalized
    words match no share), and a word without a share counts only in lengths. Where two
    different sentences come within rounding of the minimum, they (up to ``KL_EXACT_TIES``)
    are computed again as sumy computes them, term by term in its order, so its choice
    between equals is ours."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        stop = nlp.stop_words()
        self.raw = [nlp.words(s.text) for s in sentences]
        pooled = [w.lower() for words in self.raw for w in words if w not in stop]
        self.share = {w: count / len(pooled) for w, count in Counter(pooled).items()}
        vocabulary = {w: i for i, w in enumerate(self.share)}
        self.shares = np.array(list(self.share.values()))
        self.log_shares = np.log(self.shares)
        self.own = [[w.lower() for w in words if w.lower() not in stop] for words in self.raw]
        self.lengths = np.array([len(words) for words in self.own], dtype=np.float64)
        self.summary_counter: Counter[str] = Counter()
        self.summary_counts = np.zeros(len(vocabulary))
        self.summary_length = 0
        self.base = self.mass = 0.0
        entries = np.array(sorted(  # (word, sentence, count), word by word
            (vocabulary[w], i, count)
            for i, words in enumerate(self.own)
            for w, count in Counter(w for w in words if w in vocabulary).items()
        ), dtype=np.int64).reshape(-1, 3)
        self.entry_words, self.entry_rows = entries[:, 0], entries[:, 1]
        self.entry_counts = entries[:, 2].astype(np.float64)
        self.column_start = np.searchsorted(self.entry_words, np.arange(len(vocabulary) + 1))
        self.vocabulary = vocabulary
        self.entry_terms, self.entry_mass = self.entry_values(np.arange(len(entries)))
        self.corrections = np.bincount(self.entry_rows, weights=self.entry_terms, minlength=len(sentences))
        self.own_mass = np.bincount(self.entry_rows, weights=self.entry_mass, minlength=len(sentences))
        self.left = np.ones(len(sentences), dtype=bool)

    def best(self) -> int:
        """The remaining sentence with the smallest divergence, the first of equals."""
        total = self.lengths + self.summary_length
        kl = self.base + self.corrections + np.log(np.where(total > 0, total, 1.0)) * (self.mass + self.own_mass)
        kl = np.where(self.left, np.where(total > 0, kl, 0.0), np.inf)  # nothing joined: sumy sums no term
        lowest = kl.min()
        near = np.flatnonzero(kl <= lowest + KL_ROUNDING * max(1.0, abs(lowest)))[:KL_EXACT_TIES]
        if len({tuple(self.own[i]) for i in near}) == 1:  # equal word lists: equal in sumy too
            return int(near[0])
        exact = [self.sumy_divergence(int(i)) for i in near]
        return int(near[exact.index(min(exact))])

    def add(self, chosen: int) -> None:
        self.left[chosen] = False
        self.summary_counter.update(self.raw[chosen])
        self.summary_length += len(self.raw[chosen])
        words = np.array([self.vocabulary[w] for w in self.raw[chosen] if w in self.vocabulary], dtype=np.int64)
        if not len(words):
            return
        changed = np.unique(words)
        before = self.summary_terms(changed)
        np.add.at(self.summary_counts, words, 1.0)
        after = self.summary_terms(changed)
        self.base += float(np.sum(after[0] - before[0]))
        self.mass += float(np.sum(after[1] - before[1]))
        entries = np.concatenate([np.arange(self.column_start[w], self.column_start[w + 1]) for w in changed])
        terms, mass = self.entry_values(entries)
        rows, n = self.entry_rows[entries], len(self.left)
        self.corrections += np.bincount(rows, weights=terms - self.entry_terms[entries], minlength=n)
        self.own_mass += np.bincount(rows, weights=mass - self.entry_mass[entries], minlength=n)
        self.entry_terms[entries], self.entry_mass[entries] = terms, mass

    def entry_values(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P_i and Q_i terms of these (word, sentence) entries against the current summary."""
        words, counts = self.entry_words[entries], self.entry_counts[entries]
        p, in_summary = self.shares[words], self.summary_counts[words]
        shared = in_summary > 0
        summary_log = np.log(np.where(shared, in_summary, 1.0))
        own_log = np.log(counts + in_summary)
        terms = np.where(shared, p * (summary_log - own_log), p * (self.log_shares[words] - own_log))
        return terms, np.where(shared, 0.0, p)

    def summary_terms(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The summary's terms of these words in base and F (nothing for a word it lacks)."""
        counts, p = self.summary_counts[words], self.shares[words]
        present = counts > 0
        logs = np.log(np.where(present, counts, 1.0))
        return np.where(present, p * (self.log_shares[words] - logs), 0.0), np.where(present, p, 0.0)

    def sumy_divergence(self, i: int) -> float:
        """Sentence ``i``'s divergence computed as sumy's ``_joint_freq`` and
        ``_kl_divergence`` compute it: the same terms, in the same order."""
        joint = Counter(self.own[i])
        for word, count in self.summary_counter.items():
            joint[word] += count
        total = float(len(self.own[i]) + self.summary_length)
        divergence = 0.0
        for word, count in joint.items():
            share = self.share.get(word)
            if share:
                divergence += share * math.log(share / (count / total))
        return divergence


def sumbasic_scores(sentences: Sequence[Sentence]) -> list[float]:
    """sumy's SumBasic ratings: sentences in the order its greedy loop picks them, each
    time the one whose content stems have the highest mean probability (the first of
    equals), after which each of its stems' probability is squared once per occurrence.

    Probabilities only fall, so a mean computed earlier is an upper bound of the current
    one: a heap of means, recomputed only when one reaches the top and found stale, picks
    what sumy's full rescan at every step picks. Means are summed with ``sum`` in the
    sentence's word order and divided as sumy does, so they are sumy's numbers exactly."""
    if not sentences:
        return []
    words = [nlp.stems(s.text) for s in sentences]
    pooled = [w for stems in words for w in stems]
    probability = {w: count / len(pooled) for w, count in Counter(pooled).items()}

    def mean(i: int) -> float:
        return sum([probability[w] for w in words[i]]) / len(words[i]) if words[i] else 0

    heap = [(-mean(i), i) for i in range(len(sentences))]
    heapq.heapify(heap)
    order = []
    while heap:
        stored, i = heapq.heappop(heap)
        current = -mean(i)
        if current != stored:  # a stem of it was picked since: try again at its new mean
            heapq.heappush(heap, (current, i))
            continue
        order.append(i)
        for w in words[i]:
            probability[w] *= probability[w]
    return ratings_by_text(sentences, order)


def ratings_by_text(sentences: Sequence[Sentence], order: Sequence[int]) -> list[float]:
    """sumy's ratings of a greedy order: the k-th distinct text picked is rated −k, and
    sumy's dict, keyed by the (stripped) text, gives a later copy's rating to every copy;
    the next text's rating then repeats it, as the dict did not grow."""
    ratings: dict[str, int] = {}
    for i in order:
        ratings[sentences[i].text.strip()] = -len(ratings)
    return [float(ratings[s.text.strip()]) for s in sentences]
