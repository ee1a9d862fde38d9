"""Reading one blob in the vault format: authenticated plaintext, segment by segment.

A segment's bytes are released only once its tag has been checked. Batches of
ciphertext are read ahead on a helper thread while the current one is decrypted.
"""

from __future__ import annotations

from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import BinaryIO, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.vault.format import (
    BATCH_BYTES,
    MAX_SEGMENTS,
    TAG_SIZE,
    BlobCorrupt,
    read_header,
)
from caseapp.vault.keys import KeyRing, KeyUnwrapFailed, UnknownKey


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
