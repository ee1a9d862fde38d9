"""Instance files with the owner's permissions only, whatever the process umask.

Everything under the instance folder is either a secret (keys, the secret key), case
content (the database, blobs) or settings that may hold passwords (caseapp.toml): no
other account on the machine has a reason to read any of it. The mode given to open()
or mkdir() is only an upper bound that the umask narrows, and `mkdir(parents=True)`
gives the folders it adds on the way the umask's default, so every helper here sets
the mode itself (fchmod, chmod) instead of trusting the umask to be 022 or tighter.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def fsync_dir(path: Path) -> None:
    """Make the entries of a folder (a file created, renamed or removed) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path, mode: int = DIR_MODE) -> None:
    """Create `path` and every missing folder above it with `mode`; an existing one is
    left as it is."""
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode)
        except FileExistsError:
            continue  # made meanwhile by another process: its mode is that one's business
        os.chmod(folder, mode)


def open_private(path: Path, flags: int, mode: int = FILE_MODE) -> int:
    """os.open with O_CREAT, the new file's mode set exactly to `mode`."""
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_new_file(path: Path, content: bytes, mode: int = FILE_MODE) -> None:
    """Create `path` with `mode`, refusing to overwrite anything, and make it durable."""
    fd = open_private(path, os.O_WRONLY | os.O_EXCL, mode)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def replace_file(path: Path, content: bytes, mode: int = FILE_MODE) -> None:
    """Atomically set a small file (temp name, fsync, rename, fsync the folder)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    write_new_file(tmp, content, mode)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def touch_private(path: Path, mode: int = FILE_MODE) -> None:
    """Create an empty file with `mode` unless one exists (an existing file is untouched).

    For files another library creates with the umask's mode, SQLite's database first of
    all: it keeps the mode of a file it finds, and gives its -wal and -shm files the
    database's own mode.
    """
    try:
        fd = open_private(path, os.O_WRONLY | os.O_EXCL, mode)
    except FileExistsError:
        return
    os.close(fd)


def copy_file(source: Path, target: Path, mode: int = FILE_MODE) -> None:
    """Copy `source` to `target` (replacing it) with `mode`, keeping the modified time.

    Not shutil.copy2, which copies the source's mode: a backup taken from an instance
    whose files are 0644 would carry those bits into the copy.
    """
    fd = open_private(target, os.O_WRONLY | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)
    stat = source.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def restrict_tree(root: Path) -> None:
    """Take group and other permissions off `root` and everything under it.

    For an instance or a backup made before modes were set explicitly, or by hand:
    folders become 0700, files 0600. Symbolic links are not followed.
    """
    os.chmod(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder, name)
            if not path.is_symlink():
                os.chmod(path, DIR_MODE)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                os.chmod(path, FILE_MODE)
