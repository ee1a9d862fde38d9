"""Writing one blob in the vault format: hashed, encrypted and stored as it arrives.

Plaintext is gathered into batch buffers of WRITE_BATCH_BYTES. A blob that fits in one
batch is handled on the caller's thread. A larger blob runs as a pipeline on two lanes
of its own (one thread each, so work stays in order): the hashing lane feeds SHA-256
while the caller encrypts the next batch into a reused buffer, and the writing lane hands
the sealed batch to the store. hashlib and file I/O release the GIL, so on two cores
hashing, the slowest step, sets the pace. At most PIPELINE_DEPTH batches are in flight,
so memory stays flat (about 20 MiB) whatever the blob's size.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.vault.format import (
    MAX_SEGMENTS,
    TAG_SIZE,
    BlobHeader,
    BlobInfo,
    BlobTooLarge,
    WriterClosed,
)
from caseapp.vault.stores.base import BlobSink

# Measured on two cores: 4 MiB batches, two in flight, beat smaller batches or a deeper
# pipeline. Each hand-over between threads costs a GIL switch, and a small working set
# stays in the CPU's cache.
WRITE_BATCH_BYTES = 4 * 1024 * 1024
PIPELINE_DEPTH = 2


@dataclass
class _InFlight:
    """A batch on its way: being hashed and written; its buffers come back when both end."""

    plain: bytearray
    sealed: bytearray
    hashing: Future[None]
    writing: Future[None]


class BlobWriter:
    """Hashes and encrypts one blob as it arrives, holding a bounded number of batches.

    The last segment is only known at close, so a full batch is sealed only once more
    bytes arrive; an empty final segment therefore only ever occurs in an empty blob.
    """

    def __init__(
        self,
        sink: BlobSink,
        blob_id: str,
        header: BlobHeader,
        data_key: bytes,
        on_commit: Callable[[BlobInfo], BlobInfo] | None = None,
        batch_size: int = WRITE_BATCH_BYTES,
    ) -> None:
        self._sink = sink
        self._blob_id = blob_id
        self._header = header
        self._aes = AESGCM(data_key)
        self._aad = header.segment_aad(blob_id)
        self._seg = header.segment_size
        self._batch = max(1, batch_size // self._seg) * self._seg
        self._on_commit = on_commit
        self._sha = hashlib.sha256()
        # The first buffer grows as bytes arrive, so a small blob costs a small buffer.
        self._plain = bytearray()
        self._fill = 0
        self._spare_plain: list[bytearray] = []
        self._spare_sealed: list[bytearray] = []
        self._in_flight: deque[_InFlight] = deque()
        self._lanes: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
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
        while view:
            if self._fill == self._batch:
                self._send(final=False)
            take = min(len(view), self._batch - self._fill)
            self._plain[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]

    def _seal(self, plain: memoryview, final: bool) -> tuple[bytearray, memoryview]:
        """Encrypt `plain` as whole segments (the last short only if final).

        Returns the buffer, to reuse later, and the view of it that holds the segments.
        """
        seg, size = self._seg, len(plain)
        offsets = range(0, size, seg) if size else range(1)
        if self._counter + len(offsets) > MAX_SEGMENTS:
            raise BlobTooLarge
        needed = size + len(offsets) * TAG_SIZE
        sealed = self._spare_sealed.pop() if self._spare_sealed else bytearray(needed)
        out = memoryview(sealed)
        pos = 0
        for offset in offsets:
            segment = plain[offset : offset + seg]
            nonce = self._header.nonce(self._counter, final and offset + seg >= size)
            # encrypt_into wants a buffer of exactly the sealed segment's size.
            end = pos + len(segment) + TAG_SIZE
            self._aes.encrypt_into(nonce, segment, self._aad, out[pos:end])
            pos = end
            self._counter += 1
        self._size += size
        return sealed, out[:pos]

    def _send(self, final: bool) -> None:
        """Hash, seal and store the current batch, on the lanes once the blob outgrows one."""
        while len(self._in_flight) >= PIPELINE_DEPTH:
            self._retire()
        plain = memoryview(self._plain)[: self._fill]
        if final and self._lanes is None:
            self._sha.update(plain)
            self._sink.write(self._seal(plain, final)[1])
            self._fill = 0
            return
        if self._lanes is None:
            self._lanes = (
                ThreadPoolExecutor(1, thread_name_prefix="vault-hash"),
                ThreadPoolExecutor(1, thread_name_prefix="vault-write"),
            )
        hash_lane, write_lane = self._lanes
        hashing = hash_lane.submit(self._sha.update, plain)
        try:
            sealed, segments = self._seal(plain, final)
        except BaseException:
            wait([hashing])
            raise
        writing = write_lane.submit(self._sink.write, segments)
        self._in_flight.append(_InFlight(self._plain, sealed, hashing, writing))
        self._plain = self._spare_plain.pop() if self._spare_plain else bytearray(self._batch)
        self._fill = 0

    def _retire(self) -> None:
        """Wait for the oldest batch to be hashed and written; reuse its buffers."""
        batch = self._in_flight.popleft()
        wait([batch.hashing, batch.writing])
        batch.hashing.result()
        batch.writing.result()
        self._spare_plain.append(batch.plain)
        self._spare_sealed.append(batch.sealed)

    def _stop_lanes(self) -> None:
        """Let every batch in flight finish (errors and all) and end the lane threads."""
        wait([f for batch in self._in_flight for f in (batch.hashing, batch.writing)])
        self._in_flight.clear()
        if self._lanes is not None:
            for lane in self._lanes:
                lane.shutdown()
            self._lanes = None

    def close(self) -> BlobInfo:
        """Seal the final segment, commit the blob durably and return its BlobInfo."""
        if not self._open:
            raise WriterClosed
        try:
            self._send(final=True)
            while self._in_flight:
                self._retire()
            self._stop_lanes()
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
        self._stop_lanes()
        self._plain = bytearray()
        self._spare_plain.clear()
        self._spare_sealed.clear()
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
