"""Split an edition's paragraphs ahead of time on every core, into nlp's caches.

pysbd splits about 2,500 sentences a second on one core and NLTK tokenizes about
5,000, the slowest steps before rendering, and paragraphs are independent, so a batch
big enough to pay for a process pool is split and tokenized by one;
``nlp.split_sentences`` and ``nlp.words`` then find each paragraph and sentence in their
caches, and the results are exactly what a serial run makes.

Workers are forked, not spawned: a fresh interpreter spends about a second importing
pysbd and nltk, a fork about 20 ms. Forking is used only while this process runs a
single thread, since a fork taken while another thread holds a lock (a progress
spinner's, say) can hang the child; ``workers_for`` forks every worker at once, so a
caller can fork first and start its own threads after.

Workers never outlive the caller: on Linux each asks the kernel to kill it when its
parent dies (``PR_SET_PDEATHSIG``), and everywhere a watchdog thread in each ends it
once its parent is gone; otherwise a worker of a killed run blocks for ever writing to
a result pipe its sibling holds open. Leaving ``workers_for`` by an exception
(Ctrl-C, an error) kills the workers at once, and a SIGTERM during the split does so
too before the process ends by it as it would have.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from . import nlp

__all__ = ["presplit", "workers_for"]

#: Below this many new paragraphs (about 0.5 s of pysbd) a pool costs more than it saves.
PARALLEL_MIN_PARAGRAPHS = 400
#: Work items per worker: small enough to keep both busy to the end, large enough that
#: pickling overhead stays negligible.
CHUNKS_PER_WORKER = 8
#: How often a worker's watchdog checks that its parent is still there, in seconds.
WATCHDOG_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def presplit(paragraphs: Iterable[str], workers: int | None = None) -> int:
    """Split every paragraph that is not cached yet, in parallel when that pays, and
    return how many were split. ``workers`` defaults to the cores this process may use."""
    with workers_for(paragraphs, workers) as split:
        return split()


@contextmanager
def workers_for(paragraphs: Iterable[str], workers: int | None = None) -> Iterator[Callable[[], int]]:
    """The split of ``paragraphs`` (returning how many it split), ready to run: when the
    uncached ones are many enough, the worker processes are forked on entry, so the
    caller can start threads of its own before running it. No worker outlives the block."""
    pending = uncached_paragraphs(paragraphs)
    workers = usable_cores() if workers is None else workers
    if len(pending) < PARALLEL_MIN_PARAGRAPHS or workers < 2 or not can_fork():
        yield lambda: split_here(pending)
        return
    with forked_pool(workers) as pool:
        yield lambda: split_in_workers(pending, pool, workers)


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


def split_here(pending: dict[bytes, str]) -> int:
    for key, text in pending.items():
        nlp.remember_sentences(key, nlp.segment(text))
    return len(pending)


def split_in_workers(pending: dict[bytes, str], pool: ProcessPoolExecutor, workers: int) -> int:
    """Paragraphs split by the forked workers, which are then let go; if the pool breaks
    (a worker killed for memory, say), the ones not returned are simply split later, in
    this process, when read."""
    texts = list(pending.values())
    chunk = max(1, len(texts) // (workers * CHUNKS_PER_WORKER))
    done = 0
    try:
        for key, (sentences, tokens) in zip(pending, pool.map(analysed, texts, chunksize=chunk)):
            nlp.remember_sentences(key, sentences)
            for sentence, words in zip(sentences, tokens):
                nlp.remember_words(sentence, words)
            done += 1
    except BrokenProcessPool:
        pass
    pool.shutdown()
    return done


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool whose workers are all forked on entry (a fork-context pool starts every
    worker at its first task, from the calling thread) and all gone on exit."""
    before = set(multiprocessing.active_children())
    terminate = TerminationHandler()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=watch_parent, initargs=(os.getpid(),))
    ours: list[multiprocessing.process.BaseProcess] = []
    try:
        with terminate:
            pool.submit(int).result()
            ours = [p for p in multiprocessing.active_children() if p not in before]
            yield pool
            pool.shutdown()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for process in ours:
            process.kill()
            process.join(WATCHDOG_SECONDS)
        terminate.deliver()
        raise


class Terminated(BaseException):
    """SIGTERM arrived while workers were running (handled, then delivered again)."""


class TerminationHandler:
    """While entered, a SIGTERM raises ``Terminated`` so the workers can be ended first;
    ``deliver`` then restores the default action and sends the signal again, so the
    process ends by it as it would have. Only the default action is replaced: a program
    that handles SIGTERM itself keeps its handler, and its exception ends the workers."""

    def __init__(self) -> None:
        self.installed = False
        self.received = False

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self.raise_terminated)
            self.installed = True

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def raise_terminated(self, signum: int, frame: object) -> None:
        self.received = True
        raise Terminated()

    def deliver(self) -> None:
        if self.received:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)


def watch_parent(parent: int) -> None:
    """A worker's start: the default action for SIGTERM (not the parent's handler it
    inherited), no Ctrl-C (the parent decides and ends it), and death with its parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ask_to_die_with_parent()
    threading.Thread(target=watchdog, args=(parent,), name="parent-watchdog", daemon=True).start()


def ask_to_die_with_parent() -> None:
    """Linux's PR_SET_PDEATHSIG: SIGKILL when the thread that forked us ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watchdog still ends us


def watchdog(parent: int) -> None:
    """Ends the worker once its parent is gone (it is then re-parented), including a
    parent that died before ``ask_to_die_with_parent`` took effect."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


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
