"""Plain-text and Markdown articles, with optional front matter."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..models import Article
from .common import make_article, split_paragraphs

FRONT_MATTER_KEYS = {"title", "source", "url", "published", "id"}
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_HEADING = re.compile(r"^#{1,6}\s+", re.M)
#: Link text and target, and emphasized text, never contain their own delimiters: a scan
#: from one mark stops at the next, so an unclosed mark costs nothing (``.+?`` made each
#: of 200,000 unclosed ``*`` scan to the end of the line: hours for one long line).
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=[^\s*_`])([^*_`\n]+?)(?<=\S)\1")


def read_text(text: str, origin: str, markdown: bool = False) -> list[Article]:
    """A title line followed by a blank line is the title; front matter may give the rest."""
    meta, body = front_matter(text, origin)
    if markdown:
        body = strip_markdown(body)
    lines = body.strip("\n").split("\n")
    title = meta.get("title", "")
    if len(lines) > 2 and lines[0].strip() and not lines[1].strip():
        title = title or lines[0].strip()
        if lines[0].strip() == title:
            body = "\n".join(lines[2:])
    return [
        make_article(
            origin,
            split_paragraphs(body),
            title=title,
            # without a source the link's host names the outlet (as for JSON); a bare file still says where it came from
            source=meta.get("source") or ("" if meta.get("url") else Path(origin).name),
            url=meta.get("url"),
            published=meta.get("published"),
            article_id=meta.get("id"),
        )
    ]


def read_markdown(text: str, origin: str) -> list[Article]:
    return read_text(text, origin, markdown=True)


def front_matter(text: str, origin: str) -> tuple[dict[str, str], str]:
    """``key: value`` lines between ``---`` fences at the very top of the file."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for number, line in enumerate(match.group(1).splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in FRONT_MATTER_KEYS:
            raise InputError(f"{origin}:{number}: front matter line is not one of {sorted(FRONT_MATTER_KEYS)}: {line[:60]!r}")
        meta[key] = value.strip().strip("\"'")
    return meta, text[match.end():]


def strip_markdown(body: str) -> str:
    """Markdown to the words a reader sees: headings, links and emphasis marks go."""
    body = _MD_HEADING.sub("", body)
    body = _MD_LINK.sub(r"\1", body)
    return _MD_EMPHASIS.sub(r"\2", body)
