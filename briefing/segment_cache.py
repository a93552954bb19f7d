"""Split an edition's paragraphs ahead of time on every core, into nlp's caches.

pysbd splits about 2,500 sentences a second on one core and NLTK tokenizes about
5,000, the slowest steps before rendering, and paragraphs are independent, so a batch
big enough to pay for a process pool is split and tokenized by one;
``nlp.split_sentences`` and ``nlp.words`` then find each paragraph and sentence in their
caches, and the results are exactly what a serial run makes.

Workers are forked, not spawned: a fresh interpreter spends about a second importing
pysbd and nltk, a fork about 20 ms. Forking is used only while this process runs a
single thread, since a fork taken while another thread holds a lock can hang the child.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import nlp

__all__ = ["presplit"]

#: Below this many new paragraphs (about 0.5 s of pysbd) a pool costs more than it saves.
PARALLEL_MIN_PARAGRAPHS = 400
#: Work items per worker: small enough to keep both busy to the end, large enough that
#: pickling overhead stays negligible.
CHUNKS_PER_WORKER = 8


def presplit(paragraphs: Iterable[str], workers: int | None = None) -> int:
    """Split every paragraph that is not cached yet, in parallel when that pays, and
    return how many were split. ``workers`` defaults to the cores this process may use."""
    pending = uncached_paragraphs(paragraphs)
    workers = usable_cores() if workers is None else workers
    if len(pending) >= PARALLEL_MIN_PARAGRAPHS and workers > 1 and can_fork():
        return split_in_workers(pending, workers)
    for key, text in pending.items():
        nlp.remember_sentences(key, nlp.segment(text))
    return len(pending)


def uncached_paragraphs(paragraphs: Iterable[str]) -> dict[bytes, str]:
    """Normalized text of each distinct paragraph not in the cache, by its cache key; no
    more than the cache holds, so none is evicted before the sentence stage reads it."""
    pending: dict[bytes, str] = {}
    for paragraph in paragraphs:
        text = nlp.normalized_paragraph(paragraph)
        if not text:
            continue
        key = nlp.paragraph_key(text)
        if key not in pending and not nlp.is_paragraph_cached(key):
            pending[key] = text
            if len(pending) == nlp.PARAGRAPH_CACHE_SIZE:
                break
    return pending


def split_in_workers(pending: dict[bytes, str], workers: int) -> int:
    """Paragraphs split by forked workers; if the pool breaks (a worker killed for memory,
    say), the ones not returned are simply split later, in this process, when read."""
    texts = list(pending.values())
    chunk = max(1, len(texts) // (workers * CHUNKS_PER_WORKER))
    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for key, (sentences, tokens) in zip(pending, pool.map(analysed, texts, chunksize=chunk)):
                nlp.remember_sentences(key, sentences)
                for sentence, words in zip(sentences, tokens):
                    nlp.remember_words(sentence, words)
                done += 1
    except BrokenProcessPool:
        pass
    return done


def analysed(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """A worker's answer for one paragraph: its sentences and the words of each (the
    sentence filter tokenizes every sentence next, which costs half as much again)."""
    sentences = nlp.segment(text)
    return sentences, tuple(nlp.tokenized(s) for s in sentences)


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
