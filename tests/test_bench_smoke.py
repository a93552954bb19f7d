"""Every benchmark runs end to end at its smallest size (a smoke test: nothing here is timed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", ["rank.py", "edition.py", "deliver.py", "fetch.py"])
def test_benchmark_quick_run_prints_its_table(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--quick"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) >= 3, done.stdout
