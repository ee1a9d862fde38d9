"""Instance files are the owner's alone (files 0600, folders 0700) whatever the umask:
after `caseapp init`, `backup` and `restore`, run as real processes under umask 000."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

# The console script, run with the loosest umask there is.
CASEAPP = [sys.executable, "-c", "import os; os.umask(0); from caseapp.cli import main; main()"]


def caseapp(instance: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    result = subprocess.run([*CASEAPP, *args], input=stdin, capture_output=True, text=True,
                            env=env, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def too_open(root: Path) -> list[str]:
    """Every path under `root` (itself included) that its group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root)} {oct(mode)}")
    return found


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance made under umask 000, with a user and a piece of evidence in it."""
    path = tmp_path_factory.mktemp("modes") / "instance"
    caseapp(path, "init")
    caseapp(path, "demo")
    return path


def test_init_under_umask_000_leaves_nothing_readable_by_others(instance):
    assert too_open(instance) == []
    assert stat.S_IMODE((instance / "caseapp.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((instance / "caseapp.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((instance / "vault").stat().st_mode) == 0o700
    assert any((instance / "vault").rglob("*")), "the demo stored no blob"


def test_backup_and_restore_under_umask_000_keep_everything_private(instance, tmp_path):
    backup = tmp_path / "backups" / "today"
    caseapp(instance, "backup", str(backup))
    assert too_open(backup) == []
    restored = tmp_path / "restored"
    caseapp(restored, "restore", str(backup))
    assert too_open(restored) == []
    assert stat.S_IMODE((restored / "vault").stat().st_mode) == 0o700


def test_init_again_takes_group_and_other_bits_off_an_older_instance(instance, tmp_path):
    caseapp(instance, "backup", str(tmp_path / "copy"))
    older = tmp_path / "older"
    caseapp(older, "restore", str(tmp_path / "copy"))
    for path in [older / "caseapp.toml", older / "caseapp.db", older / "vault"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    caseapp(older, "init")
    assert too_open(older) == []


def test_the_database_and_its_wal_files_are_0600_while_the_app_writes(tmp_path):
    # A database the app creates itself on first start (no `init`), and SQLite's -wal and
    # -shm files, which take the database's mode, looked at while a connection is open.
    script = """
import os, stat, sys
from pathlib import Path
os.umask(0)
from caseapp import create_app
from caseapp.extensions import db
from caseapp.vault.setup import create_key_ring
from sqlalchemy import text
folder = Path(sys.argv[1])
create_key_ring(folder / "keys")
app = create_app(config={"secret_key": "x" * 32}, instance_path=folder)
with app.app_context():
    with db.engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        connection.commit()
        for name in ("caseapp.db", "caseapp.db-wal", "caseapp.db-shm"):
            print(name, oct(stat.S_IMODE((folder / name).stat().st_mode)))
"""
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "fresh")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "caseapp.db", "0o600", "caseapp.db-wal", "0o600", "caseapp.db-shm", "0o600",
    ]
