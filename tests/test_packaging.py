"""The package as users install it: a wheel built from this checkout, installed with
``pip install --target`` (where data files land outside any prefix the package could
guess), must find its templates and build the sample briefing on its own.

Offline: the wheel is built without build isolation (setuptools is in the venv) and
installed without an index or dependencies (they are already importable here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
#: What a build reads: a copy keeps the checkout free of build/ and egg-info litter.
SOURCE_PARTS = ("pyproject.toml", "setup.py", "README.md", "briefing", "templates")


def pip(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for part in SOURCE_PARTS:
        if (PROJECT / part).is_dir():
            shutil.copytree(PROJECT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(PROJECT / part, source / part)
    pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "dist"), ".", cwd=source)
    wheel = next((work / "dist").glob("briefing-*.whl"))
    installed = work / "target"
    pip("install", "--no-deps", "--no-index", "--target", str(installed), str(wheel), cwd=work)
    return installed


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Python with the --target folder first on the path, away from the checkout."""
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    env.pop("BRIEFING_CONFIG", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_target_install_uses_its_own_templates(target: Path, tmp_path: Path) -> None:
    shown = run_installed(target, "-c", "import briefing.render as r, briefing.config as c; "
                          "print(r.__file__); print(r.templates_dir(c.RenderConfig()))", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    module, templates = map(Path, shown.stdout.split("\n")[:2])
    assert module.is_relative_to(target)
    assert templates.is_relative_to(target) and (templates / "print.html.j2").is_file()


def test_target_install_builds_the_sample_briefing(target: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = run_installed(target, "-m", "briefing", "build", "--formats", "pdf,html,txt", "--out", str(out), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert [p.name for p in sorted(out.glob("briefing-*.*"))] == [
        f"briefing-2026-11-25.{ext}" for ext in ("html", "json", "pdf", "txt")
    ]
    text = (out / "briefing-2026-11-25.txt").read_text("utf-8")
    assert "DIPLOMACY" in text and "SOURCES" in text
    assert (out / "briefing-2026-11-25.pdf").read_bytes().startswith(b"%PDF-")
