"""Articles to numbered sentences, the unit that is classified and summarized."""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import nlp
from .models import Article, Sentence

#: Fewer word tokens than this is a fragment (a dateline, "Read more"), not a sentence.
MIN_WORDS = 4
_LETTER = re.compile(r"[^\W\d_]")


def split_article(article: Article) -> list[Sentence]:
    """Every real sentence of the article, numbered in reading order."""
    sentences: list[Sentence] = []
    for p, paragraph in enumerate(article.paragraphs):
        for text in nlp.split_sentences(paragraph):
            if is_sentence(text):
                sentences.append(Sentence(article.id, len(sentences), p, text))
    return sentences


def split_articles(articles: Iterable[Article]) -> dict[str, list[Sentence]]:
    return {article.id: split_article(article) for article in articles}


def is_sentence(text: str) -> bool:
    return bool(_LETTER.search(text)) and len(nlp.words(text)) >= MIN_WORDS
