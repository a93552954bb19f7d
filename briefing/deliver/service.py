"""Sending an edition: queue every active subscriber in the ledger, render each variant once,
send over ``smtp.concurrency`` reused connections, and report what the ledger holds after.

A re-run (after a crash, a kill, a 4xx or a stopped server) sends exactly the rows that are
not ``sent`` or ``failed``: rows left ``sending`` are sent again with their Message-ID (see
ledger.py for the one window where that makes a duplicate). One run at a time per data
folder: a second concurrent ``send`` stops at once instead of sending the same rows.
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
from datetime import date, datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from ..archive import archive_path, load_briefing
from ..config import Config, MailConfig, SmtpConfig
from ..errors import ConfigError, DeliveryError
from ..fsutil import atomic_write_bytes
from ..models import Briefing, Warn, ignore
from .db import Database
from .ledger import Delivery, Ledger
from .message import ListHeaders, Rendering, build_message, new_message_id
from .smtp import Mailer, Pacer, SendFailure, SmtpUnusable, backoff_delay, check_smtp_config
from .store import Subscriber, SubscriberStore
from .tokens import InvalidToken, TokenSigner
from .variants import Renderer, variant_of

MailerFactory = Callable[[SmtpConfig, "ssl.SSLContext | None"], Mailer]
LOCK_NAME = "send.lock"
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9@._+-]")


@dataclass(frozen=True)
class Edition:
    briefing: Briefing
    built_pdf: Path | None  # the whole edition's PDF when this call has just built it


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
    connections: int
    states: dict[str, int] = field(default_factory=dict)  # the edition's ledger rows per state after the run
    outbox: Path | None = None

    @property
    def pending(self) -> int:
        return self.states.get("queued", 0) + self.states.get("sending", 0)

    @property
    def complete(self) -> bool:
        """Every active subscriber has this edition: nothing failed, nothing pending."""
        return self.dry_run or (self.pending == 0 and self.states.get("failed", 0) == 0)

    def summary(self) -> str:
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
    return Edition(built.briefing, pdf)


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
    """Send the edition to every active subscriber who does not have it yet; with
    ``dry_run``, write their messages as .eml files to ``out_dir/outbox-DATE/`` instead,
    leaving the ledger untouched. ``mailer`` makes each sending thread's SMTP connection."""
    if isinstance(edition, Briefing):
        edition = Edition(edition, None)
    headers, signer = check_ready(config, dry_run=dry_run)
    if not dry_run and not headers.unsubscribe_url.lower().startswith("https://"):
        warn(f"mail.unsubscribe_url {headers.unsubscribe_url!r} is not https: mail providers ignore "
             "one-click unsubscribe (RFC 8058) without it")
    renderer = Renderer(edition.briefing, config, warn, edition.built_pdf)
    with Database(config.data_dir) as db:
        store = SubscriberStore(db, [s.id for s in config.sections])
        outbox = Outbox(config, edition.briefing.edition, headers, signer, renderer)
        if dry_run:
            return outbox.write_eml(store, Ledger(db))
        with exclusive_run(config.data_dir):
            dispatch = Dispatch(outbox, Ledger(db), warn, lambda: mailer(config.smtp, ssl_context), rng or random.Random())
            return outbox.send(store, dispatch)


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
    delivery: Delivery
    subscriber: Subscriber
    rendering: Rendering


class Outbox:
    """One edition's messages for the current subscribers."""

    def __init__(self, config: Config, edition: date, headers: ListHeaders, signer: TokenSigner,
                 renderer: Renderer) -> None:
        self.config = config
        self.edition = edition
        self.headers = headers
        self.signer = signer
        self.renderer = renderer
        self.section_ids = [s.id for s in config.sections]

    def message_for(self, job: Job) -> EmailMessage:
        return build_message(
            job.rendering, job.subscriber, self.headers,
            edition=self.edition,
            token=self.signer.token(job.subscriber.id, job.subscriber.email),
            message_id=job.delivery.message_id,
            now=datetime.now(timezone.utc),
            dry_run_key=self.signer.ephemeral,
        )

    def jobs(self, deliveries: Sequence[Delivery], subscribers: Sequence[Subscriber]) -> list[Job]:
        by_id = {s.id: s for s in subscribers}
        return [
            Job(d, by_id[d.subscriber_id], self.renderer.rendering(variant_of(by_id[d.subscriber_id], self.section_ids)))
            for d in deliveries
            if d.subscriber_id in by_id
        ]

    def write_eml(self, store: SubscriberStore, ledger: Ledger) -> DeliveryReport:
        """The messages the next real run would send, one .eml file each, without touching
        the ledger (Message-IDs of rows already queued are kept, others are made up)."""
        active = store.active()
        known = {d.subscriber_id: d for d in ledger.deliveries(self.edition)}
        due = [known.get(s.id) or self._unqueued(s) for s in active]
        folder = self.config.out_dir / f"outbox-{self.edition.isoformat()}"
        for old in folder.glob("*.eml") if folder.is_dir() else ():
            old.unlink()
        jobs = self.jobs([d for d in due if d.pending], active)
        for job in jobs:
            name = f"{job.subscriber.id:06d}-{_UNSAFE_FILE_CHARACTERS.sub('_', job.subscriber.email)}.eml"
            atomic_write_bytes(folder / name, bytes(self.message_for(job)))
        return DeliveryReport(
            edition=self.edition, dry_run=True, sent=len(jobs), failed=0, retried_later=0, bounced=(),
            variants_rendered=self.renderer.variants_rendered, pdf_renders=self.renderer.pdf_renders,
            connections=0, outbox=folder,
        )

    def _unqueued(self, subscriber: Subscriber) -> Delivery:
        return Delivery(self.edition, subscriber.id, subscriber.email, "queued", 0, None,
                        new_message_id(self.edition, subscriber.id, self.headers.domain), "", None)

    def send(self, store: SubscriberStore, dispatch: Dispatch) -> DeliveryReport:
        active, ledger = store.active(), dispatch.ledger
        if not active:
            dispatch.warn("there are no active subscribers: nothing to send (add some with `briefing subscribers add`)")
        ledger.queue(self.edition, active, lambda s: new_message_id(self.edition, s.id, self.headers.domain))
        dispatch.run(self.jobs(ledger.pending(self.edition), active))
        return DeliveryReport(
            edition=self.edition, dry_run=False, sent=dispatch.sent, failed=dispatch.failed,
            retried_later=dispatch.left_pending, bounced=tuple(dispatch.bounced),
            variants_rendered=self.renderer.variants_rendered, pdf_renders=self.renderer.pdf_renders,
            connections=dispatch.connections, states=ledger.counts(self.edition),
        )


class Dispatch:
    """The sending threads: each holds one reused connection and takes the next job; the
    ledger records every step before and after it happens."""

    def __init__(self, outbox: Outbox, ledger: Ledger, warn: Warn, connect: Callable[[], Mailer],
                 rng: random.Random) -> None:
        self.outbox = outbox
        self.ledger = ledger
        self.warn = warn
        self.connect = connect
        self.rng = rng
        self.mail = outbox.config.mail
        self.pacer = Pacer(outbox.config.smtp.rate)
        self.sent = self.failed = self.left_pending = self.connections = 0
        self.bounced: list[str] = []
        self.unusable: SmtpUnusable | None = None
        self.crashed: Exception | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def run(self, jobs: Sequence[Job]) -> None:
        todo: queue.SimpleQueue[Job] = queue.SimpleQueue()
        for job in jobs:
            todo.put(job)
        threads = [threading.Thread(target=self._worker, args=(todo,), name=f"smtp-{i}", daemon=True)
                   for i in range(min(self.outbox.config.smtp.concurrency, len(jobs)))]
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
        error = ""
        for attempt in range(self.mail.retries + 1):
            if attempt:
                time.sleep(backoff_delay(self.mail.backoff, attempt, self.rng))
            if self._stop.is_set():
                break
            self.ledger.mark_sending(job.delivery)
            message = self.outbox.message_for(job)
            self.pacer.wait()
            try:
                mailer.send(message, self.outbox.headers.sender.addr_spec, job.subscriber.email)
            except SendFailure as failure:
                if failure.permanent:
                    self._record_failed(job, failure.text)
                    return
                error = failure.text
                self.ledger.mark_retry(job.delivery, error)
                continue
            except SmtpUnusable as exc:
                self.ledger.mark_retry(job.delivery, str(exc))
                raise
            self.ledger.mark_sent(job.delivery)
            with self._lock:
                self.sent += 1
            return
        with self._lock:
            self.left_pending += 1
        if error:
            self.warn(f"{job.subscriber.email}: {error} (pending: the next run tries again)")

    def _record_failed(self, job: Job, error: str) -> None:
        bounced = self.ledger.mark_failed(job.delivery, error, self.mail.bounce_after)
        with self._lock:
            self.failed += 1
            if bounced:
                self.bounced.append(job.subscriber.email)
        note = f"; marked bounced after {self.mail.bounce_after} hard failures" if bounced else ""
        self.warn(f"{job.subscriber.email}: {error} (failed{note})")
