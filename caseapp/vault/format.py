"""The vault's blob format: constants, header and errors (see docs/vault-format.md).

A blob is a header (magic, version, algorithm, segment size, nonce prefix, key slot)
followed by AES-256-GCM segments in the STREAM construction: each segment's nonce is the
blob's random prefix, a segment counter and a last-segment flag, and its associated data
binds the blob id and the immutable header fields. A fresh data key per blob is wrapped by
the instance master key (keys.py); the wrapped key sits in the header, so blobs plus the
master key recover content without the database.

Plaintext exists only in memory: writer.py hashes and encrypts it on the way in, and
reader.py releases a segment on the way out only once its tag has been checked.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from caseapp.vault.keys import (
    KEY_ID_RE,
    WRAPPED_KEY_SIZE,
    WrappedKey,
)

MAGIC = b"CAVB"
VERSION = 1
ALG_AES256GCM_STREAM = 1
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
DEFAULT_SEGMENT_SIZE = 64 * 1024
MIN_SEGMENT_SIZE = 16
MAX_SEGMENT_SIZE = 16 * 1024 * 1024
MAX_SEGMENTS = 2**32
_FIXED = struct.Struct(">4sBBI7s")
# Plaintext and ciphertext move through the writer and the reader in batches of about
# this size: large enough that per-call costs vanish, small enough to keep memory flat.
BATCH_BYTES = 1024 * 1024


class BlobCorrupt(Exception):
    """The blob is not intact (altered, truncated, reordered, swapped, or the wrong key)."""


class BlobTooLarge(Exception):
    """The blob is larger than the caller allows (or than the format can count)."""


class WriterClosed(Exception):
    """The blob writer was already closed or aborted."""


@dataclass(frozen=True)
class BlobInfo:
    """What the vault knows of a stored blob: SHA-256 and size of the plaintext."""

    blob_id: str
    sha256: str
    size: int
    key_id: str


@dataclass(frozen=True)
class BlobHeader:
    """A blob's header. Everything but the key slot is bound into every segment."""

    segment_size: int
    nonce_prefix: bytes
    wrapped: WrappedKey

    def fixed(self) -> bytes:
        """The immutable fields: magic, version, algorithm, segment size, nonce prefix."""
        return _FIXED.pack(
            MAGIC, VERSION, ALG_AES256GCM_STREAM, self.segment_size, self.nonce_prefix
        )

    def to_bytes(self) -> bytes:
        """The header as stored: fixed fields, then the key slot."""
        kid = self.wrapped.key_id.encode("ascii")
        sealed = self.wrapped.sealed
        return self.fixed() + bytes([len(kid)]) + kid + bytes([len(sealed)]) + sealed

    def segment_aad(self, blob_id: str) -> bytes:
        """Associated data of every segment: fixed header fields and the blob id."""
        bid = blob_id.encode("ascii")
        return self.fixed() + bytes([len(bid)]) + bid

    def nonce(self, counter: int, last: bool) -> bytes:
        """prefix (7) || counter (4, big-endian) || last flag (1)."""
        return self.nonce_prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _read_exact(raw: BinaryIO, size: int) -> bytes:
    """Read `size` bytes, fewer only at the end of the stream."""
    data = raw.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = raw.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_header(raw: BinaryIO) -> BlobHeader:
    """Parse a header from the start of `raw`; anything malformed is BlobCorrupt."""
    fixed = _read_exact(raw, _FIXED.size)
    if len(fixed) != _FIXED.size:
        raise BlobCorrupt
    magic, version, alg, segment_size, prefix = _FIXED.unpack(fixed)
    if (magic, version, alg) != (MAGIC, VERSION, ALG_AES256GCM_STREAM):
        raise BlobCorrupt
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise BlobCorrupt
    kid_len = _read_exact(raw, 1)
    kid = _read_exact(raw, kid_len[0]) if kid_len else b""
    slot_len = _read_exact(raw, 1)
    if not kid or not slot_len or slot_len[0] != WRAPPED_KEY_SIZE:
        raise BlobCorrupt
    sealed = _read_exact(raw, WRAPPED_KEY_SIZE)
    key_id = kid.decode("ascii", errors="replace")
    if len(sealed) != WRAPPED_KEY_SIZE or not KEY_ID_RE.fullmatch(key_id):
        raise BlobCorrupt
    return BlobHeader(segment_size, prefix, WrappedKey(key_id, sealed))


def chunks(stream: BinaryIO | Iterable[bytes], size: int) -> Iterator[bytes | memoryview]:
    """Chunks of a file-like object (one reused buffer) or of an iterable of bytes."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        buffer = bytearray(size)
        view = memoryview(buffer)
        while n := readinto(buffer):
            yield view[:n]
        return
    read = getattr(stream, "read", None)
    if read is not None:
        while chunk := read(size):
            yield chunk
        return
    yield from stream
