"""The master key ring: files on disk, wrapping, rotation state."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from caseapp.vault.keys import (
    ActiveKeyRetirement,
    KeyRing,
    KeyRingInvalid,
    KeyUnwrapFailed,
    NoMasterKey,
    UnknownKey,
    WrappedKey,
)

BLOB_ID = "blob_id_0123456789ab"
DATA_KEY = bytes(range(32))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_one_private_master_key(tmp_path: Path) -> None:
    keys_dir = tmp_path / "instance" / "keys"
    ring = KeyRing.create(keys_dir)
    key_file = keys_dir / f"{ring.active}.key"
    assert mode(keys_dir) == 0o700
    assert mode(key_file) == 0o600
    assert len(bytes.fromhex(key_file.read_text())) == 32
    assert ring.key_ids == [ring.active]


def test_create_again_returns_the_existing_ring_without_overwriting(tmp_path: Path) -> None:
    first = KeyRing.create(tmp_path / "keys")
    key_file = tmp_path / "keys" / f"{first.active}.key"
    before = key_file.read_bytes()
    second = KeyRing.create(tmp_path / "keys")
    assert second.active == first.active
    assert second.key_ids == first.key_ids
    assert key_file.read_bytes() == before


def test_load_of_an_empty_folder_says_there_is_no_master_key(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    with pytest.raises(NoMasterKey):
        KeyRing.load(tmp_path / "keys")


def test_malformed_key_file_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    (tmp_path / "keys" / f"{ring.active}.key").write_text("not hex\n")
    with pytest.raises(KeyRingInvalid):
        KeyRing.load(tmp_path / "keys")


def test_wrapped_data_key_unwraps_for_its_blob(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    wrapped = ring.wrap(DATA_KEY, BLOB_ID)
    assert wrapped.key_id == ring.active
    assert DATA_KEY not in wrapped.sealed
    assert ring.unwrap(wrapped, BLOB_ID) == DATA_KEY


def test_two_wraps_of_the_same_key_differ(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    assert ring.wrap(DATA_KEY, BLOB_ID).sealed != ring.wrap(DATA_KEY, BLOB_ID).sealed


def test_key_slot_moved_to_another_blob_does_not_unwrap(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    wrapped = ring.wrap(DATA_KEY, BLOB_ID)
    with pytest.raises(KeyUnwrapFailed):
        ring.unwrap(wrapped, "another_blob_id_0000")


def test_key_slot_relabelled_with_another_key_id_does_not_unwrap(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    wrapped = ring.wrap(DATA_KEY, BLOB_ID)
    other = ring.add_new_key()
    with pytest.raises(KeyUnwrapFailed):
        ring.unwrap(WrappedKey(other, wrapped.sealed), BLOB_ID)


def test_altered_key_slot_does_not_unwrap(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    wrapped = ring.wrap(DATA_KEY, BLOB_ID)
    altered = bytearray(wrapped.sealed)
    altered[20] ^= 1
    with pytest.raises(KeyUnwrapFailed):
        ring.unwrap(WrappedKey(wrapped.key_id, bytes(altered)), BLOB_ID)


def test_unknown_key_id_is_reported(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    sealed = ring.wrap(DATA_KEY, BLOB_ID).sealed
    with pytest.raises(UnknownKey):
        ring.unwrap(WrappedKey("ffffffff", sealed), BLOB_ID)


def test_new_key_is_private_and_inactive_until_activated(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    old = ring.active
    new = ring.add_new_key()
    assert mode(tmp_path / "keys" / f"{new}.key") == 0o600
    assert ring.active == old
    ring.activate(new)
    assert ring.active == new
    assert ring.wrap(DATA_KEY, BLOB_ID).key_id == new


def test_active_key_cannot_be_retired(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    with pytest.raises(ActiveKeyRetirement):
        ring.retire(ring.active)
    assert (tmp_path / "keys" / f"{ring.active}.key").exists()


def test_retired_key_is_deleted_and_no_longer_unwraps(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    old = ring.active
    wrapped = ring.wrap(DATA_KEY, BLOB_ID)
    ring.activate(ring.add_new_key())
    ring.retire(old)
    assert not (tmp_path / "keys" / f"{old}.key").exists()
    assert old not in ring.key_ids
    with pytest.raises(UnknownKey):
        ring.unwrap(wrapped, BLOB_ID)


def test_ring_sees_a_key_activated_by_another_process(tmp_path: Path) -> None:
    web_worker = KeyRing.create(tmp_path / "keys")
    operator = KeyRing.load(tmp_path / "keys")
    new = operator.add_new_key()
    operator.activate(new)
    wrapped = web_worker.wrap(DATA_KEY, BLOB_ID)
    assert wrapped.key_id == new
    assert operator.unwrap(wrapped, BLOB_ID) == DATA_KEY


def test_rotation_resumes_with_the_same_target(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    assert ring.rotation_target() is None
    target = ring.begin_rotation()
    assert ring.active == target
    again = KeyRing.load(tmp_path / "keys")
    assert again.rotation_target() == target
    assert again.begin_rotation() == target
    again.finish_rotation()
    assert again.rotation_target() is None
    assert len(again.key_ids) == 2


def test_state_files_are_private(tmp_path: Path) -> None:
    ring = KeyRing.create(tmp_path / "keys")
    ring.begin_rotation()
    for path in (tmp_path / "keys").iterdir():
        assert mode(path) == 0o600, path.name
    assert not [p for p in os.listdir(tmp_path / "keys") if p.endswith(".tmp")]
