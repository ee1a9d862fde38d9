"""caseapp/ and tests/ stay lint-clean (ruff, with the S and PT rule sets); caseapp/ type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff_finds_nothing_in_the_package_or_its_tests():
    result = run("ruff", "check", "caseapp", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_package():
    result = run("mypy", "caseapp")
    assert result.returncode == 0, result.stdout + result.stderr
