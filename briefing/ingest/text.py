"""Plain-text and Markdown articles, with optional front matter."""

from __future__ import annotations

import re
from pathlib import Path

from ..models import Article, Warn, ignore
from ..sentences import ends_like_sentence
from .common import make_article, split_paragraphs

FRONT_MATTER_KEYS = {"title", "source", "url", "published", "id"}
#: Headlines are short and seldom end in a full stop (the samples' run to 13 words, none does).
HEADLINE_MAX_WORDS = 12
#: Between ``---`` fences at the very top; it may be empty, and may end the file.
_FRONT_MATTER = re.compile(r"\A---\n(?:(.*?)\n)?---[ \t]*(?:\n|\Z)", re.S)
_MD_ATX_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_MD_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_MD_QUOTE_MARKS = re.compile(r"(?: {0,3}>[ \t]?)+")
_MD_LIST_MARKER = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?=\S)")
#: Link text and target, and emphasized text, never contain their own delimiters: a scan
#: from one mark stops at the next, so an unclosed mark costs nothing (``.+?`` made each
#: of 200,000 unclosed ``*`` scan to the end of the line: hours for one long line).
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=[^\s*_`])([^*_`\n]+?)(?<=\S)\1")


def read_text(text: str, origin: str, warn: Warn = ignore, markdown: bool = False) -> list[Article]:
    """A title line followed by a blank line is the title; front matter may give the rest."""
    meta, body = front_matter(text, origin, warn)
    if markdown:
        body = strip_markdown(body)
    lines = body.strip("\n").split("\n")
    title = meta.get("title", "")
    first = lines[0].strip()
    if len(lines) > 2 and first and not lines[1].strip():
        title = title or (first if is_headline(first) else "")
        if first == title:
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


def is_headline(line: str) -> bool:
    """A first line is a title unless it reads as the lead sentence: longer than a headline
    (``HEADLINE_MAX_WORDS``) and ending like a sentence. A lead taken for the title was lost."""
    return len(line.split()) <= HEADLINE_MAX_WORDS or not ends_like_sentence(line)


def read_markdown(text: str, origin: str, warn: Warn = ignore) -> list[Article]:
    return read_text(text, origin, warn, markdown=True)


def front_matter(text: str, origin: str, warn: Warn = ignore) -> tuple[dict[str, str], str]:
    """``key: value`` lines between ``---`` fences at the very top of the file. Other keys
    (``author``, ``tags``: routine in exported articles) are named in a warning and ignored,
    with the indented lines under them (a YAML list); the article is still read."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for number, line in enumerate((match.group(1) or "").splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#") or line[:1].isspace():
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep:
            warn(f"{origin}:{number}: front matter line is not 'key: value', ignored: {line[:60]!r}")
        elif key not in FRONT_MATTER_KEYS:
            warn(f"{origin}:{number}: unknown front matter key {key[:40]!r} ignored (known: {', '.join(sorted(FRONT_MATTER_KEYS))})")
        else:
            meta[key] = value.strip().strip("\"'")
    return meta, text[match.end():]


def strip_markdown(body: str) -> str:
    """Markdown to the words a reader sees. A heading at the top is the title line; other
    headings label parts of the article and are not news sentences, so they go, as do
    tables and rules; quote and list markers go (each list item is a paragraph of its
    own); links keep their text and emphasis its words. One pass over the lines."""
    lines: list[str] = []
    table = False
    for line in body.split("\n"):
        line = unquoted(line)
        if table and "|" in line:
            continue
        table = False
        if is_table_delimiter(line):
            table = True
            if lines and "|" in lines[-1]:
                lines.pop()  # the table's header row
        elif _MD_SETEXT_UNDERLINE.match(line) and lines and lines[-1].strip():
            heading_seen(lines, lines.pop())
        elif line.lstrip().startswith("|") or is_rule(line):
            lines.append("")
        elif _MD_ATX_HEADING.match(line):
            heading_seen(lines, atx_heading_text(line))
        elif item := _MD_LIST_MARKER.match(line):
            lines.extend(("", line[item.end():]))
        else:
            lines.append(line)
    body = "\n".join(lines)
    body = _MD_LINK.sub(r"\1", body)
    return _MD_EMPHASIS.sub(r"\2", body)


def unquoted(line: str) -> str:
    """The line without its blockquote marks (``> > text`` is ``text``)."""
    quote = _MD_QUOTE_MARKS.match(line)
    return line[quote.end():] if quote else line


def is_table_delimiter(line: str) -> bool:
    """A table's delimiter row: cells of dashes (colons for alignment) between pipes."""
    cells = line.strip().strip("|").split("|")
    return "|" in line and all(set(c.strip()) in ({"-"}, {"-", ":"}) for c in cells)


def is_rule(line: str) -> bool:
    """A thematic break: three or more ``-``, ``*`` or ``_`` alone on a line (spaces allowed)."""
    marks = line.replace(" ", "").replace("\t", "")
    return len(marks) >= 3 and len(set(marks)) == 1 and marks[0] in "-*_"


def atx_heading_text(line: str) -> str:
    """``## Text ##`` is ``Text``; a closing run of ``#`` counts only after a space (``C#`` stays)."""
    text = line.lstrip(" ").lstrip("#").strip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1] in " \t") else text


def heading_seen(lines: list[str], heading: str) -> None:
    """The first thing in the body, if a heading, is kept as the title line (a blank line
    after it, as the title rule wants); any other heading is left out, as a paragraph break."""
    if not any(line.strip() for line in lines):
        lines.extend((heading.strip(), ""))
    else:
        lines.append("")
