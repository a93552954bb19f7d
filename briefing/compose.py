"""Assemble the picked sentences into a Briefing: numbered sources and citations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from datetime import date, datetime

from .config import Config
from .models import Article, Briefing, KeySentence, SectionDigest, Sentence, SourceHealth, SourceRef

#: Outlets named for one sentence, those that carried it first, then others of its story: a
#: stock sentence that a thousand articles repeat would otherwise fill pages with citations
#: and the sources list with outlets nobody reads it for. The rest are counted ("and 40 more").
MAX_NAMED = 5


def compose(
    config: Config,
    edition: date,
    generated_at: datetime,
    articles: Mapping[str, Article],
    picks: Mapping[str, Sequence[Sentence]],
    *,
    carriers: Mapping[tuple[str, int], Sequence[str]] | None = None,
    stories: Mapping[str, Sequence[str]] | None = None,
    sentence_count: int = 0,
    health: Sequence[SourceHealth] = (),
    window: tuple[datetime, datetime] | None = None,
) -> Briefing:
    """Sources are numbered in order of first citation, so [1] is the first one a reader meets.

    ``carriers`` maps a sentence (article id, index) to the ids of every article that
    carried it, so a sentence printed once cites each outlet that reported it (its first
    article), and only those. ``stories`` maps an article id to the ids of every article of its story: the
    story's outlets that did not carry the sentence follow it as ``also``, one per outlet.
    At most ``MAX_NAMED`` outlets are named per sentence; the others are counted in ``more``.
    """
    numbers: dict[str, int] = {}
    sections = []
    for section in config.sections:
        key_sentences = []
        for sentence in picks.get(section.id, ()):
            ids = _per_outlet((carriers or {}).get((sentence.article_id, sentence.index)) or (sentence.article_id,), articles)
            outlets = {articles[aid].source for aid in ids}
            others = _per_outlet((stories or {}).get(sentence.article_id, ()), articles, skip=outlets)
            named, named_others = ids[:MAX_NAMED], others[:max(0, MAX_NAMED - len(ids))]
            cited = tuple(numbers.setdefault(aid, len(numbers) + 1) for aid in named)
            also = tuple(numbers.setdefault(aid, len(numbers) + 1) for aid in named_others)
            more = len(ids) + len(others) - len(named) - len(named_others)
            key_sentences.append(KeySentence(text=sentence.text, citations=cited, also=also, more=more))
        sections.append(SectionDigest(section.id, section.title, tuple(key_sentences)))
    sources = tuple(_source_ref(number, articles[aid]) for aid, number in numbers.items())
    return Briefing(
        title=config.render.title,
        edition=edition,
        generated_at=generated_at,
        sections=tuple(sections),
        sources=sources,
        article_count=len(articles),
        sentence_count=sentence_count,
        health=tuple(health),
        window=window,
    )


def _per_outlet(ids: Sequence[str], articles: Mapping[str, Article], skip: Set[str] = frozenset()) -> list[str]:
    """The first article of each outlet among ``ids``, outlets in ``skip`` left out: an outlet
    whose feed carried one sentence in ten items is one citation, not ten."""
    first: dict[str, str] = {}
    for aid in ids:
        if articles[aid].source not in skip:
            first.setdefault(articles[aid].source, aid)
    return list(first.values())


def _source_ref(number: int, article: Article) -> SourceRef:
    return SourceRef(
        number=number,
        article_id=article.id,
        title=article.title,
        source=article.source or "Unknown source",
        url=article.url,
        published=article.published,
    )
