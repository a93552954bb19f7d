"""A `briefing send` process killed with a real SIGKILL in the middle of a message, then a
re-run: every subscriber ends with exactly one copy, counted at the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.archive import archive_path, save_briefing
from briefing.cli import main
from briefing.deliver.db import Database
from briefing.deliver.ledger import Ledger
from smtp_server import Recorder, delivery_env, smtp_server, tiny_briefing

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parent.parent
PEOPLE = [f"reader{i:02d}@example.org" for i in range(10)]


class KillDuringData:
    """Accepts ``accept`` messages, then SIGKILLs the sending process while it waits for the
    reply to the next one (so that message was never confirmed, and is not recorded)."""

    def __init__(self, accept: int) -> None:
        self.accept = accept
        self.accepted = 0
        self.victim: subprocess.Popen[bytes] | None = None
        self.victim_known = threading.Event()
        self.killed = False

    def __call__(self, envelope: object) -> str | None:
        if self.killed or self.accepted < self.accept:
            self.accepted += 1
            return None
        self.victim_known.wait(10)
        assert self.victim is not None
        self.killed = True  # before the kill: the test thread wakes as soon as the process dies
        os.kill(self.victim.pid, signal.SIGKILL)
        self.victim.wait(10)  # the reply below must never reach a live client
        return "451 4.3.0 the client is gone"


def test_sigkill_mid_send_then_rerun_delivers_each_exactly_once(tmp_path: Path) -> None:
    edition = tiny_briefing()
    save_briefing(edition, archive_path(tmp_path / "out", edition.edition))
    killer = KillDuringData(accept=4)
    handler = Recorder(on_data=killer)
    with smtp_server(handler) as server:
        env = delivery_env(tmp_path / "data", tmp_path / "out", server.port)
        for person in PEOPLE:
            assert CliRunner().invoke(main, ["subscribers", "add", person, "--format", "html"],
                                      env={"BRIEFING_CONFIG": "", **env}).exit_code == 0
        process = subprocess.Popen(
            [sys.executable, "-m", "briefing", "send", "--date", "2026-11-25", "-q"],
            cwd=ROOT, env={**os.environ, "BRIEFING_CONFIG": "", **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        killer.victim = process
        killer.victim_known.set()
        assert process.wait(timeout=60) == -signal.SIGKILL
        assert killer.killed

        with Database(tmp_path / "data") as db:
            states = Ledger(db).counts(edition.edition)
        assert states == {"queued": 5, "sending": 1, "sent": 4, "failed": 0}

        rerun = CliRunner().invoke(main, ["send", "--date", "2026-11-25"], env={"BRIEFING_CONFIG": "", **env})
        assert rerun.exit_code == 0, rerun.output
        assert "6 sent now" in rerun.stdout
    assert handler.per_recipient() == {person: 1 for person in PEOPLE}
