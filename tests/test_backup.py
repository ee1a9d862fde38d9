"""An operator backs up an instance and restores it elsewhere; a damaged backup is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def caseapp(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    return subprocess.run([sys.executable, "-m", "caseapp.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_backup_then_restore_gives_a_working_identical_instance(tmp_path):
    original, copy, restored = tmp_path / "instance", tmp_path / "backup", tmp_path / "restored"
    assert caseapp(original, "init").returncode == 0
    assert caseapp(original, "demo").returncode == 0
    made = caseapp(original, "backup", str(copy))
    assert made.returncode == 0, made.stderr
    assert (copy / "caseapp-backup.json").is_file()
    done = caseapp(restored, "restore", str(copy))
    assert done.returncode == 0, done.stderr
    for command in (("vault", "verify"), ("custody", "verify")):
        result = caseapp(restored, *command)
        assert result.returncode == 0, result.stdout
    assert caseapp(original, "custody", "verify").stdout.split("head ")[1].split()[0] == \
        caseapp(restored, "custody", "verify").stdout.split("head ")[1].split()[0]
    again = caseapp(restored, "restore", str(copy))
    assert again.returncode == 1
    assert "already holds an instance" in again.stderr


def test_damaged_backup_is_refused_and_nothing_is_written(tmp_path):
    original, copy, target = tmp_path / "instance", tmp_path / "backup", tmp_path / "target"
    caseapp(original, "init")
    caseapp(original, "demo")
    caseapp(original, "backup", str(copy))
    blob = next(p for p in (copy / "vault").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes()[:-1])
    result = caseapp(target, "restore", str(copy))
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert not (target / "caseapp.db").exists()


def test_backup_into_a_non_empty_folder_is_refused(tmp_path):
    original, busy = tmp_path / "instance", tmp_path / "busy"
    caseapp(original, "init")
    busy.mkdir()
    (busy / "other.txt").write_text("keep me")
    result = caseapp(original, "backup", str(busy))
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert (busy / "other.txt").read_text() == "keep me"
