"""Orchestration only: the stages in order, each from its own module.

    inputs, sources → ingest + window → Article[] → sentences → stories → classify
           → {section: Sentence[]} → summarize → compose → Briefing → render → files
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

from . import classify, fsutil, ingest, section_model, segment_cache, sentences, stories, summarize
from .archive import archive_path, save_briefing
from .compose import compose
from .config import Config, SourceDef
from .errors import NoArticlesError
from .fetch import Fetcher
from .health import with_used
from .ingest.feeds import Gathered, collect_sources
from .models import Article, Briefing, Placement, Sentence, SourceHealth, Warn, ignore
from .window import Window, edition_window, keep_in_window, zone

Stage = Callable[[str], AbstractContextManager[None]]
#: The files an edition writes (render's formats and the archive), of any date.
EDITION_FILES = re.compile(r"briefing-\d{4}-\d{2}-\d{2}\.(?:pdf|html|txt|json)")


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
    sources: Sequence[SourceDef] = (),
    window: Window | None = None,
    fetcher: Fetcher | None = None,
    info: Warn = ignore,
) -> Edition:
    """Read, sort, summarize and render one edition; raises NoArticlesError when nothing is usable.

    Sources are the configured ``[[sources]]`` plus ``sources``; ``window`` defaults to the
    edition's own (window.py), and applies to files and sources alike.
    """
    span = window or edition_window(config.window, edition)
    for leftover in fsutil.sweep_stale_parts(out_dir, EDITION_FILES):
        info(f"removed {leftover}, left by a run killed while writing it")
    with stage("ingest"):
        files = keep_in_window(ingest.read_paths(inputs, warn), span, config.window.undated, info)
    with stage("sources"):
        gathered = collect_sources(config, sources, span, warn=warn, fetcher=fetcher, info=info)
    articles = require_articles(ingest.unique_articles([*files, *gathered.articles], warn), f"inside the edition window {span}",
                                gathered.health)
    previous = stories.previous_edition(out_dir, edition, warn)
    briefing = make_briefing(config, articles, edition, now=now, stage=stage, window=span, gathered=gathered, previous=previous,
                             warn=warn)
    with stage("render"):
        from . import render  # WeasyPrint loads only for commands that render

        paths = render.write_outputs(briefing, out_dir, formats, config.render)
    save_briefing(briefing, archive_path(out_dir, edition))
    return Edition(briefing, tuple(paths))


def require_articles(articles: list[Article], where: str, health: tuple[SourceHealth, ...] = ()) -> list[Article]:
    if not articles:
        raise NoArticlesError(f"no usable articles {where}; nothing to brief", health)
    return articles


def with_sentences(articles: Sequence[Article], warn: Warn,
                   health: tuple[SourceHealth, ...] = ()) -> tuple[list[Article], dict[str, list[Sentence]]]:
    """The articles that have sentences, and their sentences. One that has none (only "Read
    more", "Click here.") is named and left out, so it is not counted as a source; when no
    article has any, there is nothing to brief."""
    by_article = sentences.split_articles(articles)
    usable = [a for a in articles if by_article[a.id]]
    for article in articles:
        if not by_article[article.id]:
            warn(f"{article.origin}: no sentences (nothing of {sentences.MIN_WORDS} words or more)")
    if not usable:
        raise NoArticlesError("no usable articles (none has a sentence); nothing to brief", health)
    return usable, {a.id: by_article[a.id] for a in usable}


def read_articles(inputs: Sequence[Path], warn: Warn) -> list[Article]:
    """The input's articles, one per id, as ``build`` reads them (without the window)."""
    return require_articles(ingest.unique_articles(ingest.read_paths(inputs, warn), warn), "in the input")


def make_briefing(
    config: Config,
    articles: Sequence[Article],
    edition: date,
    *,
    now: datetime | None = None,
    stage: Stage = quiet_stage,
    window: Window | None = None,
    gathered: Gathered = Gathered(),
    previous: stories.Previous = stories.Previous(),
    warn: Warn = ignore,
) -> Briefing:
    """``previous`` is what the previous edition showed, which is not repeated (stories.py)."""
    # split on every core; the workers are forked before the stage's progress spinner starts its thread
    with segment_cache.workers_for(p for a in articles for p in a.paragraphs) as presplit, stage("sentences"):
        presplit()
        articles, by_article = with_sentences(articles, warn, gathered.health)
    with stage("stories"):
        found = stories.find_stories(articles, by_article, previous, config.summary.dedupe_threshold)
    with stage("classify"):
        placements = classify_articles(config, articles, by_article)
    with stage("summarize"):
        picks = pick_key_sentences(config, found.without_repeats(pool_by_section(placements)), story_ids(articles, found))
    with stage("compose"):
        briefing = compose(
            config,
            edition,
            now or datetime.now(timezone.utc),
            {a.id: a for a in articles},
            picks,
            carriers=found.sentence_carriers,
            stories=found.carriers,
            sentence_count=sum(len(s) for s in by_article.values()),
            window=window.as_tuple() if window else None,
        )
    used = with_used(gathered.health, (ref.article_id for ref in briefing.sources), gathered.source_of)
    return found.remembered(found.mark_new(replace(briefing, health=used), picks))


def classify_articles(
    config: Config, articles: Sequence[Article], by_article: Mapping[str, Sequence[Sentence]]
) -> list[Placement]:
    """Every sentence placed, article by article, so each sees its own context."""
    learned = section_model.configured(config.classify)
    return [
        placement
        for article in articles
        for placement in classify.classify(article, by_article[article.id], config.sections, learned)
    ]


def pool_by_section(placements: Sequence[Placement]) -> dict[str, list[Sentence]]:
    pools: dict[str, list[Sentence]] = {}
    for placement in placements:
        if placement.section != classify.OTHER:
            pools.setdefault(placement.section, []).append(placement.sentence)
    return pools


def pick_key_sentences(
    config: Config, pools: Mapping[str, Sequence[Sentence]], story_of: Mapping[str, str] | None = None
) -> dict[str, list[Sentence]]:
    return {
        section.id: key_sentences(config, pools.get(section.id, []), section.sentences or config.summary.sentences, story_of)
        for section in config.sections
    }


def key_sentences(
    config: Config, pool: Sequence[Sentence], count: int, story_of: Mapping[str, str] | None = None
) -> list[Sentence]:
    """The configured algorithm's picks, near-repeats dropped unless de-duplication is off;
    with ``story_of`` (article id → story id) spread across stories before a story gets a second."""
    threshold = config.summary.dedupe_threshold if config.summary.dedupe else None
    stories = None if story_of is None else [story_of.get(s.article_id, s.article_id) for s in pool]
    return summarize.summarize(pool, count, config.summary.algorithm, threshold, stories)


def story_ids(articles: Sequence[Article], found: stories.Stories) -> dict[str, str]:
    """Each article's story, named by its first article: outlets carrying one story count once."""
    return {a.id: stories.story_of(found.carriers, a.id) for a in articles}


def summarize_stories(config: Config, articles: Sequence[Article], by_article: Mapping[str, Sequence[Sentence]]
                      ) -> dict[str, str] | None:
    """For ``summarize``: our algorithm spreads its picks across stories as ``build`` does;
    sumy's keep exactly sumy's picks."""
    if config.summary.algorithm not in summarize.READABLE:
        return None
    return story_ids(articles, stories.find_stories(articles, by_article, sentence_similarity=config.summary.dedupe_threshold))


def choose_inputs(
    config: Config, inputs: Sequence[Path] = (), extra_sources: Sequence[SourceDef] = ()
) -> tuple[list[Path], bool]:
    """The files to read, and whether they are the shipped samples: those are used only when
    neither the command line nor the configuration names any article files or sources."""
    if inputs or config.inputs or extra_sources or any(s.enabled for s in config.sources):
        return list(inputs) or list(config.inputs), False
    return sample_inputs(), True


def default_edition(config: Config, samples: bool) -> date:
    """Today in the edition's time zone; the samples' own date when briefing the samples."""
    return sample_edition() if samples else datetime.now(zone(config.window)).date()


def sample_inputs() -> list[Path]:
    """The invented sample articles that ship inside the package: their folder holds
    nothing else, so naming it (``briefing build briefing/samples``) reads the same."""
    folder = Path(str(resources.files("briefing").joinpath("samples")))
    return sorted(p for p in folder.iterdir() if p.is_file())


def sample_edition() -> date:
    """The date the sample articles were written for, so the sample briefing is always complete."""
    text = resources.files("briefing").joinpath("samples.toml").read_text("utf-8")
    return tomllib.loads(text)["edition"]
