"""The vault: round trips, every kind of tampering refused, rewrap and key rotation."""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.vault.format import BlobHeader, read_header
from caseapp.vault.keys import KeyRing
from caseapp.vault.stores.base import BlobNotFound
from caseapp.vault.stores.local import LocalStore
from caseapp.vault.vault import (
    BlobCorrupt,
    BlobExists,
    BlobInfo,
    BlobReader,
    BlobTooLarge,
    Vault,
    WriterClosed,
    rotate_master_key,
)
from caseapp.vault.writer import PIPELINE_DEPTH, WRITE_BATCH_BYTES

SEG = 64
TAG = 16


def new_id() -> str:
    return secrets.token_urlsafe(16)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    vault = Vault(LocalStore(tmp_path / "vault"), KeyRing.create(tmp_path / "keys"), SEG)
    yield vault
    vault.close()


@pytest.fixture(scope="module")
def shared_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    root = tmp_path_factory.mktemp("shared")
    vault = Vault(LocalStore(root / "vault"), KeyRing.create(root / "keys"), SEG)
    yield vault
    vault.close()


def raw_bytes(vault: Vault, blob_id: str) -> bytes:
    with vault.store.open(blob_id) as raw:
        return raw.read()


def replace_raw(vault: Vault, blob_id: str, data: bytes) -> None:
    with vault.store.create(blob_id) as sink:
        sink.write(data)
        sink.commit()


def header_size(vault: Vault, blob_id: str) -> int:
    with vault.store.open(blob_id) as raw:
        return len(read_header(raw).to_bytes())


def split_blob(vault: Vault, blob_id: str) -> tuple[bytes, list[bytes]]:
    """The stored header and the list of sealed segments."""
    data = raw_bytes(vault, blob_id)
    size = header_size(vault, blob_id)
    body = data[size:]
    return data[:size], [body[i : i + SEG + TAG] for i in range(0, len(body), SEG + TAG)]


def read_all(vault: Vault, blob_id: str) -> bytes:
    return b"".join(vault.open(blob_id))


def assert_refused(vault: Vault, blob_id: str, original: bytes) -> None:
    """Reading fails with BlobCorrupt, having released at most an authentic prefix."""
    released: list[bytes] = []
    with pytest.raises(BlobCorrupt):
        released.extend(vault.open(blob_id))
    assert original.startswith(b"".join(released))
    with pytest.raises(BlobCorrupt):
        vault.verify(blob_id)


def stored(vault: Vault, size: int = 3 * SEG + 10) -> tuple[str, bytes]:
    blob_id, data = new_id(), secrets.token_bytes(size)
    vault.put_bytes(blob_id, data)
    return blob_id, data


# Round trips ---------------------------------------------------------------------------


def write_in_pieces(vault: Vault, size: int, cuts: list[int], seed: bytes) -> BlobInfo:
    """Store `size` bytes derived from `seed`, written in pieces split at `cuts`, and check
    that what comes back is those bytes."""
    data = b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(size))
    data = data[:size]
    points = sorted({0, size, *(c for c in cuts if c < size)})
    blob_id = new_id()
    with vault.writer(blob_id) as writer:
        for start, end in zip(points, points[1:], strict=False):
            writer.write(data[start:end])
        info = writer.close()
    assert info.size == size
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert read_all(vault, blob_id) == data
    return info


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.one_of(
        st.sampled_from([0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 7 * SEG + 3]),
        st.integers(0, 40 * SEG),
    ),
    cuts=st.lists(st.integers(0, 40 * SEG), max_size=6),
    seed=st.binary(min_size=8, max_size=8),
)
def test_any_size_written_in_any_chunks_round_trips(
    shared_vault: Vault, size: int, cuts: list[int], seed: bytes
) -> None:
    info = write_in_pieces(shared_vault, size, cuts, seed)
    assert shared_vault.verify(info.blob_id) == info
    stored_size = shared_vault.store.size(info.blob_id)
    segments = max(1, -(-size // SEG))
    assert stored_size == header_size(shared_vault, info.blob_id) + size + segments * TAG


@pytest.fixture(scope="module")
def pipelined_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    """Batches of three segments, so small blobs already run through the writer's lanes."""
    root = tmp_path_factory.mktemp("pipelined")
    vault = Vault(LocalStore(root / "vault"), KeyRing.create(root / "keys"), SEG, 3 * SEG)
    yield vault
    vault.close()


@settings(max_examples=150, deadline=None)
@given(
    size=st.one_of(
        st.sampled_from([0, 1, 3 * SEG - 1, 3 * SEG, 3 * SEG + 1, 6 * SEG, 6 * SEG + 1]),
        st.integers(0, 40 * SEG),
    ),
    cuts=st.lists(st.integers(0, 40 * SEG), max_size=8),
    seed=st.binary(min_size=8, max_size=8),
)
def test_blobs_spanning_many_batches_keep_their_order(
    pipelined_vault: Vault, size: int, cuts: list[int], seed: bytes
) -> None:
    write_in_pieces(pipelined_vault, size, cuts, seed)


class FailingSink:
    """A store sink whose disk fills up on the n-th write."""

    def __init__(self, fail_on: int) -> None:
        self.writes = 0
        self.fail_on = fail_on
        self.aborted = False

    def write(self, data: bytes | memoryview) -> None:
        self.writes += 1
        if self.writes == self.fail_on:
            raise OSError(28, "No space left on device")

    def commit(self) -> None:
        raise AssertionError("a failed blob must not be committed")

    def abort(self) -> None:
        self.aborted = True

    def __enter__(self) -> FailingSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_a_full_disk_midway_aborts_the_blob_and_stops_its_threads(tmp_path: Path) -> None:
    vault = Vault(LocalStore(tmp_path / "vault"), KeyRing.create(tmp_path / "keys"), SEG, SEG)
    sink = FailingSink(fail_on=4)
    vault.store.create = lambda blob_id: sink  # type: ignore[method-assign]
    with pytest.raises(OSError, match="No space left"):
        vault.put(new_id(), (b"y" * SEG for _ in range(50)))
    assert sink.aborted
    lanes = [t for t in threading.enumerate() if t.name.startswith(("vault-hash", "vault-write"))]
    assert lanes == []
    vault.close()


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536, 2_500_000, 9_000_001])
@pytest.mark.parametrize("chunk", [1000, 65536, 1 << 20])
def test_default_segment_size_round_trips_across_boundaries(
    tmp_path: Path, size: int, chunk: int
) -> None:
    vault = Vault(LocalStore(tmp_path / "vault"), KeyRing.create(tmp_path / "keys"))
    data = secrets.token_bytes(size)
    blob_id = new_id()
    info = (
        vault.put(blob_id, io.BytesIO(data))
        if chunk == 1 << 20
        else vault.put(blob_id, (data[i : i + chunk] for i in range(0, size, chunk)))
    )
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert read_all(vault, blob_id) == data
    vault.close()


def test_empty_blob_is_one_empty_final_segment(vault: Vault) -> None:
    blob_id = new_id()
    info = vault.put_bytes(blob_id, b"")
    assert info.sha256 == hashlib.sha256(b"").hexdigest()
    _, segments = split_blob(vault, blob_id)
    assert [len(s) for s in segments] == [TAG]
    assert list(vault.open(blob_id)) == [b""]


def test_exact_multiple_of_the_segment_ends_with_a_full_final_segment(vault: Vault) -> None:
    blob_id, _ = stored(vault, 2 * SEG)
    _, segments = split_blob(vault, blob_id)
    assert [len(s) for s in segments] == [SEG + TAG, SEG + TAG]


def test_put_streams_with_flat_memory(tmp_path: Path) -> None:
    vault = Vault(LocalStore(tmp_path / "vault"), KeyRing.create(tmp_path / "keys"))
    chunk = secrets.token_bytes(256 * 1024)
    tracemalloc.start()
    try:
        vault.put(new_id(), (chunk for _ in range(256)))  # 64 MiB
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        vault.close()
    # The batches in flight (plaintext and sealed), the one being filled, and a margin.
    in_flight = (2 * PIPELINE_DEPTH + 1) * WRITE_BATCH_BYTES
    assert peak < in_flight + 2 * 1024 * 1024 < 64 * 1024 * 1024


def test_plaintext_is_not_in_the_stored_blob(vault: Vault) -> None:
    blob_id = new_id()
    vault.put_bytes(blob_id, b"wallet seed phrase: abandon abandon" * 10)
    assert b"abandon" not in raw_bytes(vault, blob_id)


def test_read_bytes_refuses_a_blob_over_the_limit(vault: Vault) -> None:
    blob_id, data = stored(vault, 5 * SEG)
    assert vault.read_bytes(blob_id, max_size=len(data)) == data
    with pytest.raises(BlobTooLarge):
        vault.read_bytes(blob_id, max_size=len(data) - 1)


# Writer life cycle ---------------------------------------------------------------------


def test_writer_interrupted_by_an_exception_stores_nothing(vault: Vault) -> None:
    blob_id = new_id()

    def interrupted_upload() -> None:
        with vault.writer(blob_id) as writer:
            writer.write(b"x" * 500)
            raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        interrupted_upload()
    assert not vault.store.exists(blob_id)
    assert list(vault.store.list()) == []


def test_writer_left_without_close_commits(vault: Vault) -> None:
    blob_id = new_id()
    with vault.writer(blob_id) as writer:
        writer.write(b"statement")
    assert writer.info is not None
    assert read_all(vault, blob_id) == b"statement"


def test_writer_refuses_writes_after_close(vault: Vault) -> None:
    writer = vault.writer(new_id())
    writer.close()
    with pytest.raises(WriterClosed):
        writer.write(b"late")


def test_existing_blob_is_never_overwritten_by_a_new_one(vault: Vault) -> None:
    blob_id, data = stored(vault)
    with pytest.raises(BlobExists):
        vault.put_bytes(blob_id, b"other")
    assert read_all(vault, blob_id) == data


def test_missing_blob_is_not_found_rather_than_corrupt(vault: Vault) -> None:
    with pytest.raises(BlobNotFound):
        vault.open(new_id())


# Tampering (CCTV-style negative cases) ------------------------------------------------


def read_from_bytes(vault: Vault, blob_id: str, blob: bytes) -> list[bytes]:
    """Decrypt blob bytes held in memory (no store round trip: these tests run thousands)."""
    released: list[bytes] = []
    released.extend(BlobReader(io.BytesIO(blob), blob_id, vault.keyring))
    return released


def test_truncation_at_every_byte_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    whole = raw_bytes(vault, blob_id)
    assert b"".join(read_from_bytes(vault, blob_id, whole)) == data
    for length in range(len(whole)):
        with pytest.raises(BlobCorrupt):
            read_from_bytes(vault, blob_id, whole[:length])


def test_every_single_bit_flip_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault, 2 * SEG + 5)
    whole = raw_bytes(vault, blob_id)
    for index in range(len(whole)):
        for bit in range(8):
            altered = bytearray(whole)
            altered[index] ^= 1 << bit
            with pytest.raises(BlobCorrupt):
                read_from_bytes(vault, blob_id, bytes(altered))


@pytest.mark.parametrize(
    "garbage", [b"\x00", b"x" * TAG, secrets.token_bytes(SEG + TAG), secrets.token_bytes(3)]
)
def test_trailing_garbage_is_refused(vault: Vault, garbage: bytes) -> None:
    blob_id, data = stored(vault)
    replace_raw(vault, blob_id, raw_bytes(vault, blob_id) + garbage)
    assert_refused(vault, blob_id, data)


@pytest.mark.parametrize(
    "order",
    [[1, 0, 2, 3], [0, 2, 1, 3], [0, 1, 3, 2], [0, 1, 3], [0, 2, 3], [0, 0, 1, 2, 3], [3]],
)
def test_reordered_dropped_or_repeated_segments_are_refused(vault: Vault, order: list[int]) -> None:
    blob_id, data = stored(vault)
    header, segments = split_blob(vault, blob_id)
    replace_raw(vault, blob_id, header + b"".join(segments[i] for i in order))
    assert_refused(vault, blob_id, data)


def test_segment_spliced_from_another_blob_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    other_id, _ = stored(vault)
    header, segments = split_blob(vault, blob_id)
    _, other_segments = split_blob(vault, other_id)
    segments[1] = other_segments[1]
    replace_raw(vault, blob_id, header + b"".join(segments))
    assert_refused(vault, blob_id, data)


def test_whole_blob_swapped_with_another_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    other_id, _ = stored(vault)
    replace_raw(vault, blob_id, raw_bytes(vault, other_id))
    assert_refused(vault, blob_id, data)


def test_key_slot_swapped_from_another_blob_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    other_id, _ = stored(vault)
    header, segments = split_blob(vault, blob_id)
    other_header, _ = split_blob(vault, other_id)
    fixed = len(BlobHeader(SEG, b"\x00" * 7, read_header(io.BytesIO(header)).wrapped).fixed())
    replace_raw(vault, blob_id, header[:fixed] + other_header[fixed:] + b"".join(segments))
    assert_refused(vault, blob_id, data)


def test_blob_naming_another_master_key_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    whole = raw_bytes(vault, blob_id)
    old = vault.keyring.active
    other = vault.keyring.add_new_key()
    replace_raw(vault, blob_id, whole.replace(old.encode(), other.encode(), 1))
    assert_refused(vault, blob_id, data)


def test_blob_naming_an_unknown_master_key_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault)
    whole = raw_bytes(vault, blob_id)
    replace_raw(vault, blob_id, whole.replace(vault.keyring.active.encode(), b"ffffffff", 1))
    assert_refused(vault, blob_id, data)


def reseal(vault: Vault, blob_id: str, pieces: list[bytes], flags: list[bool]) -> None:
    """Rewrite a blob's segments with its own data key but chosen contents and last flags."""
    with vault.store.open(blob_id) as raw:
        header = read_header(raw)
    data_key = vault.keyring.unwrap(header.wrapped, blob_id)
    aes, aad = AESGCM(data_key), header.segment_aad(blob_id)
    body = b"".join(
        aes.encrypt(header.nonce(i, last), piece, aad)
        for i, (piece, last) in enumerate(zip(pieces, flags, strict=True))
    )
    replace_raw(vault, blob_id, header.to_bytes() + body)


def test_resealing_with_the_right_flags_is_accepted(vault: Vault) -> None:
    blob_id, data = stored(vault, 2 * SEG + 1)
    reseal(vault, blob_id, [data[:SEG], data[SEG : 2 * SEG], data[2 * SEG :]], [False, False, True])
    assert read_all(vault, blob_id) == data


def test_blob_without_a_final_segment_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault, 2 * SEG)
    reseal(vault, blob_id, [data[:SEG], data[SEG:]], [False, False])
    assert_refused(vault, blob_id, data)


def test_blob_with_two_final_segments_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault, 2 * SEG)
    reseal(vault, blob_id, [data[:SEG], data[SEG:]], [True, True])
    assert_refused(vault, blob_id, data)


def test_empty_final_segment_after_a_full_one_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault, SEG)
    reseal(vault, blob_id, [data, b""], [False, True])
    assert_refused(vault, blob_id, data)


def test_short_segment_before_the_end_is_refused(vault: Vault) -> None:
    blob_id, data = stored(vault, 2 * SEG)
    reseal(vault, blob_id, [data[:10], data[10:]], [False, True])
    assert_refused(vault, blob_id, data)


def test_corruption_midway_releases_only_the_authentic_segments_before_it(
    vault: Vault,
) -> None:
    blob_id, data = stored(vault, 4 * SEG)
    header, segments = split_blob(vault, blob_id)
    segments[2] = segments[2][:-1] + bytes([segments[2][-1] ^ 1])
    replace_raw(vault, blob_id, header + b"".join(segments))
    reader = vault.open(blob_id)
    assert next(reader) == data[:SEG]
    assert next(reader) == data[SEG : 2 * SEG]
    with pytest.raises(BlobCorrupt):
        next(reader)


def test_bad_first_segment_fails_before_anything_is_served(vault: Vault) -> None:
    blob_id, _ = stored(vault)
    header, segments = split_blob(vault, blob_id)
    segments[0] = bytes([segments[0][0] ^ 1]) + segments[0][1:]
    replace_raw(vault, blob_id, header + b"".join(segments))
    with pytest.raises(BlobCorrupt):
        vault.open(blob_id)


# Rewrap and rotation -------------------------------------------------------------------


def test_rewrap_changes_only_the_key_slot(vault: Vault) -> None:
    blob_id, data = stored(vault)
    before_header, before_segments = split_blob(vault, blob_id)
    old = vault.keyring.active
    new = vault.keyring.add_new_key()
    assert vault.rewrap(blob_id, new) == new
    after_header, after_segments = split_blob(vault, blob_id)
    assert vault.key_id_of(blob_id) == new
    assert after_segments == before_segments
    assert after_header[:17] == before_header[:17]
    vault.keyring.activate(new)
    vault.keyring.retire(old)
    assert read_all(vault, blob_id) == data


def test_rewrap_to_the_current_key_leaves_the_blob_alone(vault: Vault) -> None:
    blob_id, _ = stored(vault)
    before = raw_bytes(vault, blob_id)
    assert vault.rewrap(blob_id) == vault.keyring.active
    assert raw_bytes(vault, blob_id) == before


def test_rotation_rewraps_every_blob_and_retires_the_old_key(vault: Vault) -> None:
    blobs = dict(stored(vault) for _ in range(4))
    old = vault.keyring.active
    report = rotate_master_key(vault)
    assert report.finished
    assert report.rewrapped == 4
    assert report.retired == [old]
    assert vault.keyring.key_ids == [report.target_key_id]
    for blob_id, data in blobs.items():
        assert vault.key_id_of(blob_id) == report.target_key_id
        assert read_all(vault, blob_id) == data


def test_rotation_killed_midway_resumes_with_the_same_target(vault: Vault) -> None:
    blobs = dict(stored(vault) for _ in range(5))
    old = vault.keyring.active
    done: list[str] = []

    def killed_after_two(blob_id: str, key_id: str) -> None:
        done.append(key_id)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_master_key(vault, on_progress=killed_after_two)
    target = done[0]
    restarted = Vault(vault.store, KeyRing.load(vault.keyring.keys_dir), SEG)
    assert restarted.keyring.rotation_target() == target
    report = rotate_master_key(restarted)
    restarted.close()
    assert report.target_key_id == target
    assert (report.already_current, report.rewrapped) == (2, 3)
    assert report.finished
    assert report.retired == [old]
    assert restarted.keyring.rotation_target() is None
    assert {vault.key_id_of(b) for b in blobs} == {target}
    assert all(read_all(restarted, b) == data for b, data in blobs.items())


def test_rotation_keeps_an_old_key_that_a_blob_outside_the_list_still_uses(
    vault: Vault,
) -> None:
    listed, _ = stored(vault)
    forgotten, data = stored(vault)
    old = vault.keyring.active
    report = rotate_master_key(vault, [listed])
    assert report.kept == [old]
    assert not report.finished
    assert read_all(vault, forgotten) == data
    assert rotate_master_key(vault).finished


def test_rotation_reports_a_corrupt_blob_and_keeps_the_old_key(vault: Vault) -> None:
    good, data = stored(vault)
    bad, _ = stored(vault)
    replace_raw(vault, bad, b"CAVB" + b"\x00" * 20)
    report = rotate_master_key(vault)
    assert report.failed == [bad]
    assert not report.finished
    assert report.retired == []
    assert read_all(vault, good) == data


def test_blob_finished_after_a_rotation_began_moves_to_the_new_key(vault: Vault) -> None:
    blob_id = new_id()
    writer = vault.writer(blob_id)
    writer.write(b"uploaded during the rotation" * 20)
    target = vault.keyring.begin_rotation()
    info = writer.close()
    assert info.key_id == target
    assert vault.key_id_of(blob_id) == target
    assert rotate_master_key(vault).finished
    assert read_all(vault, blob_id) == b"uploaded during the rotation" * 20


def test_upload_spanning_a_whole_rotation_by_another_process_stays_readable(
    vault: Vault,
) -> None:
    blob_id = new_id()
    writer = vault.writer(blob_id)
    writer.write(b"slow upload" * 100)
    operator = Vault(vault.store, KeyRing.load(vault.keyring.keys_dir), SEG)
    report = rotate_master_key(operator)
    assert report.finished
    info = writer.close()
    assert info.key_id == report.target_key_id
    assert read_all(operator, blob_id) == b"slow upload" * 100
    operator.close()


class TricklingStream:
    """A stream with read() only, returning at most 1000 bytes a call (like a network body)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 1000) if size >= 0 else 1000)

    def close(self) -> None:
        self._data.close()


def test_reader_copes_with_short_reads_from_a_stream_without_readinto(tmp_path: Path) -> None:
    vault = Vault(LocalStore(tmp_path / "vault"), KeyRing.create(tmp_path / "keys"))
    blob_id, data = new_id(), secrets.token_bytes(3_000_000)
    vault.put(blob_id, TricklingStream(data))  # type: ignore[arg-type]
    blob = raw_bytes(vault, blob_id)
    reader = BlobReader(TricklingStream(blob), blob_id, vault.keyring, vault._pool)  # type: ignore[arg-type]
    assert b"".join(reader) == data
    vault.close()
