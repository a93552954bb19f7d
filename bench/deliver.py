"""Delivery benchmark: N subscribers to a loopback aiosmtpd server with the real PDF attached.

    .venv/bin/python bench/deliver.py            # 1,000 subscribers (target: <= 30 s on 2 cores)
    .venv/bin/python bench/deliver.py --quick    # 20, a smoke run

Builds the sample edition once, then sends it to N subscribers (80 % whole edition as PDF,
10 % diplomacy-only PDF, 10 % HTML only) in several ways, each into a fresh data folder:
reused connection (the default), 2 concurrent connections, and the baseline of one new
connection per message. The server runs in its own process and counts what it accepts, so
every row also checks that each subscriber got exactly one message.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing import pipeline  # noqa: E402
from briefing.config import Config, Secret, load_config  # noqa: E402
from briefing.deliver.db import Database  # noqa: E402
from briefing.deliver.service import DeliveryReport, Edition, send_edition  # noqa: E402
from briefing.deliver.smtp import Mailer  # noqa: E402
from briefing.deliver.store import SubscriberStore  # noqa: E402


class CountingHandler:
    """Counts accepted messages per recipient and their bytes; keeps nothing else."""

    def __init__(self) -> None:
        self.per_recipient: Counter[str] = Counter()
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.per_recipient.update(envelope.rcpt_tos)
        self.bytes += len(envelope.original_content)
        return "250 OK"


def serve(port: int, control: Any) -> None:
    """The server process: runs until told to stop, then sends back its counts."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    control.send("ready")
    while True:
        if control.recv() == "counts":
            control.send((dict(handler.per_recipient), handler.bytes))
            handler.per_recipient.clear()
            handler.bytes = 0
        else:
            controller.stop()
            return


class OneShotMailer(Mailer):
    """The baseline: a new connection (EHLO, and QUIT after) for every message."""

    def send(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().send(*args, **kwargs)
        finally:
            self.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def subscribe(config: Config, count: int, tag: str) -> None:
    with Database(config.data_dir) as db:
        store = SubscriberStore(db, [s.id for s in config.sections])
        for i in range(count):
            kind = i % 10
            store.add(f"reader{i:05d}@{tag}.example.org", f"Reader {i}",
                      "diplomacy" if kind == 8 else None, "html" if kind == 9 else "pdf")


def cpu_seconds() -> float:
    """This process's CPU time (all its threads; the server is another process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(config: Config, edition: Edition, count: int, tag: str, control: Any, **options: Any) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-deliver-{tag}-"))
    config = replace(config, data_dir=folder / "data")
    subscribe(config, count, tag)
    started, cpu = time.perf_counter(), cpu_seconds()
    report: DeliveryReport = send_edition(config, edition, **options)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    control.send("counts")
    per_recipient, size = control.recv()
    exactly_once = len(per_recipient) == count and set(per_recipient.values()) == {1}
    return {"seconds": seconds, "cpu": cpu, "report": report, "bytes": size, "exactly_once": exactly_once, "peak": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 subscribers instead of 1,000")
    parser.add_argument("--count", type=int, help="number of subscribers (overrides --quick)")
    args = parser.parse_args()
    count = args.count or (20 if args.quick else 1000)

    port = free_port()
    control, server_end = mp.Pipe()
    server = mp.get_context("fork").Process(target=serve, args=(port, server_end), daemon=True)
    server.start()
    assert control.recv() == "ready"

    out = Path(tempfile.mkdtemp(prefix="bench-deliver-out-"))
    config = load_config(None, env={
        "BRIEFING_OUT_DIR": str(out), "BRIEFING_SMTP_HOST": "127.0.0.1", "BRIEFING_SMTP_PORT": str(port),
        "BRIEFING_FROM": "Daily Briefing <briefing@news.example.org>", "BRIEFING_MAIL_BACKOFF": "0.05",
        "BRIEFING_MAIL_UNSUBSCRIBE_URL": "https://news.example.org/unsubscribe/{token}",
    })
    config = replace(config, mail=replace(config.mail, secret=Secret("bench-secret-not-for-production")))
    started = time.perf_counter()
    built = pipeline.build_edition(config, pipeline.sample_inputs(), pipeline.sample_edition(), out, ["pdf"], warn=print)
    pdf = built.paths[0]
    edition = Edition(built.briefing, pdf)
    print(f"sample edition built in {time.perf_counter() - started:.1f} s; PDF {pdf.stat().st_size / 1024:.0f} KiB; "
          f"{count} subscribers (80% PDF, 10% diplomacy-only PDF, 10% HTML)\n")

    smtp_two = replace(config, smtp=replace(config.smtp, concurrency=2))
    rows = [
        ("reused connection", run(config, edition, count, "reused", control)),
        ("reused, 2 connections", run(smtp_two, edition, count, "two", control)),
        ("baseline: 1 connection/message", run(config, edition, count, "oneshot", control, mailer=OneShotMailer)),
    ]
    control.send("stop")
    server.join(10)

    baseline = rows[-1][1]["seconds"]
    print(f"{'mode':<32}{'msgs':>6}{'seconds':>9}{'msgs/s':>8}{'vs base':>9}{'CPU ms/msg':>12}{'MB sent':>9}"
          f"{'renders':>9}{'PDF':>5}{'conns':>7}{'peak RSS MB':>13}{'once each':>11}")
    for name, row in rows:
        report = row["report"]
        print(f"{name:<32}{report.sent:>6}{row['seconds']:>9.2f}{report.sent / row['seconds']:>8.0f}"
              f"{baseline / row['seconds']:>8.2f}x{1000 * row['cpu'] / report.sent:>12.1f}{row['bytes'] / 1e6:>9.1f}"
              f"{report.variants_rendered:>9}{report.pdf_renders:>5}{report.connections:>7}{row['peak']:>13.0f}"
              f"{'yes' if row['exactly_once'] else 'NO':>11}")
    print("\nCPU ms/msg = the sender's own CPU (the server is another process), renders included;"
          " renders = variants rendered (text+HTML, and PDF for pdf variants); PDF = PDF renders"
          " (the whole edition's PDF is reused from the build); peak RSS = the sender process's, cumulative.")


if __name__ == "__main__":
    main()
