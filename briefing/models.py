"""Typed values that travel between the pipeline's stages.

Every stage takes and returns these frozen dataclasses, so a stage can be tested on
values built in code and no stage can quietly change what an earlier one produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

#: How a stage reports one bad input or a note: a single line, and the batch goes on.
Warn = Callable[[str], None]


def ignore(message: str) -> None:
    """The default for lines nobody asked to see."""


@dataclass(frozen=True)
class Article:
    """One news article, whatever format or source it came from."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    source: str = ""
    url: str | None = None
    published: datetime | None = None  # always time-zone aware when set
    origin: str = ""  # the file path or URL it was read from, for messages
    section_hint: str | None = None  # a source may say "this feed is all military"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article, with where it stands, so context and lead position can be used."""

    article_id: str
    index: int  # position among the article's sentences, from 0
    paragraph: int  # paragraph number, from 0
    text: str


@dataclass(frozen=True)
class Placement:
    """The section a sentence was filed under, how sure the classifier was, and why."""

    sentence: Sentence
    section: str  # a configured section id, or "other"
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceRef:
    """A numbered entry of the briefing's sources list; citations point at these numbers."""

    number: int
    article_id: str
    title: str
    source: str
    url: str | None
    published: datetime | None


@dataclass(frozen=True)
class KeySentence:
    """A sentence chosen for the briefing, with the numbers of every source that carried it."""

    text: str
    citations: tuple[int, ...]
    new: bool = False  # a development not in the previous edition
    #: other outlets of the same story, which did not carry this sentence ("also [3]"):
    #: a sentence is never attributed to an outlet that did not print it
    also: tuple[int, ...] = ()
    #: outlets that carried it or its story beyond those cited ("and 40 more outlets")
    more: int = 0


@dataclass(frozen=True)
class SectionDigest:
    id: str
    title: str
    sentences: tuple[KeySentence, ...]


@dataclass(frozen=True)
class SourceHealth:
    """What one configured source did in this run, for the 'Sources' box."""

    name: str
    seen: int = 0
    in_window: int = 0
    used: int = 0
    errors: tuple[str, ...] = ()  # a few lines, identical causes grouped (health.py), not one per page
    stale: bool = False
    error_count: int = 0  # every error, listed or not; at least one per line of ``errors``

    def __post_init__(self) -> None:
        if self.error_count < len(self.errors):  # built by hand, or archived before errors were counted
            object.__setattr__(self, "error_count", len(self.errors))


@dataclass(frozen=True)
class Briefing:
    """The finished content of one edition, ready to be rendered in any format."""

    title: str
    edition: date
    generated_at: datetime
    sections: tuple[SectionDigest, ...]
    sources: tuple[SourceRef, ...]
    article_count: int
    sentence_count: int
    health: tuple[SourceHealth, ...] = ()
    window: tuple[datetime, datetime] | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    #: every sentence of the edition's articles, fingerprinted (stories.py), so the next
    #: edition knows what its readers could have seen; base64, 8 characters a sentence
    sentence_fingerprints: str = field(default="", compare=False, repr=False)

    @property
    def summary_line(self) -> str:
        """One line for the cover and e-mail subject: what this edition is made of."""
        picked = sum(len(s.sentences) for s in self.sections)
        return (
            f"{_count(picked, 'key sentence')} in {_count(len(self.sections), 'section')} "
            f"from {_count(self.article_count, 'article')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
