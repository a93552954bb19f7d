"""Read article files of any supported format into Articles, one reader per file type.

Every reader returns the same shape (a list of Articles) and reports a bad input
through ``warn`` with one line naming it, so one broken file never stops the batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import InputError
from ..models import Article, Warn
from .common import MAX_INPUT_BYTES, decode
from .html import read_html
from .jsonl import read_json, read_jsonl
from .text import read_markdown, read_text

Reader = Callable[[str, str, Warn], list[Article]]

READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": lambda text, origin, warn: read_html(text, origin),
    ".htm": lambda text, origin, warn: read_html(text, origin),
    ".json": read_json,
    ".jsonl": read_jsonl,
}

__all__ = ["READERS", "Warn", "expand_paths", "read_file", "read_paths", "unique_articles"]


def read_paths(paths: Sequence[Path], warn: Warn) -> list[Article]:
    """Every article in the given files and folders (folders read recursively, in name order)."""
    articles: list[Article] = []
    for path in expand_paths(paths, warn):
        try:
            articles.extend(read_file(path, warn))
        except InputError as exc:
            warn(str(exc))
    return unique_articles(articles, warn)


def unique_articles(articles: Iterable[Article], warn: Warn) -> list[Article]:
    """The first article under each id. Sentences, stories and citations are keyed by
    article id, so a second article under an id already seen (the same file twice, two
    records sharing an ``id``) would silently replace or cancel the first one's text."""
    kept: dict[str, Article] = {}
    for article in articles:
        first = kept.setdefault(article.id, article)
        if first is not article:
            what = "the same article as" if first.paragraphs == article.paragraphs else "the same id as"
            warn(f"{article.origin}: {what} {first.origin} (id {article.id!r}); skipped")
    return list(kept.values())


def read_file(path: Path, warn: Warn) -> list[Article]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; expected one of {', '.join(READERS)}")
    data = read_bounded(path)
    if not data.strip():
        raise InputError(f"{path}: empty file")
    return reader(decode(data, str(path)), str(path), warn)


def read_bounded(path: Path) -> bytes:
    """At most one byte more than the size limit, and only from a regular file: a named
    pipe would block for ever and ``/dev/zero`` (or a sparse file) would fill memory."""
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def expand_paths(paths: Sequence[Path], warn: Warn) -> Iterator[Path]:
    """Files as given, folders walked recursively; hidden files are skipped."""
    for path in paths:
        if path.is_dir():
            yield from folder_files(path, warn)
        elif path.exists():
            yield path
        else:
            warn(f"{path}: no such file or folder")


def folder_files(folder: Path, warn: Warn) -> list[Path]:
    """Every file under ``folder`` in name order, hidden files and folders skipped, symlinked
    folders not entered (a link to a parent would loop). A folder that cannot be listed
    (permissions) is named, where ``Path.rglob`` passed over it in silence."""
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        warn(f"{exc.filename}: cannot read the folder ({exc.strerror})")

    for root, folders, names in os.walk(folder, onerror=unreadable):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found.extend(Path(root, name) for name in names if not name.startswith("."))
    return sorted(p for p in found if p.is_file())
