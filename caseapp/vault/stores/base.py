"""The store interface every blob store implements, and the blob id rule they share.

The store only ever sees ciphertext. Blob ids are made by the server
(`caseapp.database.new_id`); a store refuses anything else, and a user's file name never
comes near a path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, Protocol, Self

BLOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InvalidBlobId(ValueError):
    """A blob id is not one the server could have generated."""


class BlobPathOutsideRoot(ValueError):
    """A blob's path would resolve outside the store's root."""


class BlobNotFound(LookupError):
    """No blob with this id is in the store."""


class SinkClosed(Exception):
    """The blob sink was already committed or aborted."""


class BlobSink(Protocol):
    """A blob being written: invisible under its id until `commit` returns."""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes to the blob (a view is only read during the call)."""

    def commit(self) -> None:
        """Make the blob durable and visible under its id, replacing any previous one."""

    def abort(self) -> None:
        """Throw the partial blob away (idempotent)."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStore(Protocol):
    """Raw encrypted blobs by id. Small on purpose, so an S3 store can implement it."""

    def create(self, blob_id: str) -> BlobSink:
        """Start writing a blob (on commit it replaces any blob with the same id)."""

    def open(self, blob_id: str) -> BinaryIO:
        """The blob's raw bytes; raises BlobNotFound."""

    def delete(self, blob_id: str) -> None:
        """Remove a blob; removing a missing blob is not an error."""

    def list(self) -> Iterator[str]:
        """Ids of every committed blob."""

    def exists(self, blob_id: str) -> bool:
        """Whether a committed blob has this id."""

    def size(self, blob_id: str) -> int:
        """The blob's stored (encrypted) size in bytes; raises BlobNotFound."""

    def modified_at(self, blob_id: str) -> float:
        """When the blob was last written, as a POSIX timestamp; raises BlobNotFound."""

    def remove_stale_temp(self, older_than_seconds: float, *, dry_run: bool = False) -> int:
        """Discard blobs begun but never committed or aborted (a writer that crashed) and
        untouched for `older_than_seconds`; returns how many (with `dry_run`, only counts).

        The local store deletes its old temp files; an object store aborts its stale
        multipart uploads.
        """


def check_blob_id(blob_id: str) -> str:
    """Return `blob_id` if it has the shape of a server-made id, else raise InvalidBlobId."""
    if not isinstance(blob_id, str) or not BLOB_ID_RE.fullmatch(blob_id):
        raise InvalidBlobId(repr(blob_id)[:80])
    return blob_id
