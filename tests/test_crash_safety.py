"""Real SIGKILLs at random moments of ``briefing build`` and ``briefing send``, then a re-run.

A killed build may leave hidden ``.part`` files, but a file under a final name is always
complete (a PDF pypdf reads to its ``%%EOF``, whole HTML, text and archive) or absent, and
the re-run makes the edition. A killed send leaves a consistent SQLite ledger, and after the
re-run every subscriber has the edition: once, or twice with the same Message-ID when a kill
fell between the server's 250 and the ledger's commit (the window ledger.py documents).

Kill times come from a fixed seed, so a failure can be replayed; the loops are short.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from smtp_server import Recorder, delivery_env, smtp_server, tiny_briefing

from briefing.archive import archive_path, load_briefing, save_briefing
from briefing.cli import main
from briefing.deliver.db import database_path

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parent.parent
SEED = 20261125
EDITION = "2026-11-25"
FINAL = {f"briefing-{EDITION}.{ext}" for ext in ("pdf", "html", "txt", "json")}


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "briefing", *args], cwd=ROOT,
                            env={**os.environ, "BRIEFING_CONFIG": "", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_or_kill(args: list[str], env: dict[str, str], delay: float) -> bool:
    """Run the command, SIGKILL it after ``delay`` seconds; True when it was killed."""
    process = start(args, env)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return True
    finally:
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == 0
    return False


def kill_when(args: list[str], env: dict[str, str], condition: Callable[[], bool]) -> bool:
    """SIGKILL the command the moment ``condition()`` holds; True when it did before the
    command ended (progress-driven, so how fast the machine is cannot make kills miss)."""
    process = start(args, env)
    try:
        while process.poll() is None:
            if condition():
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                return True
            time.sleep(0.0005)
    finally:
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == 0
    return False


def kill_when_writing(args: list[str], env: dict[str, str], folder: Path) -> bool:
    """SIGKILL the command the moment a temporary ``.part`` file shows in ``folder`` (the
    output being written)."""
    return kill_when(args, env, lambda: folder.is_dir() and any(name.endswith(".part") for name in os.listdir(folder)))


# build ------------------------------------------------------------------------------------


def finished_outputs(out: Path, reference: dict[str, object]) -> set[str]:
    """Final names present in ``out``, after checking each is complete; hidden ``.part``
    files are the only other thing allowed."""
    if not out.exists():
        return set()
    names = set(os.listdir(out))
    visible = {n for n in names if not n.startswith(".")}
    assert visible <= FINAL, visible
    assert all(n.endswith(".part") for n in names - visible), names
    for name in visible:
        path = out / name
        if name.endswith(".pdf"):
            data = path.read_bytes()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{name} is truncated"
            assert len(PdfReader(path).pages) == reference["pages"]
        elif name.endswith(".html"):
            assert path.read_text("utf-8").endswith("</html>\n"), f"{name} is truncated"
        elif name.endswith(".txt"):
            lines = path.read_text("utf-8").splitlines()
            assert (len(lines), lines[-1]) == reference["txt"], f"{name} is truncated"
        else:
            assert load_briefing(path).sections == reference["sections"]
    return visible


@pytest.fixture(scope="module")
def build_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """An uninterrupted build of the samples: what complete files look like, and how long a build takes."""
    out = tmp_path_factory.mktemp("reference")
    started = time.monotonic()
    assert not run_or_kill(["build", "--out", str(out), "--formats", "pdf,html,txt", "-q"], {}, 300)
    lines = (out / f"briefing-{EDITION}.txt").read_text("utf-8").splitlines()
    return {
        "seconds": time.monotonic() - started,
        "pages": len(PdfReader(out / f"briefing-{EDITION}.pdf").pages),
        "txt": (len(lines), lines[-1]),
        "sections": load_briefing(out / f"briefing-{EDITION}.json").sections,
    }


def test_build_killed_at_random_moments_never_leaves_a_partial_file(tmp_path: Path, build_reference: dict) -> None:
    rng = random.Random(SEED)
    out = tmp_path / "out"
    args = ["build", "--out", str(out), "--formats", "pdf,html,txt", "-q"]
    killed = 0
    for attempt in range(4):
        if attempt % 2:  # half the kills hit a folder holding the previous complete run
            assert not run_or_kill(args, {}, 300)
        delay = rng.uniform(0.2, build_reference["seconds"] * 0.95)
        killed += run_or_kill(args, {}, delay)
        finished_outputs(out, build_reference)
    assert killed >= 2
    assert not run_or_kill(args, {}, 300)
    assert finished_outputs(out, build_reference) == FINAL


def test_build_killed_while_writing_its_files_leaves_complete_ones_or_none(tmp_path: Path,
                                                                           build_reference: dict) -> None:
    """The kill lands while a ``.part`` file exists: between creating a temporary output and
    renaming it into place, the riskiest moment."""
    out = tmp_path / "out"
    args = ["build", "--out", str(out), "--formats", "pdf,html,txt", "-q"]
    for _ in range(3):  # the poll can miss the moment; then the run completes and we try again
        shutil.rmtree(out, ignore_errors=True)
        caught = kill_when_writing(args, {}, out)
        finished_outputs(out, build_reference)
        if caught:
            break
    assert caught, "no kill landed while an output was being written"
    assert not run_or_kill(args, {}, 300)
    assert finished_outputs(out, build_reference) == FINAL


# send -------------------------------------------------------------------------------------

PEOPLE = [f"reader{i:02d}@example.org" for i in range(24)]


def integrity(data: Path) -> str:
    with sqlite3.connect(database_path(data)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def ledger_states(data: Path) -> Counter[str]:
    with sqlite3.connect(database_path(data)) as conn:
        return Counter(state for (state,) in conn.execute("SELECT state FROM deliveries WHERE edition = ?", (EDITION,)))


def test_send_killed_at_random_moments_then_rerun_delivers_each_subscriber_once(tmp_path: Path) -> None:
    edition = tiny_briefing()
    save_briefing(edition, archive_path(tmp_path / "out", edition.edition))

    def slow_accept(envelope: object) -> None:
        time.sleep(0.08)  # a slow server: the sending takes seconds, so kills land in the middle

    handler = Recorder(on_data=slow_accept)
    rng = random.Random(SEED)
    kills = 0
    with smtp_server(handler) as server:
        env = delivery_env(tmp_path / "data", tmp_path / "out", server.port, BRIEFING_SMTP_CONCURRENCY="2")
        for person in PEOPLE:
            added = CliRunner().invoke(main, ["subscribers", "add", person, "--format", "html"],
                                       env={"BRIEFING_CONFIG": "", **env})
            assert added.exit_code == 0, added.output
        for _ in range(4):
            before = len(handler.received)
            target = before + rng.randint(1, 5)  # killed just after the server accepts a random message
            kills += kill_when(["send", "--date", EDITION, "-q"], env, lambda target=target: len(handler.received) >= target)
            assert integrity(tmp_path / "data") == "ok"
            states = ledger_states(tmp_path / "data")
            assert sum(states.values()) == len(PEOPLE) and states["failed"] == 0
            assert states["sent"] <= len(handler.per_recipient())
            assert len(handler.received) >= before
        assert not run_or_kill(["send", "--date", EDITION, "-q"], env, 120)
    assert kills >= 2
    assert integrity(tmp_path / "data") == "ok"
    assert ledger_states(tmp_path / "data") == Counter({"sent": len(PEOPLE)})
    copies = handler.per_recipient()
    assert set(copies) == set(PEOPLE)
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= kills * 2, copies  # at most one message per connection was in the window
    for person in PEOPLE:
        message_ids = {m["Message-ID"] for m in handler.messages_to(person)}
        assert len(message_ids) == 1, (person, message_ids)
