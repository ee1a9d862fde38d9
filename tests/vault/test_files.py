"""Files and folders made with exact modes, whatever the umask of the process."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.vault.files import copy_file, make_dir, replace_file, restrict_tree, write_new_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """umask 000 for the test: every bit a call asks for is kept."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("loose_umask")
def test_make_dir_gives_every_folder_it_adds_0700_not_only_the_last(tmp_path):
    make_dir(tmp_path / "a" / "b" / "c")
    assert [mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3


@pytest.mark.usefixtures("loose_umask")
def test_new_and_replaced_files_are_0600_and_new_ones_never_overwrite(tmp_path):
    write_new_file(tmp_path / "key", b"secret")
    replace_file(tmp_path / "active", b"one")
    replace_file(tmp_path / "active", b"two")
    assert (mode(tmp_path / "key"), mode(tmp_path / "active")) == (0o600, 0o600)
    assert (tmp_path / "active").read_bytes() == b"two"
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path / "key", b"other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["active", "key"]  # no temp left


@pytest.mark.usefixtures("loose_umask")
def test_a_copy_is_0600_even_from_a_world_readable_file_and_keeps_its_time(tmp_path):
    source = tmp_path / "blob"
    source.write_bytes(b"ciphertext")
    source.chmod(0o644)
    os.utime(source, (1_700_000_000, 1_700_000_000))
    copy_file(source, tmp_path / "copy")
    assert mode(tmp_path / "copy") == 0o600
    assert (tmp_path / "copy").read_bytes() == b"ciphertext"
    assert (tmp_path / "copy").stat().st_mtime == 1_700_000_000


def test_restrict_tree_takes_group_and_other_bits_off_but_follows_no_link(tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("not ours")
    outside.chmod(0o644)
    root = tmp_path / "instance"
    (root / "vault" / "ab").mkdir(parents=True)
    (root / "vault" / "ab" / "abcdef").write_bytes(b"x")
    (root / "link").symlink_to(outside)
    for path in (root, root / "vault", root / "vault" / "ab"):
        path.chmod(0o755)
    (root / "vault" / "ab" / "abcdef").chmod(0o664)
    restrict_tree(root)
    assert [mode(root / p) for p in ("", "vault", "vault/ab")] == [0o700] * 3
    assert mode(root / "vault" / "ab" / "abcdef") == 0o600
    assert mode(outside) == 0o644
