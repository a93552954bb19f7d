"""One story, many outlets: group articles that carry the same text, print each sentence once,
and leave out what the previous edition already printed.

Near-duplicates are found with MinHash and locality-sensitive hashing (numpy), so only
articles or sentences that share hash buckets are ever compared, and each with a bounded
number of others (the first members of its buckets, best estimated similarity first): the
work grows with the number of items, not with the number of pairs. Every candidate pair
is then confirmed with its exact Jaccard similarity.

- Stories: articles whose word 3-shingles overlap by ``STORY_SIMILARITY`` (Jaccard) or
  more are one story. Independent reports of one event share quotes and wire sentences
  (0.24 for the two Valdor-summit samples) while unrelated articles share almost nothing
  (at most 0.03 among the samples), so 0.2 separates them.
- Sentences: a sentence whose stem set overlaps another's by ``summary.dedupe_threshold``
  is the same sentence; the first copy (in article order) is kept, the others never reach
  the summarizer.
- Boilerplate: a sentence that articles of ``BOILERPLATE_STORIES`` or more different stories
  carry is a house phrase or a template ("The statement gave no further details.", "Follow
  us for updates."), not news: no copy of it reaches the summarizer. One story carried by
  many outlets is not boilerplate, however many copies it has.
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
import math
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from . import nlp
from .archive import load_briefing
from .errors import InputError
from .models import Article, Briefing, Sentence

__all__ = ["Previous", "Stories", "find_stories", "near_duplicate_groups", "previous_edition", "story_of"]

STORY_SIMILARITY = 0.2
SHINGLE_WORDS = 3
#: Sentences with fewer stems than this ("He said so.") are never called repeats.
MIN_SENTENCE_STEMS = 3
#: Different stories one sentence must be carried in to be boilerplate rather than wire copy.
BOILERPLATE_STORIES = 5
#: LSH bands x rows for 128 permutations, chosen for recall at each threshold:
#: a pair at 0.2 (stories) or 0.6 (sentences) becomes a candidate with probability >= 0.93.
STORY_BANDS = (64, 2)
SENTENCE_BANDS = (32, 4)
NUM_PERM = 128
#: Bytes of a sentence fingerprint: 48 bits, so a false match among the previous edition's
#: few thousand sentences has odds of about 1 in 10^10, at 8 characters each in the archive.
FINGERPRINT_BYTES = 6
#: Members of a bucket that later sets are compared with. Sets that share a stock phrase
#: ("said in a statement") share buckets by the hundred as the edition grows; the first
#: few members are all a later copy needs, since a copy shares many buckets with its story.
BUCKET_HEADS = 4
#: Candidates of a set that get an exact Jaccard, those whose signatures agree most first.
MAX_CONFIRMED = 8
#: Tokens hashed, and candidate pairs estimated, per numpy block (bounds transient memory).
HASH_BLOCK = 1 << 12
PAIR_BLOCK = 1 << 12
SIGNATURE_SEED = 20261125
KEY_MULTIPLIER = 0x9E3779B97F4A7C15
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
        elif _stories_carrying(current, sentences, carriers) >= BOILERPLATE_STORIES:
            repeats.update(_key(sentences[i]) for i in current)
        elif current:
            repeats.update(_key(sentences[i]) for i in current[1:])
            sentence_carriers[_key(sentences[current[0]])] = tuple(dict.fromkeys(sentences[i].article_id for i in current))
    # only a sentence long enough to mean something makes a story returning; once it returns, its
    # short old sentences ("He said so.") are old too, and what is left is new
    returning = {aid for i in old if usable[i] for aid in carriers.get(sentences[i].article_id, (sentences[i].article_id,))}
    repeats.update(_key(sentences[i]) for i in old if sentences[i].article_id in returning)
    new = {_key(s) for s in sentences if s.article_id in returning and _key(s) not in repeats}
    return Stories(carriers, sentence_carriers, frozenset(repeats), frozenset(new), frozenset(filter(None, prints)))


def story_of(carriers: Mapping[str, tuple[str, ...]], article_id: str) -> str:
    """The story an article belongs to, known by its first article (an article of no
    story of several is a story of its own)."""
    return carriers.get(article_id, (article_id,))[0]


def _stories_carrying(group: Sequence[int], sentences: Sequence[Sentence],
                      carriers: Mapping[str, tuple[str, ...]]) -> int:
    """How many different stories the sentences of ``group`` come from."""
    return len({story_of(carriers, sentences[i].article_id) for i in group})


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

    Work per set is bounded whatever the edition's size: a set is compared with at most
    ``BUCKET_HEADS`` earlier members of each of its buckets, those candidates are ranked
    by the similarity their signatures estimate, and only the ``MAX_CONFIRMED`` best that
    could reach the threshold get an exact Jaccard."""
    signatures = minhash_signatures(sets)
    later, earlier = best_candidates(signatures, candidate_pairs(band_keys(signatures, bands), sets), threshold)
    parent = list(range(len(sets)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(later.tolist(), earlier.tolist()):
        if root(i) != root(j) and _jaccard(sets[i], sets[j]) >= threshold:
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(sets)):
        groups.setdefault(root(i), []).append(i)
    return [group for group in groups.values() if len(group) > 1]


def minhash_signatures(sets: Sequence[frozenset[str]]) -> np.ndarray:
    """Each set's MinHash signature, one row of ``NUM_PERM`` 32-bit minima: the share of
    equal positions in two rows estimates the two sets' Jaccard similarity. The
    permutations are multiply-shift hashes of each token's CRC-32, computed for a block
    of tokens at a time so memory stays bounded even for a set of 300,000 shingles."""
    tokens = list(chain.from_iterable(sets))
    codes = {t: zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in set(tokens)}
    hashes = np.fromiter(map(codes.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    owners = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    multipliers, offsets = _permutations()
    signatures = np.full((len(sets), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(hashes), HASH_BLOCK):
        block, owner = hashes[start : start + HASH_BLOCK], owners[start : start + HASH_BLOCK]
        permuted = (multipliers[:, np.newaxis] * block[np.newaxis, :] + offsets[:, np.newaxis]) >> np.uint64(32)
        firsts = np.flatnonzero(run_starts(owner))
        minima = np.minimum.reduceat(permuted, firsts, axis=1).T.astype(np.uint32)
        signatures[owner[firsts]] = np.minimum(signatures[owner[firsts]], minima)
    return signatures


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """Odd 64-bit multipliers and offsets, the same in every run so groups are reproducible."""
    rng = np.random.default_rng(SIGNATURE_SEED)
    multipliers = rng.integers(0, 2**64, NUM_PERM, dtype=np.uint64, endpoint=False) | np.uint64(1)
    return multipliers, rng.integers(0, 2**64, NUM_PERM, dtype=np.uint64, endpoint=False)


def band_keys(signatures: np.ndarray, bands: tuple[int, int]) -> np.ndarray:
    """One bucket key per set and band: the band's rows folded into 64 bits (sets sharing
    a key agree on every row of that band, bar a hash collision the exact check catches)."""
    count, rows = bands
    values = signatures[:, : count * rows].astype(np.uint64).reshape(len(signatures), count, rows)
    keys = values[:, :, 0]
    for row in range(1, rows):
        keys = keys * np.uint64(KEY_MULTIPLIER) + values[:, :, row]
    return keys


def candidate_pairs(keys: np.ndarray, sets: Sequence[frozenset[str]]) -> tuple[np.ndarray, np.ndarray]:
    """(later, earlier) index pairs of non-empty sets that share a bucket, ``earlier``
    being one of the bucket's first ``BUCKET_HEADS`` members: at most bands × heads
    candidates per set, each pair once."""
    usable = np.flatnonzero([bool(s) for s in sets])
    later: list[np.ndarray] = []
    earlier: list[np.ndarray] = []
    for band in keys[usable].T:
        order = np.argsort(band, kind="stable")  # a bucket's members stay in index order
        first, rank = run_positions(band[order])
        for head in range(BUCKET_HEADS):
            behind = rank > head
            later.append(usable[order[behind]])
            earlier.append(usable[order[first[behind] + head]])
    none = np.empty(0, dtype=np.int64)
    pairs = np.sort(np.concatenate([*later, none]) * len(sets) + np.concatenate([*earlier, none]))
    pairs = pairs[run_starts(pairs)]  # each pair once (np.unique hashes, many times slower)
    return pairs // max(len(sets), 1), pairs % max(len(sets), 1)


def best_candidates(
    signatures: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Of each set's candidates, the ``MAX_CONFIRMED`` whose signatures agree most, best
    first, leaving out those too far below ``threshold`` to reach it (three standard
    deviations of the estimate)."""
    later, earlier = pairs
    agreeing = np.concatenate([
        (signatures[later[s : s + PAIR_BLOCK]] == signatures[earlier[s : s + PAIR_BLOCK]]).sum(axis=1)
        for s in range(0, len(later), PAIR_BLOCK)
    ] + [np.empty(0, dtype=np.int64)])
    slack = 3 * math.sqrt(threshold * (1 - threshold) / NUM_PERM)
    hopeful = agreeing >= (threshold - slack) * NUM_PERM
    later, earlier, agreeing = later[hopeful], earlier[hopeful], agreeing[hopeful]
    order = np.lexsort((earlier, -agreeing, later))
    later, earlier = later[order], earlier[order]
    kept = run_positions(later)[1] < MAX_CONFIRMED
    return later[kept], earlier[kept]


def run_starts(values: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins."""
    return np.r_[True, values[1:] != values[:-1]][: len(values)]


def run_positions(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element of a sorted array: where its run of equal values begins, and its rank in that run."""
    positions = np.arange(len(values))
    first = np.maximum.accumulate(np.where(run_starts(values), positions, 0)) if len(values) else positions
    return first, positions - first


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
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)
