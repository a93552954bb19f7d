"""One long article of ordinary news (1.9 MB, about 17,000 sentences, most of them in a
section) goes through the whole pipeline with bounded work, counted, not timed: story
grouping (a 1.9 MB article spent 17 s there) and the ranker on one article's pool (it was
quadratic in the article's length)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from briefing import salience, stories
from briefing.config import load_config
from briefing.ingest import read_file
from briefing.ingest.common import MAX_INPUT_BYTES
from briefing.pipeline import make_briefing
from generated import bench_edition


def long_report(path: Path) -> Path:
    """bench/edition.py's long report, four sentences a paragraph, just under the input limit."""
    sentences = bench_edition().long_report(17_500, 7)
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    text, size = "Live report\n", 0
    for paragraph in paragraphs:
        size += len(paragraph.encode("utf-8")) + 2
        if size > MAX_INPUT_BYTES - 50_000:
            break
        text += "\n" + paragraph + "\n"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.timeout(240)
def test_a_two_megabyte_news_article_is_briefed_with_bounded_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = long_report(tmp_path / "live.txt")
    assert source.stat().st_size > 1_800_000
    (article,) = read_file(source, print)

    candidates: list[int] = []
    compared = 0
    sorted_centroids: list[bool] = []
    pairs, jaccard, dot = stories.candidate_pairs, stories._jaccard, salience.dot_with_own_centroid

    def counted_pairs(keys: np.ndarray, sets):
        later, earlier = pairs(keys, sets)
        candidates.append(int(np.bincount(later, minlength=len(sets)).max(initial=0)))
        return later, earlier

    def counted_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
        nonlocal compared
        compared += 1
        return jaccard(a, b)

    def checked_dot(units, articles, centroids):
        sorted_centroids.append(centroids.has_sorted_indices)
        return dot(units, articles, centroids)

    monkeypatch.setattr(stories, "candidate_pairs", counted_pairs)
    monkeypatch.setattr(stories, "_jaccard", counted_jaccard)
    monkeypatch.setattr(salience, "dot_with_own_centroid", checked_dot)
    briefing = make_briefing(load_config(None, env={}), [article], date(2026, 11, 25))

    assert briefing.sentence_count > 16_000
    assert all(digest.sentences for digest in briefing.sections)
    bands = max(stories.STORY_BANDS[0], stories.SENTENCE_BANDS[0])
    assert candidates and max(candidates) <= bands * stories.BUCKET_HEADS
    assert compared <= stories.MAX_CONFIRMED * (briefing.sentence_count + 1)
    assert sorted_centroids and all(sorted_centroids)  # so each lookup is a binary search
