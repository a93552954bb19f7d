"""Articles to numbered sentences, the unit that is classified and summarized."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from . import nlp
from .models import Article, Sentence

#: Fewer word tokens than this is a fragment (a dateline, "Read more"), not a sentence.
MIN_WORDS = 4
_LETTER = re.compile(r"[^\W\d_]")
#: "ARLEN (Reuters) - ", "SKARN, Kestrel Republic — ": where a story was filed, not what happened.
_DATELINE = re.compile(
    r"^[A-Z][A-Z'’.\-]{2,}(?: [A-Z][A-Z'’.\-]+){0,3}"  # the city, in capitals
    r"(?:, [A-Z][\w'’.\-]+(?: [A-Z][\w'’.\-]+){0,3})?"  # ", Country"
    r"(?: \([^)]{1,40}\))?"  # " (Agency)"
    r" ?[—–-]{1,2} "
)
#: Closing punctuation, perhaps inside a closing quotation mark or bracket.
_TERMINAL = re.compile(r"[.!?…][\"”’')\]]*$")


def split_article(article: Article) -> list[Sentence]:
    """Every real sentence of the article, numbered in reading order."""
    sentences: list[Sentence] = []
    first_body = first_body_paragraph(article.paragraphs)
    for p, paragraph in enumerate(article.paragraphs):
        if p == first_body:
            paragraph = strip_dateline(paragraph)
        for text in nlp.split_sentences(paragraph):
            if is_sentence(text):
                sentences.append(Sentence(article.id, len(sentences), p, text))
    return sentences


def split_articles(articles: Iterable[Article]) -> dict[str, list[Sentence]]:
    return {article.id: split_article(article) for article in articles}


def is_sentence(text: str) -> bool:
    return bool(_LETTER.search(text)) and len(nlp.words(text)) >= MIN_WORDS


def first_body_paragraph(paragraphs: Sequence[str]) -> int:
    """Where the text starts, and so where a dateline stands: the first paragraph that ends
    like a sentence, after any kicker or standfirst line ("Velmora–Ostravia conflict")."""
    return next((p for p, text in enumerate(paragraphs) if ends_like_sentence(text)), 0)


def ends_like_sentence(text: str) -> bool:
    """Closing punctuation at the end: what headings, kickers and list items lack."""
    return bool(_TERMINAL.search(text.strip()))


def strip_dateline(paragraph: str) -> str:
    """The opening dateline goes, so a quoted lead sentence reads as a sentence."""
    return _DATELINE.sub("", paragraph, count=1)
