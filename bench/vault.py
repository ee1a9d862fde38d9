"""Vault throughput against the in-process floor of the same cryptography.

The floor is one pass of hashlib SHA-256 plus cryptography's AES-256-GCM over the same
bytes in 64 KiB chunks, measured in the same run. The vault figures add everything the
vault does on top: segment framing, key wrapping, the store's temp file, fsync and rename
(put) and reading the blob back and checking every tag (get).

    python bench/vault.py [--size-mib 1024] [--repeat 3] [--dir PATH]

The last two lines are `RATIO vault_put <x>` and `RATIO vault_get <x>` (vault throughput
over the floor; greater is better). Each figure is the best of --repeat runs, floor and
vault alike, since other processes share the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from caseapp.vault.keys import KeyRing  # noqa: E402
from caseapp.vault.stores.local import LocalStore  # noqa: E402
from caseapp.vault.vault import Vault  # noqa: E402

CHUNK = 64 * 1024
PATTERN_BYTES = 64 * 1024 * 1024


class RepeatingSource:
    """A read-only file-like object: `size` bytes cycling through one random buffer."""

    def __init__(self, pattern: bytes, size: int) -> None:
        self._pattern = memoryview(pattern)
        self._remaining = size
        self._pos = 0

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill `buffer` from the pattern; 0 at the end."""
        want = min(len(buffer), self._remaining, len(self._pattern) - self._pos)
        buffer[:want] = self._pattern[self._pos : self._pos + want]
        self._pos = (self._pos + want) % len(self._pattern)
        self._remaining -= want
        return want


def stream_sha256(pattern: bytes, size: int) -> str:
    """SHA-256 of what RepeatingSource(pattern, size) yields (the get check)."""
    source, buffer, sha = RepeatingSource(pattern, size), bytearray(CHUNK), hashlib.sha256()
    while n := source.readinto(buffer):
        sha.update(memoryview(buffer)[:n])
    return sha.hexdigest()


def floor_encrypt(pattern: bytes, size: int) -> float:
    """SHA-256 and AES-256-GCM over the stream, 64 KiB at a time, in one pass."""
    aes = AESGCM(AESGCM.generate_key(256))
    nonce, aad = secrets.token_bytes(12), b"floor"
    source = RepeatingSource(pattern, size)
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    sha = hashlib.sha256()
    start = time.perf_counter()
    while n := source.readinto(buffer):
        sha.update(view[:n])
        aes.encrypt(nonce, view[:n], aad)
    return time.perf_counter() - start


def floor_decrypt(pattern: bytes, size: int) -> float:
    """SHA-256 of AES-256-GCM-decrypted 64 KiB chunks, `size` bytes in all."""
    aes = AESGCM(AESGCM.generate_key(256))
    nonce, aad = secrets.token_bytes(12), b"floor"
    sealed = [
        aes.encrypt(nonce, pattern[i : i + CHUNK], aad) for i in range(0, len(pattern), CHUNK)
    ]
    sha = hashlib.sha256()
    done = 0
    start = time.perf_counter()
    while done < size:
        for chunk in sealed:
            sha.update(aes.decrypt(nonce, chunk, aad))
            done += CHUNK
            if done >= size:
                break
    return time.perf_counter() - start


def vault_put(vault: Vault, pattern: bytes, size: int, blob_id: str) -> float:
    """Time one put of the stream, from the first byte to the durable commit."""
    vault.delete(blob_id)
    start = time.perf_counter()
    vault.put(blob_id, RepeatingSource(pattern, size))  # type: ignore[arg-type]
    return time.perf_counter() - start


def vault_get(vault: Vault, blob_id: str, expected: str) -> float:
    """Time reading the blob back, every tag checked, hashing what comes out."""
    sha = hashlib.sha256()
    start = time.perf_counter()
    for segment in vault.open(blob_id):
        sha.update(segment)
    elapsed = time.perf_counter() - start
    if sha.hexdigest() != expected:
        raise SystemExit("vault returned different bytes")
    return elapsed


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the store goes")
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    pattern = os.urandom(min(PATTERN_BYTES, size) or 1)
    work = Path(tempfile.mkdtemp(prefix="caseapp-bench-", dir=args.dir))
    try:
        vault = Vault(LocalStore(work / "vault"), KeyRing.create(work / "keys"))
        blob_id = "benchmarkblob0000000000"
        mib = size / 2**20
        expected = stream_sha256(pattern, size)
        runs: dict[str, list[float]] = {"floor_put": [], "put": [], "floor_get": [], "get": []}
        # Interleaved, so floor and vault runs meet the same load from other processes.
        for _ in range(args.repeat):
            runs["floor_put"].append(floor_encrypt(pattern, size))
            runs["put"].append(vault_put(vault, pattern, size, blob_id))
            runs["floor_get"].append(floor_decrypt(pattern, size))
            runs["get"].append(vault_get(vault, blob_id, expected))
        vault.close()
        t_floor_put, t_put = min(runs["floor_put"]), min(runs["put"])
        t_floor_get, t_get = min(runs["floor_get"]), min(runs["get"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"store in {work} ({mib:.0f} MiB, best of {args.repeat})")
    print(f"floor encrypt  {mib / t_floor_put:8.0f} MiB/s   ({t_floor_put:.3f} s)")
    print(f"vault put      {mib / t_put:8.0f} MiB/s   ({t_put:.3f} s, fsync included)")
    print(f"floor decrypt  {mib / t_floor_get:8.0f} MiB/s   ({t_floor_get:.3f} s)")
    print(f"vault get      {mib / t_get:8.0f} MiB/s   ({t_get:.3f} s)")
    print(f"RATIO vault_put {t_floor_put / t_put:.3f}")
    print(f"RATIO vault_get {t_floor_get / t_get:.3f}")


if __name__ == "__main__":
    main()
