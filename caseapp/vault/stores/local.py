"""The local-directory blob store: committed blobs as files, written durably."""

from __future__ import annotations

import errno
import fcntl
import io
import mmap
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self

from caseapp.vault.files import fsync_dir, make_dir, open_private
from caseapp.vault.stores.base import (
    BLOB_ID_RE,
    BlobNotFound,
    BlobPathOutsideRoot,
    SinkClosed,
    check_blob_id,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# While a large blob arrives, what has been written is synced in the background every
# few MiB, so the fsync at commit waits for the last few MiB rather than the whole file.
# Synced pages are then dropped from the page cache: a blob is written once and read
# rarely, and keeping it cached would push out what is in use, for nothing.
_BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024
# Direct writes go out in whole blocks of this size (it suits 512- and 4096-byte
# sectors alike), gathered in a staging buffer of a few MiB.
_DIRECT_BLOCK = 4096
_STAGE_BYTES = 4 * 1024 * 1024
_O_DIRECT: int = getattr(os, "O_DIRECT", 0)
# Reading a large blob drops the pages already read, for the same reason; a small blob,
# such as a thumbnail read again and again, never gets that far and stays cached.
_DROP_BEHIND_BYTES = 16 * 1024 * 1024
_TMP_DIR = "tmp"
_TMP_SUFFIX = ".part"


def _sync_and_drop(fd: int, length: int) -> None:
    """Make the first `length` bytes durable, then let the kernel reuse their pages."""
    os.fdatasync(fd)
    os.posix_fadvise(fd, 0, length, os.POSIX_FADV_DONTNEED)


def _create(path: Path) -> tuple[int, bool]:
    """Create a new file for writing, with O_DIRECT where the file system supports it;
    returns the descriptor and whether it is direct."""
    flags = os.O_WRONLY | os.O_EXCL
    if _O_DIRECT:
        try:
            return open_private(path, flags | _O_DIRECT), True
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return open_private(path, flags), False


class LocalSink:
    """A blob written to a random temp name under root/tmp, renamed into place on commit.

    Where the file system allows it, the blob is written with O_DIRECT from an aligned
    staging buffer: straight to the device, with no copy into the page cache (on a
    virtual machine that copy costs about as much as hashing) and nothing pushed out of
    it. Only the last part-block goes through the page cache. Elsewhere, or if the file
    system turns an aligned write down, it falls back to ordinary buffered writes.
    """

    def __init__(self, tmp_dir: Path, final: Path) -> None:
        self._final = final
        self._tmp = tmp_dir / f"{secrets.token_hex(16)}{_TMP_SUFFIX}"
        self._fd, direct = _create(self._tmp)
        self._open = True
        # The staging buffer exists while the file is direct. mmap memory is page-aligned,
        # as O_DIRECT requires of the source buffer.
        self._stage = mmap.mmap(-1, _STAGE_BYTES) if direct else None
        self._staged = 0
        self._written = 0
        self._synced = 0
        self._syncer: threading.Thread | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes to the temp file."""
        if not self._open:
            raise SinkClosed
        view = memoryview(data).cast("B")
        while view:
            if self._stage is None:
                self._write_through(view)
                return
            take = min(len(view), _STAGE_BYTES - self._staged)
            self._stage[self._staged : self._staged + take] = view[:take]
            self._staged += take
            view = view[take:]
            if self._staged == _STAGE_BYTES:
                self._flush_stage(self._stage, final=False)

    def _flush_stage(self, stage: mmap.mmap, final: bool) -> None:
        """Write what is staged: whole blocks directly, and at the end the last part-block
        through the page cache. Before the end the stage is only flushed when full."""
        aligned = self._staged - self._staged % _DIRECT_BLOCK
        with memoryview(stage) as view:
            self._write_direct(view[:aligned])
            if final and aligned < self._staged:
                self._leave_direct()
                self._write_through(view[aligned : self._staged])
        self._staged = 0

    def _write_direct(self, view: memoryview) -> None:
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                # The file system refused an aligned direct write: carry on buffered.
                self._leave_direct()
                self._write_through(view)
                return
            self._written += written
            view = view[written:]

    def _leave_direct(self) -> None:
        """Turn O_DIRECT off: from here on every write goes through the page cache."""
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~_O_DIRECT)
        self._stage = None

    def _write_through(self, view: memoryview) -> None:
        """Buffered write; a large blob is synced and dropped from the cache as it grows."""
        while view:
            written = os.write(self._fd, view)
            self._written += written
            view = view[written:]
        if self._written - self._synced >= _BACKGROUND_SYNC_BYTES and not self._syncing():
            self._synced = self._written
            self._syncer = threading.Thread(
                target=_sync_and_drop, args=(self._fd, self._synced), daemon=True
            )
            self._syncer.start()

    def _syncing(self) -> bool:
        return self._syncer is not None and self._syncer.is_alive()

    def _close(self) -> None:
        if self._syncer is not None:
            self._syncer.join()
            self._syncer = None
        if self._open:
            os.close(self._fd)
            self._open = False
        self._stage = None

    def commit(self) -> None:
        """fsync the temp file, rename it to its final name, fsync the folder."""
        if not self._open:
            raise SinkClosed
        try:
            if self._stage is not None:
                self._flush_stage(self._stage, final=True)
            if self._syncer is not None:
                self._syncer.join()
            os.fsync(self._fd)
        except BaseException:
            self.abort()
            raise
        self._close()
        shard = self._final.parent
        if not shard.is_dir():
            make_dir(shard)
            fsync_dir(shard.parent)
        os.replace(self._tmp, self._final)
        fsync_dir(shard)

    def abort(self) -> None:
        """Close and remove the temp file; nothing appears under the blob id."""
        self._close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Leaving the block without commit() means the blob is incomplete.
        if self._open:
            self.abort()


class BlobFile(io.FileIO):
    """A committed blob opened for reading, unbuffered (callers read in large batches)."""

    _dropped = 0

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        """Read into `buffer`; pages of a large blob are dropped behind the reader."""
        n = super().readinto(buffer)
        position = self.tell()
        if position - self._dropped >= _DROP_BEHIND_BYTES:
            os.posix_fadvise(self.fileno(), 0, position, os.POSIX_FADV_DONTNEED)
            self._dropped = position
        return n


class LocalStore:
    """Blobs as files under an absolute root, sharded by the first two id characters.

    root/ab/abcdef...   committed blobs (mode 0600, folders 0700)
    root/tmp/*.part     blobs being written; never listed, removed by `remove_stale_temp`
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self._tmp = self.root / _TMP_DIR
        make_dir(self._tmp)

    def _path(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        path = self.root / blob_id[:2] / blob_id
        # Ids cannot hold "/" or ".", but a planted symlink could still lead out.
        if not path.resolve().is_relative_to(self.root):
            raise BlobPathOutsideRoot(blob_id)
        return path

    def create(self, blob_id: str) -> LocalSink:
        """Start writing a blob under a temp name."""
        return LocalSink(self._tmp, self._path(blob_id))

    def open(self, blob_id: str) -> BinaryIO:
        """Open a committed blob for reading."""
        try:
            return BlobFile(self._path(blob_id), "rb")
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None

    def delete(self, blob_id: str) -> None:
        """Remove a blob durably; a missing blob is ignored."""
        path = self._path(blob_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def list(self) -> Iterator[str]:
        """Ids of committed blobs, in a stable order; temp files are skipped."""
        for shard in sorted(self.root.iterdir()):
            if len(shard.name) != 2 or not shard.is_dir() or shard.is_symlink():
                continue
            for path in sorted(shard.iterdir()):
                name = path.name
                if BLOB_ID_RE.fullmatch(name) and name[:2] == shard.name and path.is_file():
                    yield name

    def exists(self, blob_id: str) -> bool:
        """Whether a committed blob has this id."""
        return self._path(blob_id).is_file()

    def size(self, blob_id: str) -> int:
        """Stored size of a blob in bytes."""
        try:
            return self._path(blob_id).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None

    def modified_at(self, blob_id: str) -> float:
        """When the blob was last written (mtime)."""
        try:
            return self._path(blob_id).stat().st_mtime
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None

    def remove_stale_temp(
        self, older_than_seconds: float = 24 * 3600, *, dry_run: bool = False
    ) -> int:
        """Delete temp files left by crashed writers; returns how many were removed
        (with `dry_run`, how many would be)."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self._tmp.glob(f"*{_TMP_SUFFIX}"):
            try:
                if path.stat().st_mtime < cutoff:
                    if not dry_run:
                        path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
