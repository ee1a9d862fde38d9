"""Write the vault format's known-answer and negative test vectors (tests/vault/vectors).

This encoder follows docs/vault-format.md using only `cryptography`, independently of
caseapp's own writer, so the vectors check the implementation against the written format.
All "random" material is derived from the vector's name, so the output is reproducible:

    python tests/vault/vectors/make_vectors.py

Each vector is one JSON file: "expect" is "ok" (the blob decrypts to "plaintext") or
"corrupt" (any reader must refuse it, with no plaintext released).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent
SEGMENT = 64
BLOB_ID = "vectorBlob_0123456789-AZ"
OTHER_BLOB_ID = "vectorBlob_other-0000000"
KEY_ID = "0a1b2c3d"
OTHER_KEY_ID = "4e5f6a7b"


def material(name: str, label: str, size: int) -> bytes:
    """Deterministic bytes for one vector's key, nonce or plaintext."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"caseapp-vault-vector/{name}/{label}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def header_fixed(segment: int, prefix: bytes, version: int = 1) -> bytes:
    """magic, version, algorithm, segment size, nonce prefix."""
    return struct.pack(">4sBBI7s", b"CAVB", version, 1, segment, prefix)


def key_slot(master: bytes, key_id: str, data_key: bytes, blob_id: str, nonce: bytes) -> bytes:
    """key id length, key id, slot length, wrap nonce || AES-GCM(data key)."""
    kid, bid = key_id.encode(), blob_id.encode()
    aad = b"CAVK" + bytes([1, len(kid)]) + kid + bytes([len(bid)]) + bid
    sealed = nonce + AESGCM(master).encrypt(nonce, data_key, aad)
    return bytes([len(kid)]) + kid + bytes([len(sealed)]) + sealed


def segments(
    data_key: bytes, fixed: bytes, blob_id: str, pieces: list[bytes], flags: list[bool]
) -> list[bytes]:
    """Seal each piece with nonce prefix || counter || last flag, AAD fixed header + blob id."""
    prefix = fixed[10:17]
    aad = fixed + bytes([len(blob_id)]) + blob_id.encode()
    aes = AESGCM(data_key)
    return [
        aes.encrypt(prefix + i.to_bytes(4, "big") + bytes([flag]), piece, aad)
        for i, (piece, flag) in enumerate(zip(pieces, flags, strict=True))
    ]


def split(plaintext: bytes, segment: int) -> list[bytes]:
    """The writer's rule: full segments, the last one non-empty unless the blob is empty."""
    if not plaintext:
        return [b""]
    return [plaintext[i : i + segment] for i in range(0, len(plaintext), segment)]


class Blob:
    """The parts of one well-formed blob, for vectors to take apart."""

    def __init__(self, name: str, plaintext: bytes, blob_id: str = BLOB_ID) -> None:
        self.name = name
        self.master = material(name, "master", 32)
        self.other_master = material(name, "other-master", 32)
        self.data_key = material(name, "data-key", 32)
        self.prefix = material(name, "nonce-prefix", 7)
        self.wrap_nonce = material(name, "wrap-nonce", 12)
        self.plaintext = plaintext
        self.blob_id = blob_id
        self.fixed = header_fixed(SEGMENT, self.prefix)
        self.slot = key_slot(self.master, KEY_ID, self.data_key, blob_id, self.wrap_nonce)
        self.pieces = split(plaintext, SEGMENT)
        flags = [i == len(self.pieces) - 1 for i in range(len(self.pieces))]
        self.sealed = segments(self.data_key, self.fixed, blob_id, self.pieces, flags)

    def reseal(self, pieces: list[bytes], flags: list[bool]) -> list[bytes]:
        """Segments sealed with the right key but chosen pieces and last flags."""
        return segments(self.data_key, self.fixed, self.blob_id, pieces, flags)

    def encode(self, sealed: list[bytes] | None = None, header: bytes | None = None) -> bytes:
        """Header followed by segments."""
        head = self.fixed + self.slot if header is None else header
        return head + b"".join(self.sealed if sealed is None else sealed)

    def vector(self, expect: str, comment: str, blob: bytes | None = None) -> dict[str, object]:
        """The JSON-ready vector."""
        vector: dict[str, object] = {
            "name": self.name,
            "comment": comment,
            "expect": expect,
            "blob_id": self.blob_id,
            "segment_size": SEGMENT,
            "keys": {KEY_ID: self.master.hex(), OTHER_KEY_ID: self.other_master.hex()},
            "blob": (self.encode() if blob is None else blob).hex(),
        }
        if expect == "ok":
            vector |= {
                "plaintext": self.plaintext.hex(),
                "sha256": hashlib.sha256(self.plaintext).hexdigest(),
                "data_key": self.data_key.hex(),
                "nonce_prefix": self.prefix.hex(),
                "wrap_nonce": self.wrap_nonce.hex(),
                "key_id": KEY_ID,
            }
        else:
            # What the blob was made from: a reader may release only a prefix of it.
            vector["original_plaintext"] = self.plaintext.hex()
        return vector


def text(size: int) -> bytes:
    """Readable, mixed-script plaintext of `size` bytes."""
    line = "客服说资产冻结 7 天后解冻 / support said the freeze lifts in 7 days.\n".encode()
    return (line * (size // len(line) + 1))[:size]


def ok(name: str, size: int, comment: str) -> dict[str, object]:
    """A well-formed blob of `size` bytes."""
    return Blob(name, text(size)).vector("ok", comment)


def corrupt(name: str, comment: str, make: Callable[[Blob], bytes], size: int = 200) -> dict:
    """A blob of `size` bytes, altered by `make`."""
    blob = Blob(name, text(size))
    return blob.vector("corrupt", comment, make(blob))


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    """`data` with bits `mask` of byte `index` flipped."""
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def all_vectors() -> list[dict[str, object]]:
    """Every vector, in file order."""
    header = 17 + 1 + 8 + 1 + 60
    return [
        ok("empty", 0, "no plaintext: one empty final segment"),
        ok("one_byte", 1, "a single short final segment"),
        ok("segment_minus_one", SEGMENT - 1, "one short final segment"),
        ok("one_segment", SEGMENT, "exactly one full segment, marked final"),
        ok("segment_plus_one", SEGMENT + 1, "a full segment, then a 1-byte final one"),
        ok("many_segments", 5 * SEGMENT + 17, "five full segments and a short final one"),
        corrupt(
            "no_final_segment",
            "every segment sealed as not-last",
            lambda b: b.encode(b.reseal(b.pieces, [False] * len(b.pieces))),
        ),
        corrupt(
            "two_final_segments",
            "the second of four segments is also marked last",
            lambda b: b.encode(b.reseal(b.pieces, [False, True, False, True])),
        ),
        corrupt(
            "empty_final_after_full",
            "a full segment sealed not-last, then an empty last",
            lambda b: b.encode(b.reseal([b.plaintext, b""], [False, True])),
            size=SEGMENT,
        ),
        corrupt("header_only", "the header with no segment at all", lambda b: b.encode([])),
        corrupt(
            "trailing_garbage", "one byte after the final segment", lambda b: b.encode() + b"\x00"
        ),
        corrupt(
            "trailing_segment",
            "a copy of the final segment appended",
            lambda b: b.encode([*b.sealed, b.sealed[-1]]),
        ),
        corrupt(
            "truncated_at_boundary", "the final segment dropped", lambda b: b.encode(b.sealed[:-1])
        ),
        corrupt(
            "truncated_in_tag", "the last byte of the final tag dropped", lambda b: b.encode()[:-1]
        ),
        corrupt(
            "swapped_segments",
            "segments 0 and 1 exchanged",
            lambda b: b.encode([b.sealed[1], b.sealed[0], *b.sealed[2:]]),
        ),
        corrupt(
            "spliced_segment",
            "segment 1 taken from another blob at the same position",
            lambda b: b.encode(
                [b.sealed[0], Blob(f"{b.name}-other", text(200)).sealed[1], *b.sealed[2:]]
            ),
        ),
        corrupt(
            "segment_bit_flip",
            "one bit flipped in segment 2's ciphertext",
            lambda b: flip(b.encode(), header + 2 * (SEGMENT + 16) + 5),
        ),
        corrupt(
            "tag_bit_flip",
            "one bit flipped in the final tag",
            lambda b: flip(b.encode(), len(b.encode()) - 1, 0x80),
        ),
        corrupt("version_changed", "version byte 2 (unknown)", lambda b: flip(b.encode(), 4, 0x03)),
        corrupt(
            "segment_size_changed",
            "segment size field altered",
            lambda b: flip(b.encode(), 9, 0x01),
        ),
        corrupt(
            "nonce_prefix_changed", "nonce prefix altered", lambda b: flip(b.encode(), 12, 0x10)
        ),
        corrupt(
            "wrong_key_id",
            "key slot relabelled with another master key's id",
            lambda b: b.encode().replace(KEY_ID.encode(), OTHER_KEY_ID.encode(), 1),
        ),
        corrupt(
            "unknown_key_id",
            "key slot names a key that is not in the ring",
            lambda b: b.encode().replace(KEY_ID.encode(), b"ffffffff", 1),
        ),
        corrupt(
            "key_slot_bit_flip",
            "one bit flipped in the wrapped data key",
            lambda b: flip(b.encode(), 17 + 1 + 8 + 1 + 20),
        ),
        corrupt(
            "key_slot_from_other_blob",
            "the key slot of another blob id",
            lambda b: b.encode(
                header=b.fixed + key_slot(b.master, KEY_ID, b.data_key, OTHER_BLOB_ID, b.wrap_nonce)
            ),
        ),
        corrupt(
            "blob_of_other_id",
            "a whole, valid blob made for another blob id",
            lambda b: Blob(b.name, b.plaintext, OTHER_BLOB_ID).encode(),
        ),
    ]


def main() -> None:
    """Rewrite every vector file."""
    for vector in all_vectors():
        path = HERE / f"{vector['name']}.json"
        path.write_text(json.dumps(vector, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
