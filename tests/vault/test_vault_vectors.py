"""The committed vault-format vectors: known answers decrypt and re-encrypt exactly,
every negative vector is refused with BlobCorrupt and releases no plaintext."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from caseapp.vault.format import BlobHeader
from caseapp.vault.keys import KeyRing, wrap_data_key
from caseapp.vault.vault import BlobCorrupt, BlobReader, BlobWriter

VECTORS_DIR = Path(__file__).parent / "vectors"
FORMAT_DOC = Path(__file__).parents[2] / "docs" / "vault-format.md"
VECTOR_FILES = sorted(VECTORS_DIR.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def ring_with(keys: dict[str, str], keys_dir: Path) -> KeyRing:
    keys_dir.mkdir(mode=0o700)
    for key_id, key_hex in keys.items():
        (keys_dir / f"{key_id}.key").write_text(key_hex + "\n")
    (keys_dir / "active").write_text(next(iter(keys)) + "\n")
    return KeyRing.load(keys_dir)


class BytesSink:
    """A BlobSink that keeps the blob in memory."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.committed = False

    def write(self, data: bytes) -> None:
        self.data += data

    def commit(self) -> None:
        self.committed = True

    def abort(self) -> None:
        self.data.clear()

    def __enter__(self) -> BytesSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_vector_set_covers_the_known_answers_and_the_negative_cases() -> None:
    expects = [load(path)["expect"] for path in VECTOR_FILES]
    assert expects.count("ok") >= 6
    assert expects.count("corrupt") >= 20


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector_decrypts_as_expected(path: Path, tmp_path: Path) -> None:
    vector = load(path)
    ring = ring_with(vector["keys"], tmp_path / "keys")
    raw = io.BytesIO(bytes.fromhex(vector["blob"]))
    if vector["expect"] == "ok":
        plaintext = b"".join(BlobReader(raw, vector["blob_id"], ring))
        assert plaintext == bytes.fromhex(vector["plaintext"])
        assert hashlib.sha256(plaintext).hexdigest() == vector["sha256"]
        return
    released: list[bytes] = []
    with pytest.raises(BlobCorrupt):
        released.extend(BlobReader(raw, vector["blob_id"], ring))
    # Segments released before the failure were authenticated: a prefix of the original.
    assert bytes.fromhex(vector["original_plaintext"]).startswith(b"".join(released))


@pytest.mark.parametrize(
    "path", [p for p in VECTOR_FILES if load(p)["expect"] == "ok"], ids=lambda p: p.stem
)
def test_writer_reproduces_known_answer_from_fixed_material(path: Path) -> None:
    vector = load(path)
    key_id = vector["key_id"]
    data_key = bytes.fromhex(vector["data_key"])
    wrapped = wrap_data_key(
        bytes.fromhex(vector["keys"][key_id]),
        key_id,
        data_key,
        vector["blob_id"],
        bytes.fromhex(vector["wrap_nonce"]),
    )
    header = BlobHeader(vector["segment_size"], bytes.fromhex(vector["nonce_prefix"]), wrapped)
    sink = BytesSink()
    writer = BlobWriter(sink, vector["blob_id"], header, data_key)
    plaintext = bytes.fromhex(vector["plaintext"])
    for i in range(0, len(plaintext), 7):
        writer.write(plaintext[i : i + 7])
    info = writer.close()
    assert sink.committed
    assert bytes(sink.data).hex() == vector["blob"]
    assert info.sha256 == vector["sha256"]
    assert info.size == len(plaintext)


def test_committed_vectors_match_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS_DIR / "make_vectors.py")
    assert spec is not None
    assert spec.loader is not None
    make_vectors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_vectors)
    generated = {v["name"]: v for v in make_vectors.all_vectors()}
    committed = {load(p)["name"]: load(p) for p in VECTOR_FILES}
    assert generated == committed


def documented_recipe() -> Callable[[bytes, str, dict[str, bytes]], bytes]:
    """The `decrypt_blob` function printed in docs/vault-format.md."""
    doc = FORMAT_DOC.read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", doc, re.DOTALL)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), str(FORMAT_DOC), "exec"), namespace)  # noqa: S102
    return namespace["decrypt_blob"]  # type: ignore[return-value]


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_documented_recipe_reads_the_vectors_with_only_the_master_key(path: Path) -> None:
    vector = load(path)
    decrypt_blob = documented_recipe()
    keys = {kid: bytes.fromhex(key) for kid, key in vector["keys"].items()}
    blob = bytes.fromhex(vector["blob"])
    if vector["expect"] == "ok":
        assert decrypt_blob(blob, vector["blob_id"], keys) == bytes.fromhex(vector["plaintext"])
    else:
        with pytest.raises((InvalidTag, ValueError, KeyError)):
            decrypt_blob(blob, vector["blob_id"], keys)
