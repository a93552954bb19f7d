"""Faster segmentation must be exact: the same sentences pysbd's own ``segment`` returns,
whether split in this process, in worker processes, or read back from the cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pysbd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from briefing import nlp, segment_cache
from briefing.evaluation.summaries import read_text

PROJECT = Path(__file__).resolve().parents[1]
BBC_ARTICLES = PROJECT.parent / "shared" / "eval" / "bbc-politics-dev" / "articles"
SAMPLES = PROJECT / "briefing" / "samples"


def pysbd_sentences(paragraph: str) -> list[str]:
    """The reference: pysbd's public ``segment`` on each piece of the paragraph (pieces
    bound pysbd's quadratic time on huge paragraphs), as nlp called it before the speed-up."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    text = nlp.normalized_paragraph(paragraph)
    if not text:
        return []
    return [s.strip() for piece in nlp.pieces(text) for s in segmenter.segment(piece) if s.strip()]


def paragraphs_of(paths: list[Path]) -> list[str]:
    paragraphs: list[str] = []
    for path in paths:
        paragraphs += [p for p in read_text(path).split("\n\n") if p.strip()]
    return paragraphs


@pytest.fixture(autouse=True)
def cold_caches() -> None:
    nlp.clear_caches()


def test_segment_matches_pysbd_on_samples() -> None:
    paragraphs = paragraphs_of(sorted(SAMPLES.iterdir()))
    assert len(paragraphs) > 20
    assert [nlp.split_sentences(p) for p in paragraphs] == [pysbd_sentences(p) for p in paragraphs]


@pytest.mark.skipif(not BBC_ARTICLES.is_dir(), reason="../shared evaluation data is absent")
def test_segment_matches_pysbd_on_bbc_articles() -> None:
    paragraphs = paragraphs_of(sorted(BBC_ARTICLES.glob("*.txt"))[:60])
    assert [nlp.split_sentences(p) for p in paragraphs] == [pysbd_sentences(p) for p in paragraphs]


FRAGMENTS = st.sampled_from(
    [
        "Mr. Smith went to Washington.",
        'He said: "No!"',
        "U.S. officials met at 5 p.m. on Friday.",
        "The cost was $1.5 million.",
        "Really?",
        "See p. 5 (fig. 2).",
        "It's 3 a.m. in the U.K. now.",
        "Yes.",
        "...",
        "(Quoted.)",
        "e.g. this one",
        "\u201cCurly quotes.\u201d",
        "Gen. Ortiz, Lt. Col. Vance and Dr. Ames agreed.",
        "1. First item 2. Second item",
        "   ",
    ]
)


@settings(max_examples=80, deadline=None)
@given(st.lists(FRAGMENTS, max_size=8), st.sampled_from([" ", "  ", "\n", "\t"]))
def test_property_segment_matches_pysbd(fragments: list[str], glue: str) -> None:
    paragraph = glue.join(fragments)
    assert nlp.split_sentences(paragraph) == pysbd_sentences(paragraph)


SNIPPETS = st.text(alphabet="ab .(\t", max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(SNIPPETS, max_size=5), st.text(alphabet="ab .(\t", max_size=24))
@example(["aa", "aa"], "aaa")  # a rejected match: the search goes on from its end, not overlapping it
def test_property_located_sentences_are_pysbds_spans(sentences: list[str], text: str) -> None:
    """Including sentences missing from the text, repeated, or empty, which pysbd's
    own output has not been seen to produce."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    segmenter.original_text = text
    expected = [span.sent for span in segmenter.sentences_with_char_spans(sentences)]
    assert nlp.located_sentences(sentences, text) == expected


def test_cached_paragraphs_are_not_split_again_and_copies_are_private() -> None:
    paragraph = "The talks resumed on Monday. Both sides said progress was made."
    first = nlp.split_sentences(paragraph)
    first.append("tampered")
    assert nlp.is_paragraph_cached(nlp.paragraph_key(nlp.normalized_paragraph(paragraph)))
    assert nlp.split_sentences(" " + paragraph.replace(" ", "\n  ", 1)) == first[:-1]  # same normalized text


def test_token_caches_hand_out_private_copies() -> None:
    sentence = "Ministers agreed to extend the ceasefire."
    nlp.words(sentence).append("tampered")
    nlp.stems(sentence).clear()
    assert nlp.words(sentence) == ["Ministers", "agreed", "to", "extend", "the", "ceasefire"]
    assert nlp.stems(sentence) == ["minist", "agre", "extend", "ceasefir"]


def many_paragraphs() -> list[str]:
    paragraphs = paragraphs_of(sorted(SAMPLES.iterdir()))
    return [f"{p} Item {i} was noted by Mr. Ames." for i in range(6) for p in paragraphs]


def test_presplit_in_workers_gives_the_serial_sentences_and_words(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = many_paragraphs()
    serial = [pysbd_sentences(p) for p in paragraphs]
    monkeypatch.setattr(segment_cache, "PARALLEL_MIN_PARAGRAPHS", 10)
    if not segment_cache.can_fork():
        pytest.skip("no fork here, or another thread is running")
    assert segment_cache.presplit(paragraphs + paragraphs[:5], workers=2) == len(set(paragraphs))
    assert all(nlp.is_paragraph_cached(nlp.paragraph_key(nlp.normalized_paragraph(p))) for p in paragraphs)
    expected_words = [[nlp.tokenized(s) for s in sentences] for sentences in serial]
    monkeypatch.setattr(nlp, "segment", None)  # what follows must come from the caches
    monkeypatch.setattr(nlp, "tokenized", None)
    assert [nlp.split_sentences(p) for p in paragraphs] == serial
    assert [[tuple(nlp.words(s)) for s in sentences] for sentences in serial] == expected_words
    assert segment_cache.presplit(paragraphs, workers=2) == 0  # all cached now


def test_presplit_small_batches_serially() -> None:
    paragraphs = many_paragraphs()[:5]
    assert segment_cache.presplit(paragraphs, workers=2) == 5
    assert [nlp.split_sentences(p) for p in paragraphs] == [pysbd_sentences(p) for p in paragraphs]


def test_nltk_loads_without_scipy_stats_which_stays_importable() -> None:
    code = (
        "import sys, briefing.nlp\n"
        "assert 'scipy.stats' not in sys.modules, 'nltk pulled in scipy.stats'\n"
        "import scipy.stats\n"
        "print(scipy.stats.norm.cdf(0.0))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.5"
