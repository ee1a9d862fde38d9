"""The instance's master key ring: the keys that wrap every blob's data key.

Layout of the key folder (mode 0700)::

    <key id>.key     one master key: 64 hex characters and a newline (mode 0600)
    active           the id of the key that wraps new data keys
    rotation.json    present only while a rotation is under way: its target key id

Master keys never leave this folder except in memory. A data key is wrapped with
AES-256-GCM under a master key, with the format version, the key id and the blob id as
associated data, so a key slot copied onto another blob, or relabelled with another key
id, does not open.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caseapp.vault.files import fsync_dir, make_dir, replace_file, write_new_file

MASTER_KEY_SIZE = 32
DATA_KEY_SIZE = 32
WRAP_NONCE_SIZE = 12
WRAPPED_KEY_SIZE = WRAP_NONCE_SIZE + DATA_KEY_SIZE + 16
WRAP_AAD_MAGIC = b"CAVK"
WRAP_VERSION = 1
KEY_ID_RE = re.compile(r"^[0-9a-f]{8}$")

_ACTIVE_FILE = "active"
_ROTATION_FILE = "rotation.json"
_KEY_SUFFIX = ".key"


class NoMasterKey(LookupError):
    """The key folder holds no master key (run `caseapp init`)."""


class KeyRingInvalid(ValueError):
    """A file in the key folder is malformed or the active key is missing."""


class UnknownKey(LookupError):
    """No master key with this id is in the ring."""


class KeyUnwrapFailed(Exception):
    """The wrapped data key does not open with this master key and blob id."""


class ActiveKeyRetirement(Exception):
    """The active master key cannot be retired."""


@dataclass(frozen=True)
class WrappedKey:
    """A data key sealed under the master key `key_id`: wrap nonce || ciphertext || tag."""

    key_id: str
    sealed: bytes


def wrap_aad(key_id: str, blob_id: str) -> bytes:
    """Associated data of a key slot: magic, version, key id and blob id, length-prefixed."""
    kid = key_id.encode("ascii")
    bid = blob_id.encode("ascii")
    return WRAP_AAD_MAGIC + bytes([WRAP_VERSION, len(kid)]) + kid + bytes([len(bid)]) + bid


def wrap_data_key(
    master_key: bytes, key_id: str, data_key: bytes, blob_id: str, nonce: bytes
) -> WrappedKey:
    """Seal `data_key` for `blob_id`. `nonce` must be 12 fresh random bytes (fixed only in
    test vectors); `KeyRing.wrap` draws it for you."""
    sealed = AESGCM(master_key).encrypt(nonce, data_key, wrap_aad(key_id, blob_id))
    return WrappedKey(key_id, nonce + sealed)


def unwrap_data_key(master_key: bytes, wrapped: WrappedKey, blob_id: str) -> bytes:
    """Open a key slot; raises KeyUnwrapFailed if it was altered or belongs elsewhere."""
    if len(wrapped.sealed) != WRAPPED_KEY_SIZE:
        raise KeyUnwrapFailed
    nonce, sealed = wrapped.sealed[:WRAP_NONCE_SIZE], wrapped.sealed[WRAP_NONCE_SIZE:]
    try:
        return AESGCM(master_key).decrypt(nonce, sealed, wrap_aad(wrapped.key_id, blob_id))
    except InvalidTag:
        raise KeyUnwrapFailed from None


class KeyRing:
    """The master keys of one instance, read from its key folder.

    The active key id is re-read from disk on every wrap, so a web worker started before
    a rotation wraps new data keys under the new key as soon as the rotation begins.
    """

    def __init__(self, keys_dir: Path, keys: dict[str, bytes]) -> None:
        self.keys_dir = keys_dir
        self._keys = keys

    @classmethod
    def load(cls, keys_dir: Path) -> KeyRing:
        """Read the ring from `keys_dir`; raises NoMasterKey if there is none."""
        keys_dir = Path(keys_dir).absolute()
        ring = cls(keys_dir, cls._read_keys(keys_dir))
        if not ring._keys:
            raise NoMasterKey(str(keys_dir))
        ring._key(ring.active)
        return ring

    @classmethod
    def create(cls, keys_dir: Path) -> KeyRing:
        """Make a ring with one fresh master key; an existing ring is returned untouched."""
        keys_dir = Path(keys_dir).absolute()
        make_dir(keys_dir)
        if cls._read_keys(keys_dir):
            return cls.load(keys_dir)
        ring = cls(keys_dir, {})
        ring.activate(ring.add_new_key())
        return ring

    @staticmethod
    def _read_keys(keys_dir: Path) -> dict[str, bytes]:
        keys: dict[str, bytes] = {}
        if not keys_dir.is_dir():
            return keys
        for path in keys_dir.iterdir():
            key_id = path.name.removesuffix(_KEY_SUFFIX)
            if not path.name.endswith(_KEY_SUFFIX) or not KEY_ID_RE.fullmatch(key_id):
                continue
            try:
                key = bytes.fromhex(path.read_text("ascii").strip())
            except ValueError as exc:
                raise KeyRingInvalid(f"{path.name} is not a hex key") from exc
            if len(key) != MASTER_KEY_SIZE:
                raise KeyRingInvalid(f"{path.name} does not hold a 32-byte key")
            keys[key_id] = key
        return keys

    def _reload(self) -> dict[str, bytes]:
        """Pick up keys added by other processes; returns the keys now on disk.

        Keys already in memory stay there even if their file was retired meanwhile: a
        blob being written under one must still be moved to the new key when it commits.
        """
        on_disk = self._read_keys(self.keys_dir)
        self._keys.update(on_disk)
        return on_disk

    def _key(self, key_id: str) -> bytes:
        if key_id not in self._keys:
            # Another process (a rotation) may have added it since we loaded.
            self._reload()
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKey(key_id) from None

    @property
    def active(self) -> str:
        """The id of the master key that wraps new data keys."""
        try:
            key_id = (self.keys_dir / _ACTIVE_FILE).read_text("ascii").strip()
        except FileNotFoundError:
            raise KeyRingInvalid("no active key recorded") from None
        if not KEY_ID_RE.fullmatch(key_id):
            raise KeyRingInvalid("the active key id is malformed")
        return key_id

    @property
    def key_ids(self) -> list[str]:
        """Ids of every master key in the key folder, sorted."""
        return sorted(self._reload())

    def has(self, key_id: str) -> bool:
        """Whether the ring holds the master key `key_id`."""
        try:
            self._key(key_id)
        except UnknownKey:
            return False
        return True

    def wrap(self, data_key: bytes, blob_id: str, key_id: str | None = None) -> WrappedKey:
        """Seal a data key for `blob_id` under `key_id` (default: the active key)."""
        key_id = key_id or self.active
        nonce = secrets.token_bytes(WRAP_NONCE_SIZE)
        return wrap_data_key(self._key(key_id), key_id, data_key, blob_id, nonce)

    def unwrap(self, wrapped: WrappedKey, blob_id: str) -> bytes:
        """Open a key slot; raises UnknownKey or KeyUnwrapFailed."""
        return unwrap_data_key(self._key(wrapped.key_id), wrapped, blob_id)

    def add_new_key(self) -> str:
        """Create a fresh master key file (not yet active) and return its id."""
        while True:
            key_id = secrets.token_hex(4)
            if key_id not in self._keys:
                break
        key = secrets.token_bytes(MASTER_KEY_SIZE)
        write_new_file(self.keys_dir / f"{key_id}{_KEY_SUFFIX}", key.hex().encode() + b"\n")
        self._keys[key_id] = key
        return key_id

    def activate(self, key_id: str) -> None:
        """Make `key_id` the key that wraps new data keys."""
        self._key(key_id)
        replace_file(self.keys_dir / _ACTIVE_FILE, key_id.encode() + b"\n")

    def retire(self, key_id: str) -> None:
        """Delete a master key that no blob uses any more; the active key is refused.

        Deleting, not archiving, is the point: once retired, a leaked copy of the old
        key no longer opens the current blobs. Backups taken before carry their own keys.
        """
        if key_id == self.active:
            raise ActiveKeyRetirement(key_id)
        self._key(key_id)
        (self.keys_dir / f"{key_id}{_KEY_SUFFIX}").unlink(missing_ok=True)
        fsync_dir(self.keys_dir)
        self._keys.pop(key_id, None)

    def rotation_target(self) -> str | None:
        """The target key id of an unfinished rotation, or None."""
        try:
            state = json.loads((self.keys_dir / _ROTATION_FILE).read_text("utf-8"))
        except FileNotFoundError:
            return None
        target = state.get("target_key_id") if isinstance(state, dict) else None
        if not isinstance(target, str) or not KEY_ID_RE.fullmatch(target):
            raise KeyRingInvalid("rotation.json is malformed")
        return target

    def begin_rotation(self) -> str:
        """Start a rotation (new active key, recorded), or return the unfinished one's target."""
        target = self.rotation_target()
        if target is None:
            target = self.add_new_key()
            payload = json.dumps({"target_key_id": target}).encode()
            replace_file(self.keys_dir / _ROTATION_FILE, payload)
        self.activate(target)
        return target

    def finish_rotation(self) -> None:
        """Forget the rotation state once every blob is on the target key."""
        (self.keys_dir / _ROTATION_FILE).unlink(missing_ok=True)
        fsync_dir(self.keys_dir)
