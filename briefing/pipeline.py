"""Orchestration only: the stages in order, each from its own module.

    inputs → ingest → Article[] → sentences → classify → {section: Sentence[]}
           → summarize → compose → Briefing → render → files
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

from . import classify, ingest, sentences, summarize
from .archive import archive_path, save_briefing
from .compose import compose
from .config import Config
from .errors import NoArticlesError
from .models import Article, Briefing, Placement, Sentence

Warn = Callable[[str], None]
Stage = Callable[[str], AbstractContextManager[None]]
OTHER = "other"
SAMPLE_FILES_SKIPPED = {"README.md", "EDITION"}


@contextmanager
def quiet_stage(name: str) -> Iterator[None]:
    """The default stage marker does nothing; the CLI shows progress, benchmarks time it."""
    yield


@dataclass(frozen=True)
class Edition:
    briefing: Briefing
    paths: tuple[Path, ...]


def build_edition(
    config: Config,
    inputs: Sequence[Path],
    edition: date,
    out_dir: Path,
    formats: Sequence[str],
    *,
    warn: Warn,
    now: datetime | None = None,
    stage: Stage = quiet_stage,
) -> Edition:
    """Read, sort, summarize and render one edition; raises NoArticlesError when nothing is usable."""
    with stage("ingest"):
        articles = read_articles(inputs, warn)
    briefing = make_briefing(config, articles, edition, now=now, stage=stage)
    with stage("render"):
        from . import render  # WeasyPrint loads only for commands that render

        paths = render.write_outputs(briefing, out_dir, formats, config.render)
    save_briefing(briefing, archive_path(out_dir, edition))
    return Edition(briefing, tuple(paths))


def read_articles(inputs: Sequence[Path], warn: Warn) -> list[Article]:
    articles = ingest.read_paths(inputs, warn)
    if not articles:
        raise NoArticlesError("no usable articles in the input; nothing to brief")
    return articles


def make_briefing(
    config: Config,
    articles: Sequence[Article],
    edition: date,
    *,
    now: datetime | None = None,
    stage: Stage = quiet_stage,
) -> Briefing:
    with stage("sentences"):
        by_article = sentences.split_articles(articles)
    with stage("classify"):
        placements = classify_articles(config, articles, by_article)
    with stage("summarize"):
        picks = pick_key_sentences(config, pool_by_section(placements))
    with stage("compose"):
        return compose(
            config,
            edition,
            now or datetime.now(timezone.utc),
            {a.id: a for a in articles},
            picks,
            sentence_count=sum(len(s) for s in by_article.values()),
        )


def classify_articles(
    config: Config, articles: Sequence[Article], by_article: Mapping[str, Sequence[Sentence]]
) -> list[Placement]:
    """Every sentence placed, article by article, so each sees its own context."""
    return [
        placement
        for article in articles
        for placement in classify.classify(article, by_article[article.id], config.sections)
    ]


def pool_by_section(placements: Sequence[Placement]) -> dict[str, list[Sentence]]:
    pools: dict[str, list[Sentence]] = {}
    for placement in placements:
        if placement.section != OTHER:
            pools.setdefault(placement.section, []).append(placement.sentence)
    return pools


def pick_key_sentences(config: Config, pools: Mapping[str, Sequence[Sentence]]) -> dict[str, list[Sentence]]:
    return {
        section.id: key_sentences(config, pools.get(section.id, []), section.sentences or config.summary.sentences)
        for section in config.sections
    }


def key_sentences(config: Config, pool: Sequence[Sentence], count: int) -> list[Sentence]:
    """The configured algorithm's picks, near-repeats dropped unless de-duplication is off."""
    threshold = config.summary.dedupe_threshold if config.summary.dedupe else None
    return summarize.summarize(pool, count, config.summary.algorithm, threshold)


def sample_inputs() -> list[Path]:
    """The invented sample articles that ship inside the package."""
    folder = Path(str(resources.files("briefing").joinpath("samples")))
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name not in SAMPLE_FILES_SKIPPED)


def sample_edition() -> date:
    """The date the sample articles were written for, so the sample briefing is always complete."""
    text = resources.files("briefing").joinpath("samples", "EDITION").read_text("utf-8")
    return date.fromisoformat(text.strip())
