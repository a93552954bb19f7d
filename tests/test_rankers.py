"""Our vectorized rankers (LexRank, TextRank, LSA, Reduction, KL-Sum, SumBasic) against
sumy's own, which stay the reference.

Scores must agree to rounding and picks must agree except between sentences whose
reference scores are tied to rounding (there, summation order decides, and sumy's own
order depends on set iteration, hence on PYTHONHASHSEED).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sumy.models.dom import Sentence as SumySentence

from briefing import nlp, rankers, summarize
from briefing.ingest import read_paths
from briefing.models import Sentence
from briefing.sentences import split_article, split_articles
from briefing.summarize import new_sumy_summarizer, select, sumy_scorer

pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning"),  # sumy's 0/0
    pytest.mark.filterwarnings("ignore:Number of words .* lower than number of sentences:UserWarning"),
]
OURS = {
    "lexrank": rankers.lexrank_scores,
    "textrank": rankers.textrank_scores,
    "lsa": rankers.lsa_scores,
    "reduction": rankers.reduction_scores,
    "kl": rankers.kl_scores,
    "sumbasic": rankers.sumbasic_scores,
}
ALGORITHMS = sorted(OURS)
GREEDY = {"kl", "sumbasic"}
PROJECT = Path(__file__).resolve().parents[1]
BBC_ARTICLES = PROJECT.parent / "shared" / "eval" / "bbc-politics-dev" / "articles"
SAMPLES = PROJECT / "briefing" / "samples"

SUMMIT = [
    "Foreign ministers of Velmora and Ostravia met in Arlen on Tuesday to discuss the ceasefire.",
    "The ministers agreed to extend the ceasefire along the disputed border for thirty days.",
    "Artillery fire was reported near the border town of Drevno overnight, officials said.",
    "The ceasefire talks will resume in January, the Velmoran foreign ministry said.",
    "Protesters in the capital demanded a referendum on any border deal.",
    "Velmora's president called the agreement a first step towards a lasting peace.",
]
BUDGET = [
    "Ostravia's parliament approved a larger defence budget on Wednesday.",
    "The defence budget includes funds for new drones and border patrols.",
    "Opposition parties said the budget ignored hospitals and schools.",
    "The finance minister said the budget would be balanced by 2028.",
    "The foreign ministry said the ceasefire with Velmora was holding.",
]
FLOODS = [
    "Floods in the southern province of Selvana forced thousands from their homes.",
    "Rescue teams used boats to reach villages cut off by the rising river.",
    "The government released emergency funds for the flooded province.",
    "Forecasters warned that more heavy rain was expected on Friday.",
]
#: The same wire story carried by a second outlet: whole sentences repeat.
WIRE_COPY = [SUMMIT[1], SUMMIT[3], "Officials in Arlen said the ceasefire would be monitored by observers."]


def pool_of(*articles: list[str]) -> list[Sentence]:
    return [
        Sentence(f"a{n}", i, i // 2, text) for n, article in enumerate(articles) for i, text in enumerate(article)
    ]


def built_pools() -> dict[str, list[Sentence]]:
    return {
        "one-story": pool_of(SUMMIT),
        "three-stories": pool_of(SUMMIT, BUDGET, FLOODS),
        "wire-repeats": pool_of(SUMMIT, WIRE_COPY, BUDGET, WIRE_COPY),
        "samples": sample_pool(),
    }


def sample_pool() -> list[Sentence]:
    paths = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".md", ".html"})
    by_article = split_articles(read_paths(paths, warn=lambda message: None))
    return [s for sentences in by_article.values() for s in sentences]


def assert_same_picks_ties_aside(
    sentences: list[Sentence], ours: list[float], reference: list[float], count: int
) -> None:
    """Picks may differ only by sentences whose reference score ties the last pick's, to rounding."""
    mine = select(sentences, ours, count, None)
    theirs = select(sentences, reference, count, None)
    if mine == theirs:
        return
    last_picked = sorted(reference, reverse=True)[count - 1]
    rounding = 1e-12 * max(map(abs, reference), default=0.0)  # as in close(): sumy's SVD leaves 1e-16 for 0
    for i in set(mine) ^ set(theirs):
        assert math.isclose(reference[i], last_picked, rel_tol=1e-9, abs_tol=rounding), (
            count,
            i,
            reference[i],
            last_picked,
        )


def close(ours: list[float], reference: list[float]) -> bool:
    """Equal to rounding, relative to the scores' scale (sumy's SVD leaves 1e-15 for 0)."""
    scale = max(map(abs, reference), default=0.0)
    return len(ours) == len(reference) and np.allclose(ours, reference, rtol=1e-9, atol=1e-12 * scale)


def assert_agrees_with_sumy(name: str, sentences: list[Sentence]) -> None:
    ours = OURS[name](sentences)
    reference = sumy_scorer(name)(sentences)
    assert close(ours, reference), name
    for count in (1, 3, 5, 10, len(sentences)):
        if count <= len(sentences):
            assert_same_picks_ties_aside(sentences, ours, reference, count)


@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize("pool_name", sorted(built_pools()))
def test_scores_and_picks_match_sumy_on_built_pools(name: str, pool_name: str) -> None:
    assert_agrees_with_sumy(name, built_pools()[pool_name])


def bbc_pool(first: int, count: int) -> list[Sentence]:
    from briefing.evaluation.summaries import read_article

    paths = sorted(BBC_ARTICLES.glob("*.txt"))[first : first + count]
    return [s for path in paths for s in split_article(read_article(path))]


@pytest.mark.skipif(not BBC_ARTICLES.is_dir(), reason="../shared evaluation data is absent")
@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize("first", [0, 100])
def test_scores_and_picks_match_sumy_on_bbc_articles(name: str, first: int) -> None:
    sentences = bbc_pool(first, 15)
    assert len(sentences) > 150
    assert_agrees_with_sumy(name, sentences)


def test_our_stems_are_sumys_words_after_normalization_and_stemming() -> None:
    summarizer = new_sumy_summarizer("lexrank")
    for sentence in built_pools()["samples"]:
        sumy_sentence = SumySentence(sentence.text, nlp.SumyTokenizer())
        assert nlp.stems(sentence.text) == summarizer._to_words_set(sumy_sentence)


def test_fast_rankers_take_the_plain_names_and_sumy_stays_selectable() -> None:
    assert all(summarize.SCORERS[name] is ours for name, ours in OURS.items())
    sentences = pool_of(SUMMIT, BUDGET)
    for name in ALGORITHMS:
        assert summarize.scorer(f"sumy-{name}")(sentences) == sumy_scorer(name)(sentences)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_tiny_pools(name: str) -> None:
    assert OURS[name]([]) == []
    assert_agrees_with_sumy(name, pool_of(SUMMIT[:1]))
    assert_agrees_with_sumy(name, pool_of(SUMMIT[:2]))


@pytest.mark.parametrize("name", ALGORITHMS)
def test_identical_sentences_score_alike_and_keep_input_order(name: str) -> None:
    sentences = pool_of([SUMMIT[0]] * 4)
    scores = OURS[name](sentences)
    assert len(set(scores)) == 1 and all(map(math.isfinite, scores))
    assert select(sentences, scores, 2, None) == [0, 1]
    assert_agrees_with_sumy(name, sentences)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_stop_word_sentences_get_finite_scores_and_lose(name: str) -> None:
    sentences = pool_of(["It was all said and done.", SUMMIT[1], "There it is, once again.", SUMMIT[3]])
    assert nlp.stems(sentences[0].text) == [] and nlp.stems(sentences[2].text) == []
    scores = OURS[name](sentences)
    assert all(map(math.isfinite, scores))
    if name != "kl":  # sumy's KL adds an empty sentence second: it leaves the summary's word shares as they are
        assert select(sentences, scores, 2, None) == [1, 3]
    assert_agrees_with_sumy(name, sentences)


def test_lexrank_without_any_edge_is_uniform_where_sumy_is_nan() -> None:
    """Two sentences with no stem in common have idf log(2/2) = 0 for every stem, so sumy's
    graph has no edge, not even self-loops, and it divides 0 by 0."""
    sentences = pool_of(["Floods hit the southern province.", "Parliament approved the defence budget."])
    reference = sumy_scorer("lexrank")(sentences)
    assert all(map(math.isnan, reference))
    ours = rankers.lexrank_scores(sentences)
    assert ours == [0.5, 0.5]
    assert select(sentences, ours, 1, None) == select(sentences, reference, 1, None) == [0]


WORDS = st.sampled_from(
    ["ceasefire", "border", "ministers", "budget", "drones", "floods", "river", "talks", "vote", "Arlen"]
    + ["the", "and", "of", "said", "it", "was", "again"]
)
SENTENCES = st.lists(WORDS, min_size=1, max_size=8).map(lambda words: " ".join(words) + ".")
POOLS = st.lists(SENTENCES, max_size=10).map(lambda texts: pool_of(texts))


@settings(max_examples=60, deadline=None)
@given(sentences=POOLS)
def test_property_scores_finite_one_per_sentence_and_as_sumys(sentences: list[Sentence]) -> None:
    for name in ALGORITHMS:
        ours = OURS[name](sentences)
        assert len(ours) == len(sentences) and all(map(math.isfinite, ours))
        reference = sumy_scorer(name)(sentences)
        if all(map(math.isfinite, reference)):
            assert close(ours, reference), name
        else:  # sumy's 0/0 case: no edge at all, every sentence equal
            assert len(set(ours)) == 1


@settings(max_examples=60, deadline=None)
@given(sentences=POOLS, data=st.data())
def test_property_permuting_the_pool_permutes_the_scores(sentences: list[Sentence], data: st.DataObject) -> None:
    """Not for the greedy ones (kl, sumbasic): they rate by the step a sentence is picked
    at, and of equal sentences sumy picks the first in the pool."""
    order = data.draw(st.permutations(range(len(sentences))))
    permuted = [sentences[i] for i in order]
    for name in sorted(set(ALGORITHMS) - GREEDY):
        scores = OURS[name](sentences)
        assert close(OURS[name](permuted), [scores[i] for i in order]), name
