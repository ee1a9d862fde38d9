"""The local-directory blob store: ids, atomic commits, crashes, listing."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from caseapp.vault.stores import local as store_module
from caseapp.vault.stores.base import BlobNotFound, BlobPathOutsideRoot, InvalidBlobId, SinkClosed
from caseapp.vault.stores.local import LocalStore

BLOB_ID = "AbCdEfGh_-12345678"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "vault")


def put(store: LocalStore, blob_id: str, data: bytes) -> None:
    with store.create(blob_id) as sink:
        sink.write(data)
        sink.commit()


def read(store: LocalStore, blob_id: str) -> bytes:
    with store.open(blob_id) as raw:
        return raw.read()


def test_committed_blob_is_readable_under_its_sharded_path(store: LocalStore) -> None:
    put(store, BLOB_ID, b"ciphertext")
    path = store.root / "Ab" / BLOB_ID
    assert path.read_bytes() == b"ciphertext"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with store.open(BLOB_ID) as raw:
        assert raw.read() == b"ciphertext"
    assert store.exists(BLOB_ID)
    assert store.size(BLOB_ID) == len(b"ciphertext")
    assert list(store.list()) == [BLOB_ID]


def test_blob_is_invisible_until_commit(store: LocalStore) -> None:
    sink = store.create(BLOB_ID)
    sink.write(b"half of it")
    assert not store.exists(BLOB_ID)
    assert list(store.list()) == []
    sink.commit()
    assert store.exists(BLOB_ID)


def test_exception_inside_the_sink_block_leaves_nothing(store: LocalStore) -> None:
    def interrupted_upload() -> None:
        with store.create(BLOB_ID) as sink:
            sink.write(b"partial")
            raise RuntimeError("upload interrupted")

    with pytest.raises(RuntimeError):
        interrupted_upload()
    assert not store.exists(BLOB_ID)
    assert list((store.root / "tmp").iterdir()) == []


def test_leaving_the_block_without_commit_discards_the_blob(store: LocalStore) -> None:
    with store.create(BLOB_ID) as sink:
        sink.write(b"never committed")
    assert not store.exists(BLOB_ID)
    with pytest.raises(SinkClosed):
        sink.write(b"more")


def test_commit_replaces_a_blob_while_an_open_reader_keeps_the_old_bytes(
    store: LocalStore,
) -> None:
    put(store, BLOB_ID, b"old")
    with store.open(BLOB_ID) as reader:
        put(store, BLOB_ID, b"new")
        assert reader.read() == b"old"
    assert read(store, BLOB_ID) == b"new"
    assert list(store.list()) == [BLOB_ID]


def test_crash_before_commit_leaves_no_blob(store: LocalStore) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from caseapp.vault.stores.local import LocalStore
        sink = LocalStore({str(store.root)!r}).create({BLOB_ID!r})
        sink.write(b"x" * 100_000)
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert not store.exists(BLOB_ID)
    assert list(store.list()) == []
    assert len(list((store.root / "tmp").iterdir())) == 1
    assert store.remove_stale_temp(older_than_seconds=0) == 1
    assert list((store.root / "tmp").iterdir()) == []


def test_crash_right_after_commit_keeps_the_blob(store: LocalStore) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from caseapp.vault.stores.local import LocalStore
        sink = LocalStore({str(store.root)!r}).create({BLOB_ID!r})
        sink.write(b"y" * 100_000)
        sink.commit()
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert read(store, BLOB_ID) == b"y" * 100_000


def test_fresh_temp_files_are_not_swept(store: LocalStore) -> None:
    sink = store.create(BLOB_ID)
    sink.write(b"still uploading")
    assert store.remove_stale_temp() == 0
    sink.commit()
    assert store.exists(BLOB_ID)


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../../etc/passwd",
        "..",
        "ab/cdefghijklmnopqr",
        "abcdefghijklmnop.q",
        "short",
        "",
        "x" * 65,
        "évidence_0123456789",
        "abcdefghijklmnop\x00",
        "/abs/olute/path/xyz",
    ],
)
def test_ids_the_server_did_not_make_are_refused(store: LocalStore, bad_id: str) -> None:
    for call in (
        store.create,
        store.open,
        store.delete,
        store.exists,
        store.size,
        store.modified_at,
    ):
        with pytest.raises(InvalidBlobId):
            call(bad_id)


def test_symlinked_shard_leading_out_of_the_root_is_refused(
    store: LocalStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "Ab").symlink_to(outside)
    with pytest.raises(BlobPathOutsideRoot):
        store.create(BLOB_ID)
    with pytest.raises(BlobPathOutsideRoot):
        store.open(BLOB_ID)


def test_list_skips_temp_files_strays_and_misplaced_names(store: LocalStore) -> None:
    put(store, BLOB_ID, b"a")
    put(store, "zz_other_blob_0000", b"b")
    sink = store.create("QQ_in_progress_0000")
    sink.write(b"c")
    (store.root / "Ab" / "notes.txt").write_text("stray")
    (store.root / "Ab" / "Xy_wrong_shard_0000").write_text("misplaced")
    (store.root / "README").write_text("stray")
    assert list(store.list()) == [BLOB_ID, "zz_other_blob_0000"]
    sink.abort()


def test_delete_removes_the_blob_and_ignores_a_missing_one(store: LocalStore) -> None:
    put(store, BLOB_ID, b"gone soon")
    store.delete(BLOB_ID)
    assert not store.exists(BLOB_ID)
    store.delete(BLOB_ID)
    with pytest.raises(BlobNotFound):
        store.open(BLOB_ID)
    with pytest.raises(BlobNotFound):
        store.size(BLOB_ID)
    with pytest.raises(BlobNotFound):
        store.modified_at(BLOB_ID)


def test_modified_at_tells_when_the_blob_was_committed(store: LocalStore) -> None:
    before = time.time()
    put(store, BLOB_ID, b"fresh")
    assert before - 1 <= store.modified_at(BLOB_ID) <= time.time() + 1


STAGE = 3 * 4096


def takes_direct_io(folder: Path) -> bool:
    """Whether the file system under `folder` lets a file be opened with O_DIRECT."""
    probe = folder / "direct-probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
    except OSError:
        return False
    os.close(fd)
    probe.unlink()
    return True


def pattern(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


@pytest.mark.parametrize(
    "size", [0, 1, 4095, 4096, 4097, STAGE - 1, STAGE, STAGE + 1, 3 * STAGE + 4097]
)
@pytest.mark.parametrize("chunk", [1000, 4096, STAGE + 5])
def test_direct_writes_keep_every_byte_around_block_and_stage_edges(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, size: int, chunk: int
) -> None:
    monkeypatch.setattr(store_module, "_STAGE_BYTES", STAGE)
    data = pattern(size)
    with store.create(BLOB_ID) as sink:
        assert (sink._stage is not None) == takes_direct_io(store.root)
        for start in range(0, size, chunk):
            sink.write(data[start : start + chunk])
        sink.commit()
    assert read(store, BLOB_ID) == data


def test_a_file_system_refusing_direct_writes_gets_buffered_ones(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_STAGE_BYTES", STAGE)
    real_write = os.write
    refused = []

    def refuse_direct(fd: int, data: bytes) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(len(data))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(store_module.os, "write", refuse_direct)
    data = pattern(5 * STAGE + 10)
    put(store, BLOB_ID, data)
    assert refused == ([STAGE] if takes_direct_io(store.root) else [])
    monkeypatch.undo()
    assert read(store, BLOB_ID) == data


def test_large_blob_is_synced_in_the_background_while_written(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_O_DIRECT", 0)  # a file system without O_DIRECT
    monkeypatch.setattr(store_module, "_BACKGROUND_SYNC_BYTES", 4096)
    synced: list[int] = []
    sync_and_drop = store_module._sync_and_drop

    def recording(fd: int, length: int) -> None:
        synced.append(length)
        sync_and_drop(fd, length)

    monkeypatch.setattr(store_module, "_sync_and_drop", recording)
    with store.create(BLOB_ID) as sink:
        assert sink._stage is None
        for i in range(64):
            sink.write(bytes([i]) * 1000)
        sink.commit()
    assert synced, "no background sync ran"
    assert synced == sorted(synced)
    assert synced[-1] <= 64_000
    assert read(store, BLOB_ID) == b"".join(bytes([i]) * 1000 for i in range(64))


def test_root_is_absolute_even_when_given_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = LocalStore(Path("relative-vault"))
    assert store.root.is_absolute()
    assert store.root == (tmp_path / "relative-vault").resolve()


def test_a_dry_run_counts_stale_temp_files_and_removes_none(store: LocalStore) -> None:
    sink = store.create(BLOB_ID)
    sink.write(b"left behind")
    assert store.remove_stale_temp(older_than_seconds=0, dry_run=True) == 1
    assert len(list((store.root / "tmp").iterdir())) == 1
    sink.abort()
