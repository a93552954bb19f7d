"""Scoring and selection: sumy's algorithms through our adapter pick exactly what sumy picks."""

from __future__ import annotations

import pytest

from briefing import summarize
from briefing.errors import ConfigError
from briefing.models import Sentence
from briefing.summarize import SUMY_CLASSES, new_sumy_summarizer, select, sumy_document, sumy_scorer

ARTICLE_A = [
    "Foreign ministers of Velmora and Ostravia met in Arlen on Tuesday to discuss the ceasefire.",
    "The ministers agreed to extend the ceasefire along the disputed border for thirty days.",
    "Artillery fire was reported near the border town of Drevno overnight, officials said.",
    "The ceasefire talks will resume in January, the Velmoran foreign ministry said.",
    "Protesters in the capital demanded a referendum on any border deal.",
]
ARTICLE_B = [
    "Ostravia's parliament approved a larger defence budget on Wednesday.",
    "The defence budget includes funds for new drones and border patrols.",
    "Opposition parties said the budget ignored hospitals and schools.",
    "The foreign ministry said the ceasefire with Velmora was holding.",
]


def pool() -> list[Sentence]:
    sentences = [Sentence("a", i, i // 2, t) for i, t in enumerate(ARTICLE_A)]
    return sentences + [Sentence("b", i, 0, t) for i, t in enumerate(ARTICLE_B)]


@pytest.mark.parametrize("name", sorted(SUMY_CLASSES))
def test_sumy_adapter_picks_what_sumy_picks(name: str) -> None:
    sentences = pool()
    for count in (1, 3, 5):
        ours = [sentences[i].text for i in select(sentences, sumy_scorer(name)(sentences), count, None)]
        reference = [str(s) for s in new_sumy_summarizer(name)(sumy_document(sentences), count)]
        assert ours == reference, (name, count)


def test_sumy_document_keeps_paragraphs_per_article() -> None:
    document = sumy_document(pool())
    assert [len(p.sentences) for p in document.paragraphs] == [2, 2, 1, 4]


def test_select_best_first_ties_in_input_order_result_in_input_order() -> None:
    sentences = pool()[:4]
    assert select(sentences, [0.1, 0.9, 0.5, 0.9], 2, None) == [1, 3]
    assert select(sentences, [0.5, 0.5, 0.5, 0.5], 3, None) == [0, 1, 2]


def test_select_drops_near_repeats() -> None:
    texts = [
        "The ministers agreed to extend the ceasefire along the border for thirty days.",
        "Ministers agreed to extend the ceasefire along the border for thirty days, officials said.",
        "Protesters in the capital demanded a referendum on any border deal.",
    ]
    sentences = [Sentence("a", i, 0, t) for i, t in enumerate(texts)]
    assert select(sentences, [0.9, 0.8, 0.1], 2, 0.6) == [0, 2]
    assert select(sentences, [0.9, 0.8, 0.1], 2, None) == [0, 1]


def test_summarize_empty_pool_and_unknown_algorithm() -> None:
    assert summarize.summarize([], 3, "lexrank") == []
    with pytest.raises(ConfigError, match="unknown algorithm 'nope'"):
        summarize.summarize(pool(), 3, "nope")
