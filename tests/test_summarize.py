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


def story_pool() -> tuple[list[Sentence], list[str]]:
    """Story "a" (article a, 5 sentences; its lead scores low) and story "b" (articles b
    and c, one story carried by two outlets), and story "d", a single sentence."""
    sentences = pool() + [Sentence("c", 0, 0, "Velmora's army said the border was quiet on Wednesday morning."),
                          Sentence("d", 3, 1, "A minister of a third country visited the region and said little.")]
    return sentences, ["a"] * 5 + ["b"] * 5 + ["d"]


def test_stories_spread_the_picks_one_per_story_then_by_score() -> None:
    sentences, stories = story_pool()
    scores = [0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.55, 0.2, 0.3, 0.4, 0.95]
    assert select(sentences, scores, 3, None) == [1, 2, 10]  # by score alone, story "a" takes two
    # one per story, the stories with most sentences first, each by its lead when it has one
    # in the pool (a's first sentence, not its best); then the fill by score
    assert select(sentences, scores, 3, None, stories=stories) == [0, 5, 10]
    assert select(sentences, scores, 4, None, stories=stories) == [0, 1, 5, 10]
    assert select(sentences, scores, 2, None, stories=stories) == [0, 5]  # "d" is one sentence: last


def test_a_single_story_or_no_stories_is_the_score_order() -> None:
    sentences, _ = story_pool()
    scores = [0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.55, 0.2, 0.3, 0.4, 0.95]
    for count in range(1, len(sentences) + 1):
        plain = select(sentences, scores, count, 0.6)
        assert select(sentences, scores, count, 0.6, stories=["one"] * len(sentences)) == plain


def test_a_story_is_first_told_by_a_sentence_that_stands_alone() -> None:
    """In the first pass a sentence that needs its antecedent would spend two places on one
    story: the story's best sentence that stands alone goes first, the chain may follow."""
    sentences = [Sentence("x", 1, 0, "Officials in Valdor said the talks on the corridor went on all night."),
                 Sentence("x", 2, 0, "He said the border would stay closed to trucks until Friday."),
                 Sentence("y", 0, 0, "Storms closed the ports of Castrel for a second day on Monday.")]
    antecedents, scores, stories = [None, 0, None], [0.2, 0.9, 0.5], ["x", "x", "y"]
    assert select(sentences, scores, 2, None, antecedents, stories) == [0, 2]
    assert select(sentences, scores, 3, None, antecedents, stories) == [0, 1, 2]


def test_a_story_whose_every_sentence_repeats_a_kept_one_is_passed_over() -> None:
    texts = ["Talks on the Sava corridor began in Valdor on Tuesday.",
             "Talks on the Sava corridor began in Valdor on Tuesday, officials said.",
             "The border will stay closed to trucks until Friday, the ministry said.",
             "Storms closed the ports of Castrel for a second day on Monday."]
    sentences = [Sentence("a", 0, 0, texts[0]), Sentence("b", 0, 0, texts[1]), Sentence("b", 1, 0, texts[2]),
                 Sentence("c", 5, 2, texts[3])]
    scores, stories = [0.5, 0.9, 0.8, 0.1], ["a", "b", "b", "c"]
    # b (two sentences) first, by its lead; a's only sentence repeats it; c; then the fill
    assert select(sentences, scores, 3, 0.6, stories=stories) == [1, 2, 3]
    assert select(sentences, scores, 2, 0.6, stories=stories) == [1, 3]


def test_the_sample_edition_covers_its_stories(tmp_path) -> None:
    """By score alone, the lead story (the Valdor ceasefire, two outlets) was told only by
    'A Kestrel official ... said the corridor ...' and Domestic took two sentences each from
    the sanctions and the hostages stories and none from the floods or the court ruling."""
    from briefing import pipeline
    from briefing.config import load_config

    config = load_config(None, env={})
    edition = pipeline.build_edition(config, pipeline.sample_inputs(), pipeline.sample_edition(), tmp_path, ["txt"],
                                     warn=print)
    picked = {s.id: [k.text for k in s.sentences] for s in edition.briefing.sections}
    assert any(text.startswith("The leaders of Velmora and Ostravia agreed on Tuesday to a framework for a ceasefire")
               for text in picked["diplomacy"])
    assert any(text.startswith("The government of Selvana declared a state of emergency") for text in picked["domestic"])
    assert any(text.startswith("Ostravia's Constitutional Court on Tuesday struck down") for text in picked["domestic"])
    for section in edition.briefing.sections:  # one sentence per story: no source cited twice in a section
        citations = [c for k in section.sentences for c in k.citations]
        assert len(section.sentences) == 5 and len(set(citations)) == len(citations), (section.id, citations)
