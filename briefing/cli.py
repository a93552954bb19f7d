"""The command line: a thin click layer that parses, calls the library and prints.

Exit codes: 0 success; 1 unexpected failure; 2 bad usage or configuration;
3 no usable input (or an input the command needs is unusable); 4 rendering failed;
5 some deliveries failed; 130 interrupted; 141 stdout's reader went away.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from . import __version__, summarize
from .config import FORMATS, Config, load_config
from .errors import BriefingError, NoArticlesError
from .health import health_line
from .models import Sentence, SourceHealth
from .window import edition_window, parse_moment

#: Exit status when stdout's reader went away, as a shell reports a program SIGPIPE ended.
BROKEN_PIPE_EXIT = 141
#: How long a stopped spinner's thread is waited for (it ends within one refresh).
SPINNER_STOP_SECONDS = 1.0
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def one_line(message: str) -> str:
    """Messages quote file names and values from the input: control characters (a newline,
    a terminal escape sequence) and lone surrogates are shown escaped, so each message stays
    one harmless line."""
    return _UNPRINTABLE.sub(lambda found: ascii(found.group())[1:-1], message)


class Reporter:
    """Warnings, progress and verbose notes on stderr, so stdout stays machine-readable."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.warnings = 0

    def warn(self, message: str) -> None:
        self.warnings += 1
        if self.verbosity >= 0:
            self.console.print(f"[yellow]warning:[/] {escape(one_line(message))}", markup=True, emoji=False)

    def info(self, message: str) -> None:
        if self.verbosity >= 1:
            self.console.print(one_line(message), markup=False, emoji=False)

    def note(self, message: str) -> None:
        """Facts every run reports (the source health), silenced only by -q."""
        if self.verbosity >= 0:
            self.console.print(one_line(message), markup=False, emoji=False)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A spinner while a stage runs (on a terminal), its time with -v."""
        started = time.perf_counter()
        if self.verbosity >= 0 and self.console.is_terminal:
            with self.spinner(name):
                yield
        else:
            yield
        self.info(f"{name}: {time.perf_counter() - started:.2f} s")

    @contextmanager
    def spinner(self, name: str) -> Iterator[None]:
        """rich's status line, whose refresh thread is waited for when it stops (rich only
        tells it to stop), so that between stages this process runs one thread and the
        sentence stage may fork its workers (segment_cache)."""
        before = set(threading.enumerate())
        try:
            with self.console.status(f"{name}…"):
                yield
        finally:
            for thread in set(threading.enumerate()) - before:
                thread.join(SPINNER_STOP_SECONDS)


def shared_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, -q and -v: on the group (``briefing -q build``) and on every command."""
    command = click.option("-v", "--verbose", count=True, help="More output on stderr (stage timings).")(command)
    command = click.option("-q", "--quiet", count=True, help="Less output on stderr (warnings off).")(command)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="TOML config file (default: $BRIEFING_CONFIG, else built-in defaults).")(command)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The shared options on a command, added to those given before it on the group (the
    command's own --config wins); turns named errors into one line and an exit code."""

    @shared_options
    @functools.wraps(command)
    def wrapper(config_path: Path | None, quiet: int, verbose: int, **kwargs: Any) -> Any:
        given = click.get_current_context().find_root().obj or {}
        config_path = config_path or given.get("config_path")
        reporter = Reporter(verbose + given.get("verbose", 0) - quiet - given.get("quiet", 0))
        try:
            return command(config_path=config_path, reporter=reporter, **kwargs)
        except BriefingError as exc:
            reporter.console.print(f"[red]error:[/] {escape(one_line(str(exc)))}", markup=True, emoji=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            reporter.console.print("interrupted", markup=False)
            sys.exit(130)
        except BrokenPipeError:
            # whoever read stdout stopped (`| head`): the rest has nowhere to go, and Python's
            # own flush at exit would fail again, so stdout leads nowhere from here on
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(BROKEN_PIPE_EXIT)

    return wrapper


def load(config_path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """The configuration with this command's flags on top (table "" holds top-level keys)."""
    return load_config(config_path, overrides=overrides)


def parse_formats(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    """A click callback, so an error names the option: ``Invalid value for '--formats': ...``."""
    if value is None:
        return None
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        named = f"unknown format {', '.join(map(repr, unknown))}; " if unknown else ""
        raise click.BadParameter(f"{named}choose from {', '.join(FORMATS)} (comma-separated)")
    return formats


def with_sentence_count(config: Config, count: int | None) -> Config:
    """--sentences N applies to every section, overriding per-section counts."""
    if count is None:
        return config
    return replace(
        config,
        summary=replace(config.summary, sentences=count),
        sections=tuple(replace(s, sentences=None) for s in config.sections),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefing")
@shared_options
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, quiet: int, verbose: int) -> None:
    """Make a daily news briefing: ingest, sort into sections, summarize, render, deliver.

    --config, -q and -v may come before the command or after it.

    \b
    Example:
      briefing build articles/ --date 2026-11-25 --formats pdf,html
      briefing -q --config briefing.toml build
    """
    ctx.obj = {"config_path": config_path, "quiet": quiet, "verbose": verbose}


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--date", "edition", type=click.DateTime(["%Y-%m-%d"]), help="Edition date (default: today; the samples' date with no INPUT).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder for the briefing files (default: out_dir, 'output').")
@click.option("--formats", default=None, callback=parse_formats, help="Comma-separated: pdf,html,txt (default: pdf, or render.formats).")
@click.option("--sentences", type=click.IntRange(1, 100), help="Key sentences per section.")
@click.option("--algorithm", type=click.Choice(sorted(summarize.SCORERS)), help="Ranking algorithm.")
@click.option("--source", "sources", multiple=True, metavar="URL_OR_PATH", help="A feed, article page or local feed file (repeatable); adds to [[sources]].")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), help="Window length in hours (default: window.hours, 24).")
@click.option("--since", help="Window start, ISO 8601 (zone: window.timezone unless given).")
@click.option("--until", help="Window end, ISO 8601 (default: window.cutoff_hour of the edition date).")
@common_options
def build(inputs: tuple[Path, ...], edition: datetime | None, out_dir: Path | None, formats: tuple[str, ...] | None,
          sentences: int | None, algorithm: str | None, sources: tuple[str, ...], hours: float | None,
          since: str | None, until: str | None, config_path: Path | None, reporter: Reporter) -> None:
    """Build the briefing from INPUT files and folders and from feeds (the shipped samples when
    there are neither).

    \b
    Example:
      briefing build news/ extra.jsonl --date 2026-11-25 --formats pdf,html,txt --out output
      briefing build --source https://example.org/world/rss.xml --hours 12
    """
    from . import pipeline  # the NLP stack loads only for commands that use it

    config = with_sentence_count(load(config_path, {"summary": {"algorithm": algorithm}, "": {"out_dir": out_dir}}), sentences)
    from .ingest.feeds import cli_source

    extra = [cli_source(spec) for spec in sources]
    paths, samples = pipeline.choose_inputs(config, inputs, extra)
    day = edition.date() if edition else pipeline.default_edition(config, samples)
    chosen = formats or config.render.formats
    span = edition_window(config.window, day, hours=hours, since=parse_moment(since, config.window, "--since"),
                          until=parse_moment(until, config.window, "--until"))
    try:
        result = pipeline.build_edition(config, paths, day, config.out_dir, chosen, warn=reporter.warn, stage=reporter.stage,
                                        sources=extra, window=span, info=reporter.info)
    except NoArticlesError as exc:  # every run reports each source, the failed ones above all
        report_health(reporter, exc.health)
        raise
    report_health(reporter, result.briefing.health)
    reporter.info(result.briefing.summary_line)
    for path in result.paths:
        click.echo(str(path))


def report_health(reporter: Reporter, health: Sequence[SourceHealth]) -> None:
    for row in health:
        reporter.note(health_line(row))


@main.command(name="classify")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@common_options
def classify_command(inputs: tuple[Path, ...], as_json: bool, config_path: Path | None, reporter: Reporter) -> None:
    """Print every sentence of INPUT with its section.

    \b
    Example:
      briefing classify article.txt --json | jq 'select(.section == "military")'
    """
    from . import pipeline  # the NLP stack loads only for commands that use it

    config = load(config_path)
    articles, by_article = pipeline.with_sentences(pipeline.read_articles(list(inputs), reporter.warn), reporter.warn)
    for placement in pipeline.classify_articles(config, articles, by_article):
        s = placement.sentence
        if as_json:
            click.echo(json.dumps({
                "article": s.article_id, "index": s.index, "text": s.text, "section": placement.section,
                "score": round(placement.score, 4), "evidence": list(placement.evidence),
            }, ensure_ascii=False))
        else:
            click.echo(f"{placement.section:<10} {placement.score:4.2f}  {s.text}")


@main.command(name="summarize")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sentences", "count", type=click.IntRange(1, 1000), default=None, help="How many key sentences (default: summary.sentences).")
@click.option("--algorithm", type=click.Choice(sorted(summarize.SCORERS)), help="Ranking algorithm.")
@click.option("--by-section", is_flag=True, help="Classify first and summarize each section.")
@click.option("--no-dedupe", is_flag=True, help="Keep near-repeats (picks then match sumy's own).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@common_options
def summarize_command(inputs: tuple[Path, ...], count: int | None, algorithm: str | None, by_section: bool,
                      no_dedupe: bool, as_json: bool, config_path: Path | None, reporter: Reporter) -> None:
    """Print the key sentences of all INPUT articles together.

    \b
    Example:
      briefing summarize news/ --sentences 5 --algorithm lexrank --no-dedupe
    """
    from . import pipeline  # the NLP stack loads only for commands that use it

    config = with_sentence_count(
        load(config_path, {"summary": {"algorithm": algorithm, "dedupe": False if no_dedupe else None}}), count)
    articles, by_article = pipeline.with_sentences(pipeline.read_articles(list(inputs), reporter.warn), reporter.warn)
    story_of = pipeline.summarize_stories(config, articles, by_article)
    if by_section:
        pools = pipeline.pool_by_section(pipeline.classify_articles(config, articles, by_article))
        picks = pipeline.pick_key_sentences(config, pools, story_of)
    else:
        pool = [s for a in articles for s in by_article[a.id]]
        picks = {"": pipeline.key_sentences(config, pool, config.summary.sentences, story_of)}
    print_picks(picks, as_json)


def print_picks(picks: dict[str, Sequence[Sentence]], as_json: bool) -> None:
    for section, chosen in picks.items():
        if section and not as_json:
            click.echo(f"## {section}")
        for s in chosen:
            if as_json:
                record = {"article": s.article_id, "index": s.index, "text": s.text}
                click.echo(json.dumps({**record, **({"section": section} if section else {})}, ensure_ascii=False))
            else:
                click.echo(s.text)


# Delivery commands (subscribers, send, daily, deliveries, unsubscribe, unsubscribe-server).
from .deliver.commands import register as register_delivery  # noqa: E402 - needs the helpers above

register_delivery(main)

# Quality measurement against labelled data (eval sections; eval summaries).
from .evaluation.commands import eval_group, train_command  # noqa: E402 - needs the helpers above

main.add_command(eval_group)
main.add_command(train_command)
