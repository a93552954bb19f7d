"""The sentence stage's worker processes, seen from outside through real processes and
signals: they are forked under the CLI's progress spinner too, and none outlives a build
that is killed while they work. Bounded waits, nothing timed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from briefing import segment_cache

PROJECT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    segment_cache.usable_cores() < 2 or not sys.platform.startswith("linux"),
    reason="needs two cores, and /proc to see the workers",
)


def write_articles(folder: Path, paragraphs: int, seed: int = 3) -> None:
    """Text articles of made-up words, ``paragraphs`` paragraphs of three sentences in all
    (the split takes seconds on two cores when there are thousands)."""
    assert paragraphs >= segment_cache.PARALLEL_MIN_PARAGRAPHS
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(3, 9))) for _ in range(4000)]

    def sentence() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(8, 16))).capitalize() + "."

    per_file = 1500
    for start in range(0, paragraphs, per_file):
        body = "\n\n".join(" ".join(sentence() for _ in range(3)) for _ in range(min(per_file, paragraphs - start)))
        (folder / f"report-{start}.txt").write_text(f"Report {start}\n\n{body}\n", "utf-8")


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (from /proc; zombies are dead)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields and fields[1] == str(pid) and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def stat_fields(pid: int) -> list[str] | None:
    """State, parent pid, ... of a process (after its name, which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def build_command(inputs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "briefing", "build", str(inputs), "--out", str(out), "--formats", "txt",
            "--date", "2026-11-25"]


def test_build_on_a_terminal_splits_in_worker_processes(tmp_path: Path) -> None:
    """The spinner is a thread, and no fork may be taken while another thread runs: the
    workers are forked before the sentence stage's spinner starts, and the spinner of
    the stage before has ended by then."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_articles(inputs, 900)
    master, terminal = os.openpty()
    shown = bytearray()
    drain = threading.Thread(target=lambda: drain_terminal(master, shown), daemon=True)
    drain.start()
    env = {**os.environ, "BRIEFING_CONFIG": "", "TERM": "xterm-256color", "COLUMNS": "100"}
    with (tmp_path / "stdout").open("wb") as stdout:
        build = subprocess.Popen(build_command(inputs, tmp_path / "out"), stdin=terminal, stdout=stdout,
                                 stderr=terminal, cwd=PROJECT, env=env)
    os.close(terminal)
    workers: set[int] = set()
    while build.poll() is None and len(workers) < 2:
        workers |= children_of(build.pid)
        time.sleep(0.02)
    assert build.wait(timeout=120) == 0, shown.decode(errors="replace")[-2000:]
    drain.join(5)
    assert len(workers) >= 2, "the sentence stage split in-process"
    assert "sentences" in shown.decode(errors="replace")  # the spinner was shown


def drain_terminal(master: int, shown: bytearray) -> None:
    """Reads what the build shows on its terminal until it closes (else the spinner
    would block on a full terminal buffer)."""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        shown.extend(data)
    os.close(master)


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_build_killed_while_its_workers_split_leaves_none_behind(tmp_path: Path, kill: signal.Signals) -> None:
    """Workers of a killed build used to live on with parent pid 1, blocked writing to a
    result pipe their sibling held open, and holding the caller's stdout and stderr."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_articles(inputs, 6000)
    build = subprocess.Popen(build_command(inputs, tmp_path / "out"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=PROJECT, env={**os.environ, "BRIEFING_CONFIG": ""})
    workers: set[int] = set()

    def started() -> bool:
        workers.update(children_of(build.pid))
        return len(workers) >= 2 or build.poll() is not None

    try:
        assert wait_for(started, 120)
        assert len(workers) >= 2 and build.poll() is None, "no workers seen at work"
        time.sleep(0.5)  # in the middle of their chunks
        assert build.poll() is None, "the split ended before the signal"
        build.send_signal(kill)
        assert build.wait(timeout=30) == -kill
        assert wait_for(lambda: not any(map(alive, workers)), 15), [pid for pid in workers if alive(pid)]
    finally:
        for pid in workers:  # a failing run must not leave them behind either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if build.poll() is None:
            build.kill()
