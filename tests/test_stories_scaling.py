"""Story grouping at edition size: copies of a story are found however many other
stories the edition holds, and the work per article stays bounded (counted, not timed).

The articles are bench/edition.py's generated ones: a quarter of the stories are carried
again by one to three other outlets under the same title, and every story is written from
one set of templates, so unrelated stories share stock phrases as real news does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

import numpy as np
import pytest

from briefing import stories
from briefing.ingest.text import read_text
from briefing.models import Article
from generated import bench_edition


@lru_cache(maxsize=None)
def generated_articles(count: int) -> tuple[Article, ...]:
    records = bench_edition().generate_articles(count, 11)
    return tuple(a for record in records for a in read_text(record["text"], record["file"]))


def copy_pairs(articles: Sequence[Article], sets: Sequence[frozenset[str]]) -> list[tuple[int, int]]:
    """Pairs of articles with one title (copies of one story) similar enough to be one story."""
    by_title: dict[str, list[int]] = {}
    for i, article in enumerate(articles):
        by_title.setdefault(article.title, []).append(i)
    return [
        (a, b)
        for members in by_title.values()
        for a, b in combinations(members, 2)
        if stories._jaccard(sets[a], sets[b]) >= stories.STORY_SIMILARITY
    ]


def test_copies_of_a_story_are_grouped_among_a_thousand_articles() -> None:
    """The LSH index used to confirm the first 16 candidates it happened to return, and at
    this size a copy's own story was seldom among them (162 of these 500 pairs grouped)."""
    articles = generated_articles(1000)
    sets = [stories.shingles(a.text) for a in articles]
    pairs = copy_pairs(articles, sets)
    assert len(pairs) >= 400
    groups = stories.near_duplicate_groups(sets, stories.STORY_SIMILARITY, stories.STORY_BANDS)
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    grouped = sum(group_of.get(a, -1) == group_of.get(b, -2) for a, b in pairs)
    assert grouped >= 0.99 * len(pairs), (grouped, len(pairs))


@pytest.mark.parametrize("count", [500, 2000])
def test_candidates_per_article_are_bounded_whatever_the_edition_size(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each article meets at most BUCKET_HEADS earlier members of each of its buckets and
    gets at most MAX_CONFIRMED exact comparisons: the old index's candidates per lookup grew
    with the edition (43 per article at 500, 189 at 2,000)."""
    articles = generated_articles(count)
    sets = [stories.shingles(a.text) for a in articles]
    bands, _ = stories.STORY_BANDS
    keys = stories.band_keys(stories.minhash_signatures(sets), stories.STORY_BANDS)
    later, earlier = stories.candidate_pairs(keys, sets)
    per_article = np.bincount(later, minlength=len(sets))
    assert per_article.max() <= bands * stories.BUCKET_HEADS
    assert (earlier < later).all()

    compared: list[int] = []
    real = stories._jaccard
    monkeypatch.setattr(stories, "_jaccard", lambda a, b: compared.append(id(a)) or real(a, b))
    stories.near_duplicate_groups(sets, stories.STORY_SIMILARITY, stories.STORY_BANDS)
    assert max(np.unique(compared, return_counts=True)[1]) <= stories.MAX_CONFIRMED
    assert len(compared) <= stories.MAX_CONFIRMED * len(sets)
