"""The evidence vault: blobs encrypted in the vault format, stored in a BlobStore.

`Vault` is the one object the app keeps (on app.extensions["caseapp"]); the CLI uses
`Vault.verify`, `rotate_master_key` and the store's `list()` for `caseapp vault ...`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from caseapp.vault.format import (
    BATCH_BYTES,
    DEFAULT_SEGMENT_SIZE,
    MAX_SEGMENT_SIZE,
    MIN_SEGMENT_SIZE,
    NONCE_PREFIX_SIZE,
    BlobCorrupt,
    BlobHeader,
    BlobInfo,
    BlobTooLarge,
    WriterClosed,
    chunks,
    read_header,
)
from caseapp.vault.keys import DATA_KEY_SIZE, KeyRing, KeyUnwrapFailed, UnknownKey
from caseapp.vault.reader import BlobReader
from caseapp.vault.stores.base import BlobNotFound, BlobStore, check_blob_id
from caseapp.vault.writer import WRITE_BATCH_BYTES, BlobWriter

__all__ = [
    "BlobCorrupt",
    "BlobExists",
    "BlobInfo",
    "BlobReader",
    "BlobTooLarge",
    "BlobWriter",
    "RotationReport",
    "Vault",
    "WriterClosed",
    "rotate_master_key",
]


class BlobExists(Exception):
    """A blob with this id is already in the store."""


class Vault:
    """Encrypted blobs in a store, under data keys wrapped by the instance's key ring."""

    def __init__(
        self,
        store: BlobStore,
        keyring: KeyRing,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        write_batch_size: int = WRITE_BATCH_BYTES,
    ) -> None:
        if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
            raise ValueError(f"segment size must be {MIN_SEGMENT_SIZE}..{MAX_SEGMENT_SIZE}")
        self.store = store
        self.keyring = keyring
        self.segment_size = segment_size
        self.write_batch_size = write_batch_size
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="vault-read")

    def writer(self, blob_id: str) -> BlobWriter:
        """Start a new blob: a fresh data key, wrapped by the active master key."""
        check_blob_id(blob_id)
        if self.store.exists(blob_id):
            raise BlobExists(blob_id)
        data_key = secrets.token_bytes(DATA_KEY_SIZE)
        header = BlobHeader(
            self.segment_size,
            secrets.token_bytes(NONCE_PREFIX_SIZE),
            self.keyring.wrap(data_key, blob_id),
        )
        sink = self.store.create(blob_id)
        try:
            return BlobWriter(
                sink, blob_id, header, data_key, self._after_commit, self.write_batch_size
            )
        except BaseException:
            sink.abort()
            raise

    def _after_commit(self, info: BlobInfo) -> BlobInfo:
        # A rotation began while this blob was written: move it to the new key now,
        # with the old key still in memory, so the rotation can retire the old one.
        if info.key_id != self.keyring.active:
            return replace(info, key_id=self.rewrap(info.blob_id))
        return info

    def put(self, blob_id: str, stream: BinaryIO | Iterable[bytes]) -> BlobInfo:
        """Store everything read from a file-like object or an iterable of bytes."""
        with self.writer(blob_id) as writer:
            for chunk in chunks(stream, BATCH_BYTES):
                writer.write(chunk)
            return writer.close()

    def put_bytes(self, blob_id: str, data: bytes) -> BlobInfo:
        """Store a small blob held in memory."""
        with self.writer(blob_id) as writer:
            writer.write(data)
            return writer.close()

    def open(self, blob_id: str) -> BlobReader:
        """Authenticated plaintext segments; BlobCorrupt on the first bad one."""
        return BlobReader(self.store.open(blob_id), blob_id, self.keyring, self._pool)

    def read_bytes(self, blob_id: str, max_size: int) -> bytes:
        """The whole plaintext of a small blob; BlobTooLarge past `max_size` bytes."""
        parts: list[bytes] = []
        total = 0
        with self.open(blob_id) as reader:
            for segment in reader:
                total += len(segment)
                if total > max_size:
                    raise BlobTooLarge(blob_id)
                parts.append(segment)
        return b"".join(parts)

    def verify(self, blob_id: str) -> BlobInfo:
        """Decrypt the whole blob and recompute its SHA-256 and size (BlobCorrupt if not intact)."""
        sha = hashlib.sha256()
        size = 0
        with self.open(blob_id) as reader:
            for segment in reader:
                sha.update(segment)
                size += len(segment)
            return BlobInfo(blob_id, sha.hexdigest(), size, reader.key_id)

    def key_id_of(self, blob_id: str) -> str:
        """The id of the master key wrapping this blob's data key (header only)."""
        with self.store.open(blob_id) as raw:
            return read_header(raw).wrapped.key_id

    def rewrap(self, blob_id: str, key_id: str | None = None) -> str:
        """Rewrap the data key under `key_id` (default: the active key); data is not touched.

        The ciphertext is copied byte for byte behind the new header into a fresh blob
        that atomically replaces the old one, so a kill midway leaves either version.
        """
        key_id = key_id or self.keyring.active
        with self.store.open(blob_id) as raw:
            header = read_header(raw)
            if header.wrapped.key_id == key_id:
                return key_id
            try:
                data_key = self.keyring.unwrap(header.wrapped, blob_id)
            except (UnknownKey, KeyUnwrapFailed):
                raise BlobCorrupt from None
            new_header = replace(header, wrapped=self.keyring.wrap(data_key, blob_id, key_id))
            with self.store.create(blob_id) as sink:
                sink.write(new_header.to_bytes())
                while chunk := raw.read(BATCH_BYTES):
                    sink.write(chunk)
                sink.commit()
        return key_id

    def delete(self, blob_id: str) -> None:
        """Remove a blob (a missing one is ignored)."""
        self.store.delete(blob_id)

    def close(self) -> None:
        """Stop the read-ahead threads (each writer stops its own lanes)."""
        self._pool.shutdown()


@dataclass
class RotationReport:
    """The outcome of one run of `rotate_master_key`."""

    target_key_id: str
    rewrapped: int = 0
    already_current: int = 0
    failed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    finished: bool = False


def rotate_master_key(
    vault: Vault,
    blob_ids: Iterable[str] | None = None,
    on_progress: Callable[[str, str], None] | None = None,
) -> RotationReport:
    """Move every blob to a new master key, then retire the keys no blob uses any more.

    The target key is recorded in the key folder before any blob changes, so running
    this again after a kill resumes with the same target. `blob_ids` defaults to every
    blob in the store; `on_progress(blob_id, key_id)` is called after each rewrap.
    An old key is retired only if no blob in the store still names it.
    """
    ring = vault.keyring
    report = RotationReport(ring.begin_rotation())
    for blob_id in vault.store.list() if blob_ids is None else blob_ids:
        try:
            if vault.key_id_of(blob_id) == report.target_key_id:
                report.already_current += 1
                continue
            vault.rewrap(blob_id, report.target_key_id)
        except (BlobCorrupt, BlobNotFound):
            report.failed.append(blob_id)
            continue
        report.rewrapped += 1
        if on_progress is not None:
            on_progress(blob_id, report.target_key_id)
    in_use: set[str] = set()
    unreadable = False
    for blob_id in vault.store.list():
        try:
            in_use.add(vault.key_id_of(blob_id))
        except BlobCorrupt:
            unreadable = True
        except BlobNotFound:
            continue
    for key_id in ring.key_ids:
        if key_id == report.target_key_id:
            continue
        if unreadable or key_id in in_use:
            report.kept.append(key_id)
        else:
            ring.retire(key_id)
            report.retired.append(key_id)
    if not report.kept and not report.failed:
        ring.finish_rotation()
        report.finished = True
    return report
