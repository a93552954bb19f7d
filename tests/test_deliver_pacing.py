"""The rate limit (Pacer) on a fake clock, the retry backoff with a seeded RNG, and the
one-send-at-a-time lock with two real processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.archive import archive_path, save_briefing
from briefing.cli import main
from briefing.deliver.service import exclusive_run
from briefing.deliver.smtp import MAX_BACKOFF, Pacer, backoff_delay
from briefing.errors import DeliveryError
from smtp_server import delivery_env, free_port, tiny_briefing

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    """Monotonic time that only moves when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def send_times(pacer: Pacer, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        pacer.wait()
        times.append(clock.now)
    return times


def test_pacer_spaces_messages_by_one_over_the_rate() -> None:
    clock = FakeClock()
    times = send_times(Pacer(4.0, clock, clock.sleep), clock, 5)
    assert times == pytest.approx([100.0, 100.25, 100.5, 100.75, 101.0])
    assert clock.sleeps == pytest.approx([0.25] * 4)  # the first goes at once


def test_pacer_waits_only_for_what_is_left_of_the_interval() -> None:
    clock = FakeClock()
    pacer = Pacer(2.0, clock, clock.sleep)
    pacer.wait()
    clock.now += 0.2  # building the next message took 0.2 s of the 0.5 s interval
    pacer.wait()
    assert clock.sleeps == pytest.approx([0.3])


def test_pacer_saves_no_burst_from_idle_time() -> None:
    """After a long pause (a slow render, a retry's backoff) the next messages are still one
    interval apart: idle time is not credit for a burst over the rate."""
    clock = FakeClock()
    pacer = Pacer(10.0, clock, clock.sleep)
    pacer.wait()
    clock.now += 60
    times = send_times(pacer, clock, 3)
    assert times == pytest.approx([160.0, 160.1, 160.2])


def test_pacer_holds_the_rate_across_threads() -> None:
    """Four threads share one pacer: their sends, in time order, are one interval apart."""
    clock = FakeClock()
    lock = threading.Lock()
    slots: list[float] = []

    def sleep_and_record(seconds: float) -> None:
        with lock:
            slots.append(100.0 + seconds)  # each thread sleeps from "now" (the clock does not move here)

    pacer = Pacer(5.0, clock, sleep_and_record)
    threads = [threading.Thread(target=lambda: [pacer.wait() for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted([100.0, *slots]) == pytest.approx([100.0 + 0.2 * i for i in range(20)])


def test_rate_zero_never_waits() -> None:
    clock = FakeClock()
    send_times(Pacer(0.0, clock, clock.sleep), clock, 100)
    assert clock.sleeps == []


def test_backoff_doubles_from_the_base_times_the_jitter_drawn() -> None:
    for attempt, factor in ((1, 1), (2, 2), (3, 4), (4, 8)):
        expected = random.Random(7).uniform(0.5, 1.5) * 3.0 * factor
        assert backoff_delay(3.0, attempt, random.Random(7)) == pytest.approx(expected)


def test_backoff_is_capped() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(1.0, 30, rng) for _ in range(200)]
    assert max(delays) < MAX_BACKOFF * 1.5 and min(delays) >= MAX_BACKOFF * 0.5


def test_backoff_jitter_spreads_over_half_to_one_and_a_half() -> None:
    rng = random.Random(42)
    factors = [backoff_delay(2.0, 2, rng) / 4.0 for _ in range(2000)]
    assert min(factors) >= 0.5 and max(factors) < 1.5
    assert min(factors) < 0.55 and max(factors) > 1.45  # the whole range is used, not one value
    assert 0.95 < sum(factors) / len(factors) < 1.05
    assert backoff_delay(0.0, 3, rng) == 0.0


def test_second_send_process_exits_5_at_once_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    """The lock holder is a real process; a `briefing send` in another one (through the
    entry point) stops at once with exit 5 and sends nothing; once the holder is killed
    with SIGKILL the kernel has released the lock and the next run takes it."""
    env = delivery_env(tmp_path / "data", tmp_path / "out", free_port())
    save_briefing(tiny_briefing(), archive_path(tmp_path / "out", tiny_briefing().edition))
    (tmp_path / "data").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from briefing.deliver.service import exclusive_run\n"
         "with exclusive_run(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
         str(tmp_path / "data")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        second = subprocess.run([sys.executable, "-m", "briefing", "send", "--date", "2026-11-25"], cwd=ROOT,
                                env={**os.environ, "BRIEFING_CONFIG": "", **env}, capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 5
        assert "another `briefing send` is running" in second.stderr
        assert "send.lock" in second.stderr
        with pytest.raises(DeliveryError):
            with exclusive_run(tmp_path / "data"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    with exclusive_run(tmp_path / "data"):
        pass  # released by the kernel, however the holder ended
    result = CliRunner().invoke(main, ["deliveries"], env={"BRIEFING_CONFIG": "", **env})
    assert "the ledger is empty" in result.output  # the refused run queued nothing
