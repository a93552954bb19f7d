"""One story, many outlets: group articles that carry the same text, print each sentence once,
and leave out what the previous edition already printed.

Near-duplicates are found with MinHash and locality-sensitive hashing (datasketch), so
only articles or sentences that share hash buckets are ever compared: the work grows
with the number of items, not with the number of pairs. Every candidate pair is then
confirmed with its exact Jaccard similarity.

- Stories: articles whose word 3-shingles overlap by ``STORY_SIMILARITY`` (Jaccard) or
  more are one story. Independent reports of one event share quotes and wire sentences
  (0.24 for the two Valdor-summit samples) while unrelated articles share almost nothing
  (at most 0.03 among the samples), so 0.2 separates them.
- Sentences: a sentence whose stem set overlaps another's by ``summary.dedupe_threshold``
  is the same sentence; the first copy (in article order) is kept, the others never reach
  the summarizer.
- New since the previous edition: the previous edition's archive keeps its printed key
  sentences and a fingerprint of every sentence of every article it read (a 6-byte hash of
  the set of stems of its words, so a reprinted paragraph matches whatever its punctuation
  and case). A sentence like a printed one, or with the stem set of any sentence read then, is
  old and dropped; a story with an old sentence is returning, and its other sentences are
  new developments (``KeySentence.new``). A returning story with nothing new is left out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from datetime import date
from pathlib import Path


from . import nlp
from .archive import load_briefing
from .errors import InputError
from .models import Article, Briefing, Sentence

__all__ = ["Previous", "Stories", "find_stories", "near_duplicate_groups", "previous_edition"]

STORY_SIMILARITY = 0.2
SHINGLE_WORDS = 3
#: Sentences with fewer stems than this ("He said so.") are never called repeats.
MIN_SENTENCE_STEMS = 3
#: LSH bands x rows for 128 permutations, chosen for recall at each threshold:
#: a pair at 0.2 (stories) or 0.6 (sentences) becomes a candidate with probability >= 0.93.
STORY_BANDS = (64, 2)
SENTENCE_BANDS = (32, 4)
NUM_PERM = 128
#: Candidates confirmed per set; LSH rarely returns more unless the input is thousands of near-repeats.
MAX_CANDIDATES = 16
#: Bytes of a sentence fingerprint: 48 bits, so a false match among the previous edition's
#: few thousand sentences has odds of about 1 in 10^10, at 8 characters each in the archive.
FINGERPRINT_BYTES = 6
_WORD = re.compile(r"\w+")

SentenceKey = tuple[str, int]  # (article id, sentence index)


@dataclass(frozen=True)
class Previous:
    """What the previous edition showed: the sentences it printed, and the fingerprints of
    every sentence of the articles it read (printed or not)."""

    printed: tuple[str, ...] = ()
    fingerprints: frozenset[bytes] = frozenset()


@dataclass(frozen=True)
class Stories:
    """What story grouping decided, for the pipeline to apply."""

    #: article id → ids of every article of its story (stories of two or more articles)
    carriers: Mapping[str, tuple[str, ...]]
    #: kept sentence → ids of every article that carried it (sentences carried more than once)
    sentence_carriers: Mapping[SentenceKey, tuple[str, ...]]
    #: sentences not to print: later copies of a kept sentence, or printed last edition
    repeats: frozenset[SentenceKey]
    #: sentences of a story the previous edition showed, which were not in it
    new: frozenset[SentenceKey]
    #: fingerprints of every sentence of this edition, for the next edition to compare with
    fingerprints: frozenset[bytes] = frozenset()

    def without_repeats(self, pools: Mapping[str, Sequence[Sentence]]) -> dict[str, list[Sentence]]:
        return {
            section: [s for s in pool if (s.article_id, s.index) not in self.repeats]
            for section, pool in pools.items()
        }

    def mark_new(self, briefing: Briefing, picks: Mapping[str, Sequence[Sentence]]) -> Briefing:
        """The briefing with its new developments flagged (compose does not know about them)."""
        new_texts = {s.text for chosen in picks.values() for s in chosen if (s.article_id, s.index) in self.new}
        if not new_texts:
            return briefing
        sections = tuple(
            replace(section, sentences=tuple(replace(k, new=k.text in new_texts) for k in section.sentences))
            for section in briefing.sections
        )
        return replace(briefing, sections=sections)

    def remembered(self, briefing: Briefing) -> Briefing:
        """The briefing carrying this edition's sentence fingerprints into its archive."""
        packed = base64.b64encode(b"".join(sorted(self.fingerprints))).decode("ascii")
        return replace(briefing, sentence_fingerprints=packed)


def find_stories(
    articles: Sequence[Article],
    by_article: Mapping[str, Sequence[Sentence]],
    previous: Previous = Previous(),
    sentence_similarity: float = 0.6,
) -> Stories:
    """Stories, sentence repeats and new developments of this edition's articles."""
    groups = near_duplicate_groups([shingles(a.text) for a in articles], STORY_SIMILARITY, STORY_BANDS)
    carriers = {articles[i].id: tuple(articles[j].id for j in group) for group in groups for i in group}
    sentences = [s for a in articles for s in by_article.get(a.id, ())]
    stems = [frozenset(nlp.stems(text)) for text in [*(s.text for s in sentences), *previous.printed]]
    usable = [st if len(st) >= MIN_SENTENCE_STEMS else frozenset() for st in stems]
    prints = [fingerprint(s.text) for s in sentences]
    old = {i for i, mark in enumerate(prints) if mark in previous.fingerprints}  # read verbatim last time
    repeats: set[SentenceKey] = set()
    sentence_carriers: dict[SentenceKey, tuple[str, ...]] = {}
    for group in near_duplicate_groups(usable, sentence_similarity, SENTENCE_BANDS):
        current = [i for i in group if i < len(sentences)]
        if len(current) < len(group) or old.intersection(current):  # like a sentence the previous edition had
            old.update(current)
        elif current:
            repeats.update(_key(sentences[i]) for i in current[1:])
            sentence_carriers[_key(sentences[current[0]])] = tuple(dict.fromkeys(sentences[i].article_id for i in current))
    # only a sentence long enough to mean something makes a story returning; once it returns, its
    # short old sentences ("He said so.") are old too, and what is left is new
    returning = {aid for i in old if usable[i] for aid in carriers.get(sentences[i].article_id, (sentences[i].article_id,))}
    repeats.update(_key(sentences[i]) for i in old if sentences[i].article_id in returning)
    new = {_key(s) for s in sentences if s.article_id in returning and _key(s) not in repeats}
    return Stories(carriers, sentence_carriers, frozenset(repeats), frozenset(new), frozenset(filter(None, prints)))


def fingerprint(text: str) -> bytes:
    """A sentence's identity across editions: the set of stems of all its words (stop words
    too, so "He said so." has one), hashed short; b"" for a sentence without words."""
    stems = sorted(set(nlp.stems(text, drop_stop_words=False)))
    return hashlib.blake2b(" ".join(stems).encode("utf-8"), digest_size=FINGERPRINT_BYTES).digest() if stems else b""


def near_duplicate_groups(
    sets: Sequence[frozenset[str]], threshold: float, bands: tuple[int, int]
) -> list[list[int]]:
    """Indices of sets whose Jaccard similarity chains at ``threshold`` or more, in index
    order; groups of one are left out and empty sets are never grouped.

    Work per set is bounded, so a text of thousands of near-repeats stays linear: a set that
    joins a group is not indexed itself (later sets are compared with the group's first
    member), and at most ``MAX_CANDIDATES`` candidates are confirmed per set."""
    from datasketch import MinHash, MinHashLSH  # loads scipy.integrate: only for commands that build

    index = MinHashLSH(num_perm=NUM_PERM, params=bands)
    signatures = MinHash.bulk([[t.encode("utf-8") for t in s] for s in sets], num_perm=NUM_PERM)
    parent = list(range(len(sets)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (tokens, signature) in enumerate(zip(sets, signatures)):
        if not tokens:
            continue
        joined = False
        for j in islice(index.query(signature), MAX_CANDIDATES):
            if root(j) != root(i) and _jaccard(tokens, sets[j]) >= threshold:
                parent[root(i)] = root(j)
                joined = True
        if not joined:  # only a group's first member is indexed, so repeats never pile up as candidates
            index.insert(i, signature)
    groups: dict[int, list[int]] = {}
    for i in range(len(sets)):
        groups.setdefault(root(i), []).append(i)
    return [group for group in groups.values() if len(group) > 1]


def shingles(text: str) -> frozenset[str]:
    """Overlapping word triples, lower-cased: the unit of 'the same text'."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return frozenset(words)
    return frozenset(" ".join(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))


def previous_edition(out_dir: Path, edition: date, warn: Callable[[str], None]) -> Previous:
    """What the latest archived edition before ``edition`` in ``out_dir`` showed. An archive
    from before fingerprints were kept gives only its printed sentences."""
    earlier = [(day, path) for path in out_dir.glob("briefing-*.json") if (day := _edition_of(path)) and day < edition]
    if not earlier:
        return Previous()
    path = max(earlier)[1]
    try:
        briefing = load_briefing(path)
    except InputError as exc:
        warn(f"{exc}; nothing is marked new")
        return Previous()
    printed = tuple(k.text for section in briefing.sections for k in section.sentences)
    try:
        return Previous(printed, _unpacked(briefing.sentence_fingerprints))
    except ValueError:  # base64's binascii.Error included
        warn(f"{path}: damaged sentence_fingerprints; only the sentences it printed count as old")
        return Previous(printed)


def _unpacked(packed: str) -> frozenset[bytes]:
    raw = base64.b64decode(packed, validate=True)
    if len(raw) % FINGERPRINT_BYTES:
        raise ValueError("a partial fingerprint")
    return frozenset(raw[i:i + FINGERPRINT_BYTES] for i in range(0, len(raw), FINGERPRINT_BYTES))


def _edition_of(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem.removeprefix("briefing-"))
    except ValueError:
        return None


def _key(sentence: Sentence) -> SentenceKey:
    return (sentence.article_id, sentence.index)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
