"""The custody log as a document a dossier bundle carries (custody.json), and its check.

A stranger holding only the bundle can recompute every entry's hash with the same function
the app uses (`chain.entry_hash`), follow the links to the head and check the head's Ed25519
signature with the public key the document carries. That key proves only that the document is
consistent with itself; what ties the log to the dossier is its head hash, which the signed,
time-stamped manifest repeats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseapp.custody import log as custody
from caseapp.custody.chain import (
    HeadKey,
    canonical_json,
    check_head_signature,
    load_head_public_key,
)
from caseapp.custody.verify import ChainReport, Entry, Head, check_chain
from caseapp.database import DbSession

DOCUMENT_FORMAT = "caseapp-custody-log"
DOCUMENT_VERSION = 1
HASH_ALGORITHM = (
    "hash = SHA-256(b'caseapp-custody-v1' + F(case_id) + F(str(seq)) + F(at) + F(actor) + "
    "F(action) + F(subject) + F(details as JSON, sorted keys, separators ',' ':', UTF-8) + "
    "F(prev_hash)), F(s) = 8-byte big-endian length of UTF-8 s, then s; the first prev_hash is "
    "64 zeros. Head signature: Ed25519 over b'caseapp-custody-head-v1' + F(case_id) + "
    "F(str(seq)) + F(hash)."
)


class CustodyDocumentInvalid(ValueError):
    """custody.json is not a custody log document this version can read."""


@dataclass(frozen=True)
class LoggedEntry:
    """One entry as the chain hashes it (`details` as canonical JSON text)."""

    case_id: str
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class SignedHead:
    """The log's head and its signature."""

    seq: int
    hash: str
    signature: str


def custody_document(session: DbSession, head_key: HeadKey, case_id: str) -> dict[str, Any]:
    """The case's log up to its signed head, with the head signature and the key's public half.

    The head is read first and only entries up to it are taken, so an entry appended while
    this runs cannot make the document disagree with its own signature.
    """
    head = custody.head_of(session, case_id)
    rows = [e for e in custody.entries(session, case_id) if head is not None and e.seq <= head.seq]
    return build_document(case_id, rows, head, head_key.public_pem())


def build_document(
    case_id: str, rows: Sequence[Entry], head: Head | None, public_pem: str
) -> dict[str, Any]:
    """The document for these entries and head (`details` as stored: canonical JSON text)."""
    return {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "case_id": case_id,
        "algorithm": HASH_ALGORITHM,
        "entries": [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "details": json.loads(e.details),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in rows
        ],
        "head": (
            {"seq": head.seq, "hash": head.hash, "signature": head.signature}
            if head is not None
            else None
        ),
        "public_key": public_pem,
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    """The serialisation a bundle carries: sorted keys, indented, UTF-8."""
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()


def _entry(case_id: str, raw: Any) -> LoggedEntry:
    at = datetime.fromisoformat(raw["at"])
    if at.isoformat() != raw["at"]:  # the hash covers the text; it must round-trip exactly
        raise ValueError("time not in the log's format")
    fields = [raw[k] for k in ("actor", "action", "subject", "prev_hash", "hash")]
    if not all(isinstance(f, str) for f in fields) or type(raw["seq"]) is not int:
        raise ValueError("wrong field type")
    return LoggedEntry(case_id, raw["seq"], at, fields[0], fields[1], fields[2],
                  canonical_json(raw["details"]), fields[3], fields[4])


def check_custody_document(raw: bytes) -> ChainReport:
    """Recompute the chain a custody.json carries and check its head signature.

    Raises `CustodyDocumentInvalid` when the document cannot be read at all.
    """
    try:
        document = json.loads(raw)
        if document.get("format") != DOCUMENT_FORMAT:
            raise ValueError("not a custody log document")
        case_id = document["case_id"]
        if not isinstance(case_id, str):
            raise ValueError("case id is not text")
        public = load_head_public_key(document["public_key"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CustodyDocumentInvalid("custody.json cannot be read") from error
    entries: list[LoggedEntry] = []
    for index, item in enumerate(document.get("entries") or [], start=1):
        try:
            entries.append(_entry(case_id, item))
        except (ValueError, KeyError, TypeError):
            seq = item.get("seq") if isinstance(item, dict) else None
            seq = seq if isinstance(seq, int) else index
            return ChainReport(case_id, index, None, seq, "entry cannot be read")
    head_raw = document.get("head")
    try:
        head = (
            SignedHead(int(head_raw["seq"]), str(head_raw["hash"]), str(head_raw["signature"]))
            if head_raw is not None
            else None
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CustodyDocumentInvalid("custody.json: the head cannot be read") from error
    return check_chain(
        case_id,
        entries,
        head,
        lambda seq, digest, signature: check_head_signature(
            public, case_id, seq, digest, signature
        ),
    )
