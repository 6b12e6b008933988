"""Lint, format and type checks, run with the rest of the tests (ruff and mypy from the test extra)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["segref", "sitebuild", "tests", "benchmarks", "conformance"]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)


# one pytest-xdist worker runs them in turn: the second mypy run reads the first one's cache (.mypy_cache)
# instead of analysing segref and torch's stubs again
@pytest.mark.xdist_group("lint")
@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", *SOURCES),
        ("ruff", "format", "--check", *SOURCES),
        ("mypy",),
        ("mypy", "--warn-unused-ignores", "tests/typing_check.py"),
    ],
    ids=["ruff check", "ruff format", "mypy segref", "mypy public types"],
)
def test_clean(command):
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_control_characters_in_sources_or_pages():
    """A LaTeX command written through a non-raw string becomes a control character
    (``\\frac`` a form feed, ``\\alpha`` a bell); text files hold none but newlines."""
    control = {chr(c) for c in range(32)} - {"\n"}
    files = [p for source in [*SOURCES, "docs"] for p in (ROOT / source).rglob("*") if p.suffix in (".py", ".md")]
    files += [ROOT / name for name in ("README.md", "CHANGELOG.md", "mkdocs.yml")]
    bad = [
        f"{p.relative_to(ROOT)}:{number}"
        for p in files
        # split at newlines only: splitlines() also splits at a form feed or carriage return (\f, \r),
        # which would hide the very characters this test looks for
        for number, line in enumerate(p.read_text(encoding="utf-8").split("\n"), start=1)
        if control & set(line)
    ]
    assert len(files) > 50 and not bad, bad
