"""Offline language processing: sentences, words, stems and stop words.

NLTK's punkt model cannot be installed here and nothing may be downloaded at run
time, so sentences come from pysbd (rules shipped in the package: 98% on the Golden
Rules set, against 40% for untrained punkt), while NLTK supplies the word tokenizer
and the Snowball stemmer, neither of which needs data files.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import NLTKWordTokenizer
from sumy.utils import get_stop_words

LANGUAGE = "english"
_WORD_RE = re.compile(r"\w", re.UNICODE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


@lru_cache(maxsize=1)
def _word_tokenizer() -> NLTKWordTokenizer:
    return NLTKWordTokenizer()


@lru_cache(maxsize=1)
def stemmer() -> SnowballStemmer:
    return SnowballStemmer(LANGUAGE)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(get_stop_words(LANGUAGE))


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; pysbd is called per paragraph because it is
    both more accurate and faster on short inputs than on a whole article."""
    text = _SPACES.sub(" ", paragraph).strip()
    if not text:
        return []
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def words(sentence: str) -> list[str]:
    """Word tokens without punctuation-only tokens, in their original case."""
    return [w for w in _word_tokenizer().tokenize(sentence) if _WORD_RE.search(w)]


def stems(sentence: str, drop_stop_words: bool = True) -> list[str]:
    """Lower-cased Snowball stems: the unit our rankers, classifier and de-duplication compare."""
    stop = stop_words() if drop_stop_words else frozenset()
    stem = stemmer().stem
    return [stem(w.lower()) for w in words(sentence) if w.lower() not in stop]


class SumyTokenizer:
    """The tokenizer object sumy accepts in place of its own punkt-backed ``Tokenizer``."""

    language = LANGUAGE

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
