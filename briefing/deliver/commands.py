"""The delivery commands: a thin click layer over the library (parse, call, print).

Registered on the main group by ``briefing/cli.py`` (``register(main)``); import
``briefing.cli`` rather than this module directly.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..cli import Reporter, common_options, load, report_health
from ..config import Config
from ..errors import ConfigError, DeliveryError, NoArticlesError
from ..fsutil import write_requested_file
from .db import Database
from .ledger import Delivery, Ledger
from .service import check_ready, load_or_build_edition, send_edition, unsubscribe
from .store import FORMATS, STATUSES, Subscriber, SubscriberStore, export_csv
from .tokens import TokenSigner

DATE = click.DateTime(["%Y-%m-%d"])


def register(main: click.Group) -> None:
    for command in (subscribers, send, daily, deliveries, unsubscribe_command, unsubscribe_server):
        main.add_command(command)


def open_store(config: Config) -> tuple[Database, SubscriberStore]:
    db = Database(config.data_dir)
    return db, SubscriberStore(db, [s.id for s in config.sections])


def default_edition(config: Config) -> date:
    """Today; the samples' own date when no inputs or sources are configured, as ``build`` does."""
    from .. import pipeline

    return pipeline.default_edition(config, pipeline.choose_inputs(config)[1])


@click.group()
def subscribers() -> None:
    """Manage the subscribers (kept in DATA_DIR/delivery.sqlite3).

    \b
    Example:
      briefing subscribers add ana@example.org --name "Ana Ruiz" --sections diplomacy --format html
    """


@subscribers.command(name="add")
@click.argument("email")
@click.option("--name", help="Display name for the To: header.")
@click.option("--sections", help="Comma-separated section ids (default: every section).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True,
              help="pdf: PDF attached; html: HTML body only.")
@common_options
def add(email: str, name: str | None, sections: str | None, fmt: str, config_path: Path | None,
        reporter: Reporter) -> None:
    """Add EMAIL, or update it and make it active again.

    \b
    Example:
      briefing subscribers add ana@example.org --sections diplomacy,military
    """
    db, store = open_store(load(config_path))
    with db:
        subscriber = store.add(email, name, sections, fmt)
    click.echo(f"{subscriber.email}: {subscriber.status}, {describe_sections(subscriber)}, {subscriber.format}")


@subscribers.command(name="remove")
@click.argument("email")
@common_options
def remove(email: str, config_path: Path | None, reporter: Reporter) -> None:
    """Delete EMAIL from the subscribers (the ledger keeps its record of past sends).

    \b
    Example:
      briefing subscribers remove ana@example.org
    """
    db, store = open_store(load(config_path))
    with db:
        subscriber = store.remove(email)
    click.echo(f"{subscriber.email}: removed")


@subscribers.command(name="list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@common_options
def list_command(status: str | None, as_json: bool, config_path: Path | None, reporter: Reporter) -> None:
    """List the subscribers.

    \b
    Example:
      briefing subscribers list --status bounced --json
    """
    db, store = open_store(load(config_path))
    with db:
        chosen = [s for s in store.all() if status is None or s.status == status]
    for s in chosen:
        if as_json:
            click.echo(json.dumps({"id": s.id, "email": s.email, "name": s.name, "sections": list(s.sections or []),
                                   "format": s.format, "status": s.status, "hard_failures": s.hard_failures},
                                  ensure_ascii=False))
        else:
            click.echo(f"{s.status:<12} {s.format:<4}  {describe_sections(s):<24} {s.email}"
                       + (f"  ({s.name})" if s.name else ""))


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@common_options
def import_command(csv_file: Path, config_path: Path | None, reporter: Reporter) -> None:
    """Add or update the subscribers of a CSV file (columns: email, name, sections, format, status).

    Bad rows are warnings naming the line; an import never re-activates an address that
    unsubscribed or bounced.

    \b
    Example:
      briefing subscribers import people.csv
    """
    db, store = open_store(load(config_path))
    with db:
        result = store.import_csv(csv_file, reporter.warn)
    click.echo(f"{csv_file}: {result.added} added, {result.updated} updated, {result.skipped} skipped")


@subscribers.command(name="export")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@common_options
def export(out_file: Path | None, config_path: Path | None, reporter: Reporter) -> None:
    """Write every subscriber as CSV, in the columns `import` reads.

    \b
    Example:
      briefing subscribers export --out subscribers.csv
    """
    db, store = open_store(load(config_path))
    buffer = io.StringIO()
    with db:
        export_csv(store.all(), buffer)
    if out_file:
        write_requested_file(out_file, buffer.getvalue())
    else:
        click.echo(buffer.getvalue(), nl=False)


def describe_sections(subscriber: Subscriber) -> str:
    return ",".join(subscriber.sections) if subscriber.sections else "all sections"


@click.command()
@click.option("--date", "edition", type=DATE, help="Edition date (default: today; the samples' date with no inputs configured).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the edition's files (default: out_dir); dry-run messages go to OUT/outbox-DATE/.")
@click.option("--dry-run", is_flag=True, help="Write .eml files instead of sending; the ledger is not touched.")
@common_options
def send(edition: datetime | None, out_dir: Path | None, dry_run: bool, config_path: Path | None,
         reporter: Reporter) -> None:
    """Send an edition to every active subscriber who does not have it yet (building it first if needed).

    Messages still pending from the mail.catch_up_days editions before it go first. Exit 5
    when a message failed in this run or is still pending; running it again sends only those.

    \b
    Example:
      briefing send --date 2026-11-25 --dry-run
    """
    config = load(config_path, {"": {"out_dir": out_dir}})
    deliver(config, edition.date() if edition else default_edition(config), dry_run, reporter)


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder of the edition's files (default: out_dir).")
@common_options
def daily(out_dir: Path | None, config_path: Path | None, reporter: Reporter) -> None:
    """Build today's edition if needed and send it; safe to run again (only what is missing is sent).

    Run it every hour of the day, so that mail greylisted or refused for a while goes out
    within the hour; pending mail of the mail.catch_up_days days before goes out too.

    \b
    Example (crontab, hourly from 06:30):
      30 6-23 * * *  briefing daily --config /etc/briefing.toml
    """
    config = load(config_path, {"": {"out_dir": out_dir}})
    deliver(config, default_edition(config), False, reporter)


def deliver(config: Config, day: date, dry_run: bool, reporter: Reporter) -> None:
    check_ready(config, dry_run=dry_run)
    try:
        edition = load_or_build_edition(config, day, warn=reporter.warn, stage=reporter.stage)
    except NoArticlesError as exc:  # as build does: every run that fetched reports each source
        report_health(reporter, exc.health)
        raise
    if edition.built:
        report_health(reporter, edition.briefing.health)
    with reporter.stage("deliver"):
        report = send_edition(config, edition, dry_run=dry_run, warn=reporter.warn)
    click.echo(report.summary())
    reporter.info(f"variants rendered: {report.variants_rendered}, PDF renders: {report.pdf_renders}, "
                  f"SMTP connections: {report.connections}")
    unsettled = [r for r in (*report.earlier, report) if not r.settled]
    if unsettled:
        raise DeliveryError("; ".join(
            f"{r.failed} failed now and {r.pending} pending for {r.edition.isoformat()}" for r in unsettled
        ) + f"; see `briefing deliveries --date {unsettled[-1].edition.isoformat()}` (a re-run retries the pending ones)")


@click.command()
@click.option("--date", "edition", type=DATE, help="Edition date (default: the latest edition in the ledger).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@common_options
def deliveries(edition: datetime | None, as_json: bool, config_path: Path | None, reporter: Reporter) -> None:
    """Show the ledger: one line per subscriber of an edition, with state, attempts and last error.

    \b
    Example:
      briefing deliveries --date 2026-11-25 --json | jq 'select(.state != "sent")'
    """
    config = load(config_path)
    with Database(config.data_dir) as db:
        ledger = Ledger(db)
        known = ledger.editions()
        day = edition.date() if edition else (known[-1] if known else None)
        rows = ledger.deliveries(day) if day else []
        counts = ledger.counts(day) if day else {}
    for d in rows:
        if as_json:
            click.echo(json.dumps(_delivery_record(d), ensure_ascii=False))
        else:
            click.echo(f"{d.state:<8} {d.attempts:>3}  {d.email}  {d.message_id}  {d.last_error or ''}".rstrip())
    if day is None:
        reporter.warn("the ledger is empty: nothing has been sent yet")
    elif not as_json:
        click.echo(f"{day.isoformat()}: " + ", ".join(f"{n} {state}" for state, n in counts.items()))


def _delivery_record(d: Delivery) -> dict[str, Any]:
    return {"edition": d.edition.isoformat(), "subscriber_id": d.subscriber_id, "email": d.email, "state": d.state,
            "attempts": d.attempts, "last_error": d.last_error, "message_id": d.message_id,
            "updated_at": d.updated_at, "sent_at": d.sent_at}


@click.command(name="unsubscribe")
@click.argument("token")
@common_options
def unsubscribe_command(token: str, config_path: Path | None, reporter: Reporter) -> None:
    """Unsubscribe the subscriber an unsubscribe TOKEN (from a List-Unsubscribe link) names.

    \b
    Example:
      briefing unsubscribe 42.Qm9ndXNUb2tlbkV4YW1wbGU
    """
    config = load(config_path)
    db, store = open_store(config)
    with db:
        subscriber = unsubscribe(store, TokenSigner.from_config(config.mail), token)
    click.echo(f"{subscriber.email}: unsubscribed")


@click.command(name="unsubscribe-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="Port (0: any free one).")
@common_options
def unsubscribe_server(host: str, port: int, config_path: Path | None, reporter: Reporter) -> None:
    """Serve the one-click unsubscribe endpoint (RFC 8058) with wsgiref, for local use.

    In production mount briefing.deliver.webapp:app_from_environment() in any WSGI server.

    \b
    Example:
      briefing unsubscribe-server --port 8025
    """
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from .webapp import app_from_config

    class QuietHandler(WSGIRequestHandler):
        """Logs the method and status with -v, never the path: it holds the token."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            reporter.info(f"{self.command} {code}")

    app = app_from_config(load(config_path))
    try:
        server = make_server(host, port, app, handler_class=QuietHandler)
    except OSError as exc:  # port taken, address not ours, name that does not resolve
        raise ConfigError(f"{host}:{port}: cannot listen ({exc.strerror or exc})") from None
    click.echo(f"listening on http://{host}:{server.server_port}/unsubscribe/<token>")
    with server:
        server.serve_forever()
