"""The vault's blob format: header, segment writer and reader (see docs/vault-format.md).

A blob is a header (magic, version, algorithm, segment size, nonce prefix, key slot)
followed by AES-256-GCM segments in the STREAM construction: each segment's nonce is the
blob's random prefix, a segment counter and a last-segment flag, and its associated data
binds the blob id and the immutable header fields. A fresh data key per blob is wrapped by
the instance master key (keys.py); the wrapped key sits in the header, so blobs plus the
master key recover content without the database.

Plaintext exists only in memory: it is hashed and encrypted on the way in, and on the way
out a segment is released only once its tag has been checked.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.evidence.keys import (
    KEY_ID_RE,
    WRAPPED_KEY_SIZE,
    KeyRing,
    KeyUnwrapFailed,
    UnknownKey,
    WrappedKey,
)
from caseapp.evidence.store import BlobSink

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
# Plaintext is gathered into batches of about this size. For a large blob, a batch's
# SHA-256 and the writing of the previous batch's ciphertext run on helper threads
# (hashlib and file I/O release the GIL) while this thread encrypts.
BATCH_BYTES = 1024 * 1024
_THREAD_HASH_MIN = 256 * 1024


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
        return self.fixed() + bytes([len(kid)]) + kid + bytes([len(self.wrapped.sealed)]) + (
            self.wrapped.sealed
        )

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


def _fill(raw: BinaryIO, buffer: memoryview) -> int:
    """Fill `buffer` from `raw`; fewer bytes only at the end of the stream."""
    readinto = getattr(raw, "readinto", None)
    got = 0
    while got < len(buffer):
        if readinto is not None:
            n = readinto(buffer[got:])
        else:
            chunk = raw.read(len(buffer) - got)
            n = len(chunk)
            buffer[got : got + n] = chunk
        if not n:
            break
        got += n
    return got


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


class BlobWriter:
    """Hashes and encrypts one blob as it arrives; at most one batch of plaintext is held.

    The last segment is only known at close, so the writer keeps back at least one byte;
    an empty final segment therefore only ever occurs in an empty blob.
    """

    def __init__(
        self,
        sink: BlobSink,
        blob_id: str,
        header: BlobHeader,
        data_key: bytes,
        pool: ThreadPoolExecutor | None = None,
        on_commit: Callable[[BlobInfo], BlobInfo] | None = None,
    ) -> None:
        self._sink = sink
        self._blob_id = blob_id
        self._header = header
        self._aes = AESGCM(data_key)
        self._aad = header.segment_aad(blob_id)
        self._seg = header.segment_size
        self._batch = max(1, BATCH_BYTES // self._seg) * self._seg
        self._pool = pool
        self._writing: Future[None] | None = None
        self._on_commit = on_commit
        self._sha = hashlib.sha256()
        self._tail = bytearray()
        self._counter = 0
        self._size = 0
        self._open = True
        self.info: BlobInfo | None = None
        sink.write(header.to_bytes())

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Add plaintext. The bytes may be reused by the caller once this returns."""
        if not self._open:
            raise WriterClosed
        view = memoryview(data).cast("B")
        if len(self._tail) + len(view) <= self._batch:
            self._tail += view
            return
        if self._tail:
            take = -len(self._tail) % self._seg
            self._tail += view[:take]
            view = view[take:]
            with memoryview(self._tail) as tail:
                self._seal(tail, final=False)
            self._tail = bytearray()
        whole = (len(view) - 1) // self._seg * self._seg
        if whole:
            self._seal(view[:whole], final=False)
        self._tail += view[whole:]

    def _seal(self, region: memoryview, final: bool) -> None:
        """Hash and encrypt whole segments of `region` (the last one short only if final)."""
        pool = self._pool if len(region) >= _THREAD_HASH_MIN else None
        hashing: Future[None] | None = None
        if pool is not None:
            hashing = pool.submit(self._sha.update, region)
        else:
            self._sha.update(region)
        try:
            seg, size = self._seg, len(region)
            offsets = range(0, size, seg) if size else range(1)
            if self._counter + len(offsets) > MAX_SEGMENTS:
                raise BlobTooLarge
            sealed: list[bytes] = []
            for offset in offsets:
                last = final and offset + seg >= size
                nonce = self._header.nonce(self._counter + len(sealed), last)
                sealed.append(self._aes.encrypt(nonce, region[offset : offset + seg], self._aad))
            self._drain()
            if pool is not None:
                self._writing = pool.submit(self._write_all, sealed)
            else:
                self._write_all(sealed)
            self._counter += len(sealed)
            self._size += size
        finally:
            # The hash thread reads the caller's buffer: wait even when failing.
            if hashing is not None:
                hashing.result()

    def _write_all(self, sealed: list[bytes]) -> None:
        # One write per batch, not per segment: a 1 GiB blob is 16,384 segments, and the
        # system calls cost more than joining the batch in memory.
        self._sink.write(b"".join(sealed))

    def _drain(self) -> None:
        """Wait for the previous batch to reach the sink (and raise if it did not)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def close(self) -> BlobInfo:
        """Seal the final segment, commit the blob durably and return its BlobInfo."""
        if not self._open:
            raise WriterClosed
        try:
            with memoryview(self._tail) as tail:
                self._seal(tail, final=True)
            self._drain()
            self._sink.commit()
        except BaseException:
            self.abort()
            raise
        self._open = False
        key_id = self._header.wrapped.key_id
        info = BlobInfo(self._blob_id, self._sha.hexdigest(), self._size, key_id)
        self.info = self._on_commit(info) if self._on_commit else info
        return self.info

    def abort(self) -> None:
        """Throw the blob away; nothing is stored under its id."""
        self._open = False
        self._tail = bytearray()
        if self._writing is not None:
            wait([self._writing])
            self._writing = None
        self._sink.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._open:
            return
        if exc_type is None:
            self.close()
        else:
            self.abort()


class BlobReader:
    """Iterates a blob's authenticated plaintext, segment by segment.

    The header, key slot and first segment are checked on construction, so a bad blob
    fails before a response starts; a later bad segment raises BlobCorrupt before any of
    its bytes are released. Exhaust it or call close().
    """

    def __init__(
        self,
        raw: BinaryIO,
        blob_id: str,
        keyring: KeyRing,
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self._raw = raw
        self._pool = pool
        try:
            self.header = read_header(raw)
            data_key = keyring.unwrap(self.header.wrapped, blob_id)
        except (UnknownKey, KeyUnwrapFailed):
            raw.close()
            raise BlobCorrupt from None
        except BaseException:
            raw.close()
            raise
        self.key_id = self.header.wrapped.key_id
        self._segments = self._decrypt(AESGCM(data_key), self.header.segment_aad(blob_id))
        self._first: bytes | None = next(self._segments)

    def _decrypt(self, aes: AESGCM, aad: bytes) -> Generator[bytes, None, None]:
        header, raw = self.header, self._raw
        step = header.segment_size + TAG_SIZE
        size = max(1, BATCH_BYTES // step) * step
        # Three batch buffers in rotation: the one being decrypted, the one read ahead
        # (it tells whether the current one holds the end) and the one being filled on
        # a helper thread. Decrypting makes new bytes, so a buffer can be refilled.
        buffers = [memoryview(bytearray(size)) for _ in range(3)]
        counter = 0
        reading: Future[int] | None = None
        try:
            current = buffers[0][: _fill(raw, buffers[0])]
            if not current:
                raise BlobCorrupt
            following = buffers[1][: _fill(raw, buffers[1]) if len(current) == size else 0]
            turn = 2
            while current:
                spare = buffers[turn % 3]
                if len(following) == size:
                    if self._pool is not None:
                        reading = self._pool.submit(_fill, raw, spare)
                    else:
                        reading = Future()
                        reading.set_result(_fill(raw, spare))
                for offset in range(0, len(current), step):
                    last = not following and offset + step >= len(current)
                    if counter >= MAX_SEGMENTS:
                        raise BlobCorrupt
                    try:
                        plain = aes.decrypt(
                            header.nonce(counter, last), current[offset : offset + step], aad
                        )
                    except InvalidTag:
                        raise BlobCorrupt from None
                    if last and not plain and counter:
                        raise BlobCorrupt
                    counter += 1
                    yield plain
                current, following = following, spare[: reading.result() if reading else 0]
                reading = None
                turn += 1
        finally:
            if reading is not None:
                wait([reading])
            raw.close()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._segments)

    def close(self) -> None:
        """Stop reading and close the underlying blob."""
        self._first = None
        self._segments.close()
        self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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
    yield from stream  # type: ignore[misc]

