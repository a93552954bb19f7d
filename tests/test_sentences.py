"""Sentence splitting on tricky news text (abbreviations, quotes, numbers, initials)."""

from __future__ import annotations

import pytest

from briefing import nlp
from briefing.models import Article
from briefing.sentences import split_article, strip_dateline

CASES = [
    ("Mr. Tal arrived in Arlen at 9 a.m. on Tuesday. He left at noon.",
     ["Mr. Tal arrived in Arlen at 9 a.m. on Tuesday.", "He left at noon."]),
    ("The U.N. Security Council met on Jan. 5. The U.S. envoy spoke first.",
     ["The U.N. Security Council met on Jan. 5.", "The U.S. envoy spoke first."]),
    ('"We will not retreat," Gen. Okafor said. "Not one metre."',
     ['"We will not retreat," Gen. Okafor said.', '"Not one metre."']),
    ("Inflation rose 3.5% in October. The bank held rates at 4.25 per cent.",
     ["Inflation rose 3.5% in October.", "The bank held rates at 4.25 per cent."]),
    ("Dr. A. N. Petrov, the mediator, was cautious. Talks resume Monday.",
     ["Dr. A. N. Petrov, the mediator, was cautious.", "Talks resume Monday."]),
    ("Is this the end? Officials would not say! The vote is on Friday.",
     ["Is this the end?", "Officials would not say!", "The vote is on Friday."]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_split_tricky_news_text(text: str, expected: list[str]) -> None:
    assert nlp.split_sentences(text) == expected


def test_split_article_numbers_sentences_and_drops_fragments() -> None:
    article = Article(
        id="a1",
        title="T",
        paragraphs=("ARLEN (Reuters) - Troops moved north on Monday. Officials confirmed the move.", "Read more", "The vote was close."),
    )
    sentences = split_article(article)
    assert [(s.index, s.paragraph) for s in sentences] == [(0, 0), (1, 0), (2, 2)]
    assert all(s.article_id == "a1" for s in sentences)
    assert "Read more" not in [s.text for s in sentences]


def test_words_and_stems_use_nltk_without_data() -> None:
    assert nlp.words("The U.S.-led talks, he said.") == ["The", "U.S.-led", "talks", "he", "said"]
    assert nlp.stems("Negotiations were negotiated") == ["negoti", "negoti"]


def test_sumy_tokenizer_protocol() -> None:
    tokenizer = nlp.SumyTokenizer()
    assert tokenizer.language == "english"
    assert tokenizer.to_sentences("One here. Two there.") == ("One here.", "Two there.")
    assert tokenizer.to_words("Hello, world.") == ("Hello", "world")


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("ARLEN (Reuters) - Troops moved north.", "Troops moved north."),
        ("SKARN, Kestrel Republic — Ostravia's coastguard detained a trawler.", "Ostravia's coastguard detained a trawler."),
        ("MIRENNE, Corvane (MPA) — The first soldiers landed.", "The first soldiers landed."),
        ("NEW YORK -- Markets fell.", "Markets fell."),
        ("NATO allies met on Monday - and agreed.", "NATO allies met on Monday - and agreed."),
        ("The U.N. - long divided - agreed.", "The U.N. - long divided - agreed."),
    ],
)
def test_dateline_stripped_only_when_it_is_one(paragraph: str, expected: str) -> None:
    assert strip_dateline(paragraph) == expected


def test_dateline_stripped_from_the_first_body_paragraph_after_a_standfirst() -> None:
    """A standfirst or kicker line (no closing punctuation) before the first paragraph is
    not where a dateline stands; the paragraph after it is."""
    article = Article("a", "Title", (
        "Opposition leader promises higher defence spending",
        "ESK, Velmora — Corin Maddox told a rally in Esk on Tuesday that he would withdraw.",
        "LISK — a second dateline-like opening later on is left alone here.",
    ))
    texts = [s.text for s in split_article(article)]
    assert texts[1] == "Corin Maddox told a rally in Esk on Tuesday that he would withdraw."
    assert texts[2].startswith("LISK — ")


def test_shipped_markdown_sample_has_no_heading_sentence_and_no_dateline() -> None:
    from briefing.ingest import read_file
    from briefing.pipeline import sample_inputs

    (path,) = [p for p in sample_inputs() if p.name == "2026-11-25-velmora-maddox-campaign.md"]
    first = split_article(read_file(path, print)[0])[0]
    assert first.paragraph == 0
    assert first.text.startswith("Corin Maddox, the leader of the opposition National Renewal party")
