"""Sending an edition: queue every active subscriber in the ledger, render each variant once,
send over ``smtp.concurrency`` reused connections, and report what the ledger holds after.

A re-run (after a crash, a kill, a 4xx or a stopped server) sends exactly the rows that are
not ``sent`` or ``failed``: rows left ``sending`` are sent again with their Message-ID (see
ledger.py for the one window where that makes a duplicate). The rows still pending of the
``mail.catch_up_days`` editions before go out in the same batch, oldest first, so mail
greylisted past one run's retries is not abandoned when the next day's run comes. One run
at a time per data folder: a second concurrent ``send`` stops at once instead of sending
the same rows.
"""

from __future__ import annotations

import fcntl
import queue
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from ..archive import archive_path, load_briefing
from ..config import Config, MailConfig, SmtpConfig
from ..errors import ConfigError, DeliveryError, InputError
from ..fsutil import atomic_write_bytes
from ..models import Briefing, Warn, ignore
from .db import Database
from .ledger import Delivery, Ledger
from .message import ListHeaders, Rendering, build_message, new_message_id
from .smtp import SERVER, TEMPORARY, TOO_BIG, Mailer, Pacer, SendFailure, SmtpUnusable, backoff_delay, check_smtp_config
from .store import Subscriber, SubscriberStore
from .tokens import InvalidToken, TokenSigner
from .variants import MEGABYTE, Renderer, Variant, variant_of

MailerFactory = Callable[[SmtpConfig, "ssl.SSLContext | None"], Mailer]
LOCK_NAME = "send.lock"
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9@._+-]")


@dataclass(frozen=True)
class Edition:
    briefing: Briefing
    built_pdf: Path | None  # the whole edition's PDF when this call has just built it
    built: bool = False  # built by this call (its source health is news), not read from the archive


@dataclass(frozen=True)
class DeliveryReport:
    edition: date
    dry_run: bool
    sent: int  # accepted by the server in this run (dry run: messages written)
    failed: int  # permanently refused in this run
    retried_later: int  # left pending by this run after temporary failures
    bounced: tuple[str, ...]  # addresses this run marked bounced
    variants_rendered: int
    pdf_renders: int
    connections: int  # of the whole run (every edition it sent)
    states: dict[str, int] = field(default_factory=dict)  # the edition's ledger rows per state after the run
    outbox: Path | None = None
    earlier: tuple[DeliveryReport, ...] = ()  # editions before this one whose pending rows this run sent

    @property
    def pending(self) -> int:
        return self.states.get("queued", 0) + self.states.get("sending", 0)

    @property
    def complete(self) -> bool:
        """Every active subscriber has this edition: nothing failed, nothing pending."""
        return self.dry_run or (self.pending == 0 and self.states.get("failed", 0) == 0)

    @property
    def settled(self) -> bool:
        """Nothing of this edition or the earlier ones is pending, and nothing failed in this
        run: what exit 0 means. A failure of an earlier run is final (no re-run changes it)
        and was that run's exit 5, so timers re-running `daily` do not stay failed all day."""
        here = self.dry_run or (self.pending == 0 and self.failed == 0)
        return here and all(report.settled for report in self.earlier)

    def summary(self) -> str:
        """One line per edition, the earlier ones first."""
        return "\n".join([*(report.summary() for report in self.earlier), self._line()])

    def _line(self) -> str:
        day = self.edition.isoformat()
        if self.dry_run:
            return f"{day}: dry run, {self.sent} messages written to {self.outbox}"
        return (f"{day}: {self.sent} sent now, {self.failed} failed now, {self.pending} pending; "
                f"edition total {self.states.get('sent', 0)} sent, {self.states.get('failed', 0)} failed")


def load_or_build_edition(config: Config, edition: date, *, warn: Warn = ignore,
                          stage: Callable[[str], object] | None = None) -> Edition:
    """The archived edition from ``out_dir``; when there is none yet, build it (from
    ``config.inputs`` and ``[[sources]]``, or the shipped samples when neither is
    configured), which also archives it."""
    path = archive_path(config.out_dir, edition)
    if path.exists():
        return Edition(load_briefing(path), None)
    from .. import pipeline

    inputs, _ = pipeline.choose_inputs(config)
    options = {"stage": stage} if stage is not None else {}
    built = pipeline.build_edition(config, inputs, edition, config.out_dir, config.render.formats, warn=warn, **options)
    pdf = next((p for p in built.paths if p.suffix == ".pdf"), None)
    return Edition(built.briefing, pdf, built=True)


def send_edition(
    config: Config,
    edition: Edition | Briefing,
    *,
    dry_run: bool = False,
    warn: Warn = ignore,
    ssl_context: ssl.SSLContext | None = None,
    rng: random.Random | None = None,
    mailer: MailerFactory = Mailer,
) -> DeliveryReport:
    """Send the edition to every active subscriber who does not have it yet, after the rows
    still pending of the ``mail.catch_up_days`` editions before it (a message greylisted
    yesterday goes out with today's run); with ``dry_run``, write this edition's messages as
    .eml files to ``out_dir/outbox-DATE/`` instead, leaving the ledger untouched. ``mailer``
    makes each sending thread's SMTP connection."""
    if isinstance(edition, Briefing):
        edition = Edition(edition, None)
    headers, signer = check_ready(config, dry_run=dry_run)
    if not dry_run and not headers.unsubscribe_url.lower().startswith("https://"):
        warn(f"mail.unsubscribe_url {headers.unsubscribe_url!r} is not https: mail providers ignore "
             "one-click unsubscribe (RFC 8058) without it")
    with Database(config.data_dir) as db:
        store, ledger = SubscriberStore(db, [s.id for s in config.sections]), Ledger(db)
        outbox = Outbox(config, edition, headers, signer, warn)
        if dry_run:
            return outbox.write_eml(store, ledger)
        with exclusive_run(config.data_dir):
            earlier = [Outbox(config, old, headers, signer, warn) for old in catch_up_editions(config, ledger, warn, edition)]
            active = store.active()
            if not active:
                warn("there are no active subscribers: nothing to send (add some with `briefing subscribers add`)")
            jobs = [job for old in earlier for job in old.catch_up(ledger, active)] + outbox.queue(ledger, active)
            dispatch = Dispatch(config, ledger, warn, lambda: mailer(config.smtp, ssl_context), rng or random.Random())
            dispatch.run(jobs)
            return outbox.report(ledger, dispatch, earlier=tuple(old.report(ledger, dispatch) for old in earlier))


def catch_up_editions(config: Config, ledger: Ledger, warn: Warn, edition: Edition) -> list[Edition]:
    """The editions of the ``mail.catch_up_days`` days before this one that still have
    pending rows, read back from the archive (rows of older editions are left as they are)."""
    day = edition.briefing.edition
    found = []
    for earlier in ledger.pending_editions(day - timedelta(days=config.mail.catch_up_days), day):
        path = archive_path(config.out_dir, earlier)
        try:
            found.append(Edition(load_briefing(path), None))
        except InputError as exc:
            warn(f"{exc}: the {earlier.isoformat()} messages still pending cannot be sent without it")
    return found


def check_ready(config: Config, *, dry_run: bool = False) -> tuple[ListHeaders, TokenSigner]:
    """The list headers and token signer, after checking every delivery setting; ``send``
    calls it before building an edition, so a missing secret fails in a second, not after
    the render."""
    headers = ListHeaders.from_config(config.mail)
    signer = TokenSigner.from_config(config.mail, dry_run=dry_run)
    if not dry_run:
        check_smtp_config(config.smtp)
        check_retry_config(config.mail)
    return headers, signer


def check_retry_config(mail: MailConfig) -> None:
    """Negative retries would never attempt a message (every row pending for ever, with no
    error to show), and a negative backoff makes ``time.sleep`` raise in a sending thread."""
    if mail.retries < 0:
        raise ConfigError(f"mail.retries must be 0 or more, not {mail.retries}")
    if mail.backoff < 0:
        raise ConfigError(f"mail.backoff must be 0 or more seconds, not {mail.backoff:g}")
    if mail.catch_up_days < 0:
        raise ConfigError(f"mail.catch_up_days must be 0 or more, not {mail.catch_up_days}")


def unsubscribe(store: SubscriberStore, signer: TokenSigner, token: str) -> Subscriber:
    """Mark the token's subscriber unsubscribed (again is fine: a second click changes nothing)."""
    subscriber = store.get(signer.claimed_id(token))
    if subscriber is None:
        raise InvalidToken("unknown unsubscribe token (the subscriber may have been removed)")
    signer.verify(token, subscriber.id, subscriber.email)
    if subscriber.status != "unsubscribed":
        store.set_status(subscriber.id, "unsubscribed")
    return subscriber


@contextmanager
def exclusive_run(data_dir: Path) -> Iterator[None]:
    """An OS file lock, released by the kernel however the process ends, so a crashed run
    never blocks the next one."""
    path = data_dir / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeliveryError(f"another `briefing send` is running on {data_dir} (it holds {path}); "
                                "its rows stay pending until it ends") from None
        yield


@dataclass(frozen=True)
class Job:
    outbox: Outbox
    delivery: Delivery
    subscriber: Subscriber
    variant: Variant


@dataclass(frozen=True)
class Outgoing:
    data: bytes  # the message as sent
    attached: bool  # with its PDF


class Outbox:
    """One edition's messages for the current subscribers."""

    def __init__(self, config: Config, edition: Edition, headers: ListHeaders, signer: TokenSigner,
                 warn: Warn) -> None:
        self.config = config
        self.edition = edition.briefing.edition
        self.headers = headers
        self.signer = signer
        self.renderer = Renderer(edition.briefing, config, warn, edition.built_pdf)
        self.section_ids = [s.id for s in config.sections]
        self.limit = int(config.mail.max_attachment_mb * MEGABYTE)
        self._unattached: dict[Variant, Rendering] = {}  # variants whose message with the PDF was too big
        self._lock = threading.Lock()

    def message(self, job: Job, server_limit: int | None = None) -> Outgoing:
        """The job's message as it goes out: without its PDF (a notice, and a link when
        ``mail.pdf_url`` is set) when the encoded message would be over the smaller of
        ``mail.max_attachment_mb`` and the server's limit. Once one message of a variant is
        over, the variant goes without its PDF for the rest of the run: limits only shrink."""
        full = self.renderer.rendering(job.variant)
        if full.pdf is None or job.variant in self._unattached:
            return Outgoing(bytes(self._build(job, self._unattached.get(job.variant, full))), False)
        data = bytes(self._build(job, full))
        limit, over = self._limit(server_limit)
        if len(data) <= limit:
            return Outgoing(data, True)
        with self._lock:  # sending threads: one warning per variant
            if job.variant not in self._unattached:
                self._unattached[job.variant] = self.renderer.without_pdf(job.variant, len(data), limit, over)
        return self.message(job, server_limit)

    def _limit(self, server_limit: int | None) -> tuple[int, str]:
        configured = (self.limit, f"mail.max_attachment_mb = {self.config.mail.max_attachment_mb:g}")
        return min(configured, (server_limit, "the SMTP server's limit")) if server_limit else configured

    def _build(self, job: Job, rendering: Rendering) -> EmailMessage:
        return build_message(
            rendering, job.subscriber, self.headers,
            edition=self.edition,
            token=self.signer.token(job.subscriber.id, job.subscriber.email),
            message_id=job.delivery.message_id,
            now=datetime.now(timezone.utc),
            dry_run_key=self.signer.ephemeral,
        )

    def jobs(self, deliveries: Sequence[Delivery], subscribers: Sequence[Subscriber]) -> list[Job]:
        """A job per delivery whose subscriber is still active; each variant is rendered here, once."""
        by_id = {s.id: s for s in subscribers}
        jobs = [Job(self, d, by_id[d.subscriber_id], variant_of(by_id[d.subscriber_id], self.section_ids))
                for d in deliveries if d.subscriber_id in by_id]
        for job in jobs:
            self.renderer.rendering(job.variant)
        return jobs

    def queue(self, ledger: Ledger, active: Sequence[Subscriber]) -> list[Job]:
        """Queue every active subscriber who has no row for this edition; the jobs of every pending row."""
        ledger.queue(self.edition, active, lambda s: new_message_id(self.edition, s.id, self.headers.domain))
        return self.jobs(ledger.pending(self.edition), active)

    def catch_up(self, ledger: Ledger, active: Sequence[Subscriber]) -> list[Job]:
        """The pending rows of an earlier edition, queueing no one new: who subscribed since gets today's."""
        ledger.drop_inactive(self.edition)
        return self.jobs(ledger.pending(self.edition), active)

    def report(self, ledger: Ledger, dispatch: Dispatch, earlier: tuple[DeliveryReport, ...] = ()) -> DeliveryReport:
        tally = dispatch.tally(self.edition)
        return DeliveryReport(
            edition=self.edition, dry_run=False, sent=tally.sent, failed=tally.failed,
            retried_later=tally.left_pending, bounced=tuple(tally.bounced),
            variants_rendered=self.renderer.variants_rendered, pdf_renders=self.renderer.pdf_renders,
            connections=dispatch.connections, states=ledger.counts(self.edition), earlier=earlier,
        )

    def write_eml(self, store: SubscriberStore, ledger: Ledger) -> DeliveryReport:
        """The messages the next real run would send for this edition, one .eml file each,
        without touching the ledger (Message-IDs of rows already queued are kept, others are made up)."""
        active = store.active()
        known = {d.subscriber_id: d for d in ledger.deliveries(self.edition)}
        holding = ledger.addresses_sent(self.edition)
        due = [known.get(s.id) or self._unqueued(s) for s in active if s.id in known or s.email.lower() not in holding]
        folder = self.config.out_dir / f"outbox-{self.edition.isoformat()}"
        for old in folder.glob("*.eml") if folder.is_dir() else ():
            old.unlink()
        jobs = self.jobs([d for d in due if d.pending], active)
        for job in jobs:
            name = f"{job.subscriber.id:06d}-{_UNSAFE_FILE_CHARACTERS.sub('_', job.subscriber.email)}.eml"
            atomic_write_bytes(folder / name, self.message(job).data)
        return DeliveryReport(
            edition=self.edition, dry_run=True, sent=len(jobs), failed=0, retried_later=0, bounced=(),
            variants_rendered=self.renderer.variants_rendered, pdf_renders=self.renderer.pdf_renders,
            connections=0, outbox=folder,
        )

    def _unqueued(self, subscriber: Subscriber) -> Delivery:
        return Delivery(self.edition, subscriber.id, subscriber.email, "queued", 0, None,
                        new_message_id(self.edition, subscriber.id, self.headers.domain), "", None)


@dataclass
class Tally:
    """What one run did to one edition's rows."""

    sent: int = 0
    failed: int = 0
    left_pending: int = 0
    bounced: list[str] = field(default_factory=list)


class Dispatch:
    """The sending threads: each holds one reused connection and takes the next job; the
    ledger records every step before and after it happens. ``smtp.give_up_after``
    server-level failures in a row (the server down or refusing our sender) stop the whole
    run, so a dead server costs seconds, not a full retry cycle per subscriber."""

    def __init__(self, config: Config, ledger: Ledger, warn: Warn, connect: Callable[[], Mailer],
                 rng: random.Random) -> None:
        self.ledger = ledger
        self.warn = warn
        self.connect = connect
        self.rng = rng
        self.mail = config.mail
        self.give_up_after = config.smtp.give_up_after
        self.concurrency = config.smtp.concurrency
        self.pacer = Pacer(config.smtp.rate)
        self.connections = 0
        self.unusable: SmtpUnusable | None = None
        self.crashed: Exception | None = None
        self._tallies: dict[date, Tally] = {}
        self._server_failures = 0  # in a row, across every thread
        self._refused_size: int | None = None  # the smallest message the server refused as too big
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def tally(self, edition: date) -> Tally:
        with self._lock:
            return self._tallies.setdefault(edition, Tally())

    def _count(self, job: Job, what: str, bounced: bool = False) -> None:
        with self._lock:
            tally = self._tallies.setdefault(job.delivery.edition, Tally())
            setattr(tally, what, getattr(tally, what) + 1)
            if bounced:
                tally.bounced.append(job.subscriber.email)

    def run(self, jobs: Sequence[Job]) -> None:
        todo: queue.SimpleQueue[Job] = queue.SimpleQueue()
        for job in jobs:
            todo.put(job)
        threads = [threading.Thread(target=self._worker, args=(todo,), name=f"smtp-{i}", daemon=True)
                   for i in range(min(self.concurrency, len(jobs)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.unusable is not None:
            raise self.unusable
        if self.crashed is not None:
            raise self.crashed

    def _worker(self, todo: queue.SimpleQueue[Job]) -> None:
        mailer = self.connect()
        try:
            while not self._stop.is_set():
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                self._deliver(job, mailer)
        except SmtpUnusable as exc:
            self.unusable = exc
            self._stop.set()
        except Exception as exc:  # a bug must stop the run loudly, not lose a thread's jobs
            self.crashed = exc
            self._stop.set()
        finally:
            mailer.close()
            with self._lock:
                self.connections += mailer.connections_opened

    def _deliver(self, job: Job, mailer: Mailer) -> None:
        """Up to 1 + mail.retries attempts; a temporary failure waits (exponential backoff
        with jitter) and tries again, then leaves the row pending for the next run."""
        error: str | None = None
        for attempt in range(self.mail.retries + 1):
            if attempt:
                time.sleep(backoff_delay(self.mail.backoff, attempt, self.rng))
            if self._stop.is_set():
                break
            error = self._attempt(job, mailer)
            if error is None:
                return
        self._count(job, "left_pending")
        if error:
            self.warn(f"{job.subscriber.email}: {error} (pending: the next run tries again)")

    def _attempt(self, job: Job, mailer: Mailer) -> str | None:
        """One try; None when the row is settled (sent, failed, or no longer wanted), else the
        temporary error. No attempt is counted when the server could not even be reached."""
        try:
            mailer.open()
        except SendFailure as failure:
            self.ledger.note_error(job.delivery, failure.text)
            self._server_failed(failure.text)
            return failure.text
        except SmtpUnusable as exc:
            self.ledger.note_error(job.delivery, str(exc))
            raise
        if not self.ledger.mark_sending(job.delivery):
            return None  # unsubscribed (or removed) since the run began
        while True:
            outgoing = job.outbox.message(job, self._server_limit(mailer))
            self.pacer.wait()
            try:
                mailer.send(outgoing.data, job.outbox.headers.sender.addr_spec, job.subscriber.email)
            except SendFailure as failure:
                if failure.kind == TOO_BIG and outgoing.attached:
                    self._too_big(len(outgoing.data))
                    continue  # at once, without the PDF: nothing is wrong with the address
                return self._refused(job, failure)
            self.ledger.mark_sent(job.delivery)
            self._server_worked()
            self._count(job, "sent")
            return None

    def _refused(self, job: Job, failure: SendFailure) -> str | None:
        if failure.kind == SERVER:
            self.ledger.mark_retry(job.delivery, failure.text)
            self._server_failed(failure.text)
            return failure.text
        self._server_worked()  # it answered about this recipient or message
        if failure.kind == TEMPORARY:
            self.ledger.mark_retry(job.delivery, failure.text)
            return failure.text
        if failure.kind == TOO_BIG:
            self._record_failed(job, f"{failure.text} (too big even without the PDF)", hard=False)
        else:
            self._record_failed(job, failure.text, hard=True)
        return None

    def _server_limit(self, mailer: Mailer) -> int | None:
        """The server's EHLO SIZE, or less when it has refused a smaller message as too big."""
        refused = self._refused_size - 1 if self._refused_size else None
        limits = [n for n in (mailer.size_limit, refused) if n is not None]
        return min(limits) if limits else None

    def _too_big(self, size: int) -> None:
        with self._lock:
            self._refused_size = min(size, self._refused_size or size)

    def _server_failed(self, error: str) -> None:
        with self._lock:
            self._server_failures += 1
            failures = self._server_failures
        if failures >= self.give_up_after:
            raise SmtpUnusable(f"{failures} SMTP failures in a row, the last: {error}; stopping "
                               f"(smtp.give_up_after = {self.give_up_after}): the messages not sent stay queued")

    def _server_worked(self) -> None:
        with self._lock:
            self._server_failures = 0

    def _record_failed(self, job: Job, error: str, *, hard: bool) -> None:
        bounced = self.ledger.mark_failed(job.delivery, error, self.mail.bounce_after, hard=hard)
        self._count(job, "failed", bounced)
        note = f"; marked bounced after {self.mail.bounce_after} hard failures" if bounced else ""
        self.warn(f"{job.subscriber.email}: {error} (failed{note})")
