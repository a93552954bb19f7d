"""JSON (one article or a list) and JSON Lines (one article a line)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from ..errors import InputError
from ..models import Article
from .common import make_article, split_paragraphs

ARTICLE_FIELDS = {"id", "title", "source", "url", "published", "text"}


def read_json(text: str, origin: str, warn: Callable[[str], None]) -> list[Article]:
    data = parse_json(text, origin)
    if data == []:
        raise InputError(f"{origin}: no articles (an empty list)")
    records = data if isinstance(data, list) else [data]
    return _articles(((f"{origin}[{i}]", r) for i, r in enumerate(records)), warn)


def read_jsonl(text: str, origin: str, warn: Callable[[str], None]) -> list[Article]:
    """A bad line is reported with its number and skipped; the good lines are kept."""

    def records():
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            where = f"{origin}:{number}"
            try:
                yield where, parse_json(line, where, line_numbers=False)
            except InputError as exc:
                warn(str(exc))

    return _articles(records(), warn)


def parse_json(text: str, where: str, line_numbers: bool = True) -> Any:
    """The decoded JSON, or one InputError for whatever ``json`` objects to: syntax (with
    the line), nesting deeper than the interpreter's stack, numbers over the digit limit."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = f":{exc.lineno}" if line_numbers else ""
        raise InputError(f"{where}{line}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{where}: invalid JSON (nested too deeply)") from None
    except ValueError:
        raise InputError(f"{where}: invalid JSON (a number longer than {sys.get_int_max_str_digits()} digits)") from None


def _articles(records, warn: Callable[[str], None]) -> list[Article]:
    articles = []
    for where, record in records:
        try:
            articles.append(article_from_record(record, where))
        except InputError as exc:
            warn(str(exc))
    return articles


def article_from_record(record: Any, where: str) -> Article:
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected an object with a 'text' field")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: missing or empty 'text'")
    for key in ARTICLE_FIELDS - {"text"}:
        if record.get(key) is not None and not isinstance(record[key], (str, int)):
            raise InputError(f"{where}: field '{key}' must be a string")
    return make_article(
        where,
        split_paragraphs(text),
        title=str(record.get("title") or ""),
        source=str(record.get("source") or ""),
        url=str(record["url"]) if record.get("url") is not None else None,
        published=record.get("published"),
        article_id=record.get("id"),
    )
