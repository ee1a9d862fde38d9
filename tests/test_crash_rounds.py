"""The crash test (scripts/crash_rounds.py): 20 rounds of killing the server with SIGKILL
during uploads, exports and key rotation lose nothing, break no chain, log nothing twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "crash_rounds.py"


@pytest.mark.slow
def test_twenty_rounds_of_sigkill_lose_nothing_and_log_nothing_twice(tmp_path):
    # Small uploads and short rounds keep this near a minute and a half on two cores:
    # most of a round is `caseapp run` starting (about two seconds of imports).
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--rounds", "20", "--seed", "20261129",
         "--keep", str(tmp_path / "crash"), "--max-upload-kib", "256",
         "--max-kill-delay", "1.2", "--long-round-chance", "0.15", "--final-timeout", "300"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("round ") for line in lines) == 20
    assert lines[-1].startswith("passed: 20 round(s)")
