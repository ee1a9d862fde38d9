"""`caseapp backup DEST` and `caseapp restore SRC`: a consistent copy of an instance.

The database is copied first (SQLite's online backup API: a consistent snapshot even
while the app runs), then the vault and keys. Blobs are committed before the rows that
point at them, so every row in the snapshot finds its blob in the copy taken after it;
blobs newer than the snapshot are harmless strays (`caseapp vault sweep`). A manifest
with every file's SHA-256 lets `restore` refuse a damaged or incomplete backup. Both
sides are readable by their owner alone (files 0600, folders 0700), whatever the umask.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from caseapp.config import CONFIG_FILE, SECRET_KEY_FILE, Settings
from caseapp.vault.files import (
    DIR_MODE,
    copy_file,
    make_dir,
    restrict_tree,
    touch_private,
    write_new_file,
)

MANIFEST = "caseapp-backup.json"
DATABASE_FILE = "caseapp.db"
FORMAT = 1


class BackupError(Exception):
    """The backup or restore cannot be done as asked; the message says why."""


def _sqlite_path(settings: Settings) -> Path:
    prefix = "sqlite:///"
    if not settings.database_url.startswith(prefix):
        raise BackupError(
            "only the embedded SQLite database can be backed up here; use pg_dump for PostgreSQL"
        )
    return Path(settings.database_url.removeprefix(prefix))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts and relative.parts[0] == "tmp":
            continue  # half-written blobs of uploads in progress
        destination = target / relative
        if path.is_dir():
            make_dir(destination)
        elif path.is_file():
            copy_file(path, destination)


def backup(settings: Settings, destination: Path) -> dict[str, str]:
    """Copy database, vault, keys and config into `destination` (new or empty)."""
    database = _sqlite_path(settings)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty")
    make_dir(destination)
    os.chmod(destination, DIR_MODE)  # it may have existed (empty) with any mode
    touch_private(destination / DATABASE_FILE)
    with sqlite3.connect(database) as source, sqlite3.connect(destination / DATABASE_FILE) as copy:
        source.backup(copy)
    copy.close()
    for name in (CONFIG_FILE, SECRET_KEY_FILE):
        if (settings.instance_path / name).exists():
            copy_file(settings.instance_path / name, destination / name)
    for folder, source_dir in (("keys", settings.keys_path), ("vault", settings.vault_path)):
        make_dir(destination / folder)
        _copy_tree(source_dir, destination / folder)
    files = {
        str(path.relative_to(destination)): _digest(path)
        for path in sorted(destination.rglob("*"))
        if path.is_file()
    }
    write_new_file(
        destination / MANIFEST, json.dumps({"format": FORMAT, "files": files}, indent=1).encode()
    )
    return files


def restore(source: Path, instance: Path, *, force: bool = False) -> int:
    """Check a backup against its manifest and copy it into the instance folder."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} is not a caseapp backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    files: dict[str, str] = manifest["files"]
    for name, expected in files.items():
        path = source / name
        if ".." in Path(name).parts or not path.is_file():
            raise BackupError(f"backup incomplete: {name} is missing")
        if _digest(path) != expected:
            raise BackupError(f"backup damaged: {name} does not match its SHA-256")
    if (instance / DATABASE_FILE).exists() and not force:
        raise BackupError(
            f"{instance} already holds an instance; restore into an empty folder or pass --force"
        )
    make_dir(instance)
    for name in files:
        target = instance / name
        make_dir(target.parent)
        copy_file(source / name, target)
    for stale in ("-wal", "-shm"):
        (instance / f"{DATABASE_FILE}{stale}").unlink(missing_ok=True)
    # Folders restored over (--force) keep whatever mode they had before.
    restrict_tree(instance)
    return len(files)
