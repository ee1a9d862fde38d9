"""The hash chain itself: how an entry is hashed and how a head is signed.

Kept apart from the database so `log` (appending) and `verify` (checking) share one
definition of the bytes that are hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
HEAD_KEY_FILE = "custody-head.key"


def canonical_json(details: dict[str, Any]) -> str:
    """JSON with sorted keys and no spaces, so the same details always hash the same."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _field(value: str) -> bytes:
    # Length-prefixed so that no two different entries encode to the same bytes.
    raw = value.encode("utf-8")
    return len(raw).to_bytes(8, "big") + raw


def entry_hash(
    *,
    case_id: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details_json: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the length-prefixed canonical encoding of one entry."""
    digest = hashlib.sha256(b"caseapp-custody-v1")
    for value in (
        case_id,
        str(seq),
        at.isoformat(),
        actor,
        action,
        subject,
        details_json,
        prev_hash,
    ):
        digest.update(_field(value))
    return digest.hexdigest()


def head_message(case_id: str, seq: int, head_hash: str) -> bytes:
    """The bytes a head signature covers: (case, seq, hash of the head entry), length-prefixed."""
    return b"caseapp-custody-head-v1" + _field(case_id) + _field(str(seq)) + _field(head_hash)


def check_head_signature(
    public: Ed25519PublicKey, case_id: str, seq: int, head_hash: str, signature: str
) -> bool:
    """True when `signature` (hex) is `public`'s signature over exactly this head."""
    try:
        public.verify(bytes.fromhex(signature), head_message(case_id, seq, head_hash))
    except (InvalidSignature, ValueError):
        return False
    return True


def load_head_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """The custody key's public half from PEM (ValueError if it is not an Ed25519 key)."""
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class HeadKey:
    """The instance's Ed25519 key that signs every case's custody head."""

    private: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> HeadKey:
        """Load the key, creating it (mode 0600) on first use; never overwrites."""
        path = keys_dir / HEAD_KEY_FILE
        if not path.exists():
            keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it first; use theirs
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return cls(key)

    def sign(self, case_id: str, seq: int, head_hash: str) -> str:
        """Signature over (case, seq, hash) of the head entry, hex."""
        return self.private.sign(head_message(case_id, seq, head_hash)).hex()

    def check(self, case_id: str, seq: int, head_hash: str, signature: str) -> bool:
        """True when the signature is ours over exactly this head."""
        return check_head_signature(
            self.private.public_key(), case_id, seq, head_hash, signature
        )

    def public_pem(self) -> str:
        """The public half, PEM: what a dossier bundle carries so heads can be checked."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
