"""Offline language processing: sentences, words, stems and stop words.

NLTK's punkt model cannot be installed here and nothing may be downloaded at run
time, so sentences come from pysbd (rules shipped in the package: 98% on the Golden
Rules set, against 40% for untrained punkt), while NLTK supplies the word tokenizer
and the Snowball stemmer, neither of which needs data files.
"""

from __future__ import annotations

import hashlib
import re
import sys
from functools import lru_cache
from importlib import resources
from typing import Any

import pysbd



@lru_cache(maxsize=1)
def load_nltk() -> Any:
    """NLTK, loaded on first use: commands that never tokenize (``--help``, ``subscribers``)
    skip its 0.3 s import.

    nltk's package __init__ imports scipy.stats (0.7 s, more than the rest of a command's
    start-up) only for collocation statistics we never use, and carries on without it when
    that import fails; a None entry in sys.modules makes it fail at once while nltk loads."""
    block = "scipy.stats" not in sys.modules and "nltk" not in sys.modules
    if block:
        sys.modules["scipy.stats"] = None  # type: ignore[assignment]
    try:
        import nltk.stem.snowball
        import nltk.tokenize
    finally:
        if block and sys.modules.get("scipy.stats", False) is None:
            del sys.modules["scipy.stats"]
    return nltk


LANGUAGE = "english"
_WORD_RE = re.compile(r"\w", re.UNICODE)
_SPACES = re.compile(r"\s+")
_TRAILING_SPACES = re.compile(r"\s*")
MAX_PIECE_CHARS = 5000
#: Where a long paragraph may be cut: after . ! ? or … (and closing quotes or brackets),
#: before what looks like the capital or digit starting the next sentence.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
#: Paragraphs and sentences whose analysis is remembered (oldest forgotten first): the
#: sentence filter, classifier, rankers and de-duplication all tokenize the same
#: sentences, outlets carrying the same wire copy repeat whole paragraphs, and worker
#: processes (``segment_cache``) hand back paragraphs split and sentences tokenized.
PARAGRAPH_CACHE_SIZE = 1 << 17
TOKEN_CACHE_SIZE = 1 << 17
_paragraph_sentences: dict[bytes, tuple[str, ...]] = {}
_sentence_words: dict[str, tuple[str, ...]] = {}


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


@lru_cache(maxsize=1)
def _word_tokenizer() -> Any:
    return load_nltk().tokenize.NLTKWordTokenizer()


@lru_cache(maxsize=1)
def stemmer() -> Any:
    return load_nltk().stem.snowball.SnowballStemmer(LANGUAGE)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    # sumy's own list, read from its data file: sumy.utils would import requests just for this
    text = resources.files("sumy").joinpath("data", "stopwords", f"{LANGUAGE}.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; pysbd is called per paragraph because it is
    both more accurate and faster on short inputs than on a whole article.
    Remembered by content hash, so a paragraph split ahead in worker processes
    (``segment_cache``) or carried by several outlets is split once."""
    text = normalized_paragraph(paragraph)
    if not text:
        return []
    key = paragraph_key(text)
    found = _paragraph_sentences.get(key)
    if found is None:
        found = remember_sentences(key, segment(text))
    return list(found)


def normalized_paragraph(paragraph: str) -> str:
    return _SPACES.sub(" ", paragraph).strip()


def paragraph_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def is_paragraph_cached(key: bytes) -> bool:
    return key in _paragraph_sentences


def remember_sentences(key: bytes, sentences: tuple[str, ...]) -> tuple[str, ...]:
    return _remember(_paragraph_sentences, key, sentences, PARAGRAPH_CACHE_SIZE)


def _remember(cache: dict[Any, tuple[str, ...]], key: Any, value: tuple[str, ...], size: int) -> tuple[str, ...]:
    """Stores ``value``, forgetting the oldest entry when the cache is full."""
    if len(cache) >= size:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


def segment(text: str) -> tuple[str, ...]:
    """pysbd's sentences of a normalized paragraph, stripped, exactly as
    ``Segmenter.segment`` finds them, but located with ``str.find``: pysbd compiles
    a regular expression per sentence to locate it, which was half its time and kept
    evicting its own rules from ``re``'s cache."""
    return tuple(sentence for piece in pieces(text) for sentence in _segment_piece(piece))


def _segment_piece(text: str) -> tuple[str, ...]:
    located = located_sentences(_segmenter().processor(text).process(), text)
    return tuple(s.strip() for s in located if s.strip())


def pieces(text: str) -> list[str]:
    """The paragraph cut into pieces of at most ``MAX_PIECE_CHARS``: pysbd's time grows
    with the square of its input (17 s for 160,000 characters, hours for the 2 MB an
    input may hold). Each cut falls at the last sentence end before the limit, else at
    the last space; a real paragraph is shorter and stays whole."""
    found: list[str] = []
    start = 0
    while len(text) - start > MAX_PIECE_CHARS:
        window = text[start : start + MAX_PIECE_CHARS]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends else (window.rfind(" ") + 1 or MAX_PIECE_CHARS)
        found.append(text[start : start + cut])
        start += cut
    found.append(text[start:])
    return found


def located_sentences(sentences: list[str], text: str) -> list[str]:
    """pysbd's ``sentences_with_char_spans``: each sentence with its trailing white
    space, at its first occurrence ending past the previous one; a sentence not found
    verbatim is dropped, as pysbd drops it."""
    located: list[str] = []
    previous_end = 0
    for sentence in sentences:
        span = occurrence_ending_after(sentence, text, previous_end)
        if span is not None:
            located.append(text[span[0] : span[1]])
            previous_end = span[1]
    return located


def occurrence_ending_after(sentence: str, text: str, previous_end: int) -> tuple[int, int] | None:
    """Span of the first match of pysbd's pattern (the escaped sentence, then any white
    space) that ends past ``previous_end``, searching on from each match's end as
    ``re.finditer`` does."""
    if not sentence:  # an empty match advances one character: leave that to re itself
        return next((m.span() for m in _TRAILING_SPACES.finditer(text) if m.end() > previous_end), None)
    start = text.find(sentence)
    while start >= 0:
        end = start + len(sentence)
        while end < len(text) and text[end].isspace():
            end += 1
        if end > previous_end:
            return start, end
        start = text.find(sentence, end)
    return None


def words(sentence: str) -> list[str]:
    """Word tokens without punctuation-only tokens, in their original case."""
    found = _sentence_words.get(sentence)
    if found is None:
        found = remember_words(sentence, tokenized(sentence))
    return list(found)


def tokenized(sentence: str) -> tuple[str, ...]:
    return tuple(w for w in _word_tokenizer().tokenize(sentence) if _WORD_RE.search(w))


def remember_words(sentence: str, tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Interned, so the cache holds each distinct token once."""
    return _remember(_sentence_words, sentence, tuple(map(sys.intern, tokens)), TOKEN_CACHE_SIZE)


def stems(sentence: str, drop_stop_words: bool = True) -> list[str]:
    """Lower-cased Snowball stems: the unit our rankers, classifier and de-duplication compare."""
    return list(_stems(sentence, drop_stop_words))


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _stems(sentence: str, drop_stop_words: bool) -> tuple[str, ...]:
    stop = stop_words() if drop_stop_words else frozenset()
    return tuple(stem_word(w.lower()) for w in words(sentence) if w.lower() not in stop)


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def stem_word(word: str) -> str:
    """Snowball stem of a lower-cased word, remembered: news vocabulary repeats a lot."""
    return stemmer().stem(word)


def clear_caches() -> None:
    """Forget remembered paragraphs, tokens and stems (benchmarks time cold runs)."""
    _paragraph_sentences.clear()
    _sentence_words.clear()
    _stems.cache_clear()
    stem_word.cache_clear()


class SumyTokenizer:
    """The tokenizer object sumy accepts in place of its own punkt-backed ``Tokenizer``."""

    language = LANGUAGE

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
