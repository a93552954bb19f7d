"""bench/edition.py's generated news, for tests that need an edition's worth of it."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType

BENCH_EDITION = Path(__file__).resolve().parent.parent / "bench" / "edition.py"


@lru_cache(maxsize=1)
def bench_edition() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_edition", BENCH_EDITION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
