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
