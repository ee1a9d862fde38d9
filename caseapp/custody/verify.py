"""Checking a case's chain of custody: every hash, every link, the signed head.

`check_chain` is the one walk over a log; `verify_chain` feeds it the database's rows and
`caseapp.custody.document` the entries a dossier bundle carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from caseapp.custody.chain import GENESIS_HASH, HeadKey, entry_hash
from caseapp.custody.models import CustodyEntry, CustodyHead
from caseapp.database import DbSession


class Entry(Protocol):
    """What the walk reads of one entry (a database row or an entry from a bundle)."""

    @property
    def case_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def details(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


class Head(Protocol):
    """What the walk reads of the signed head."""

    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> str: ...
    @property
    def signature(self) -> str: ...


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking one case's log."""

    case_id: str
    entries: int
    head_hash: str | None
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.reason is None


def check_chain(
    case_id: str,
    rows: Sequence[Entry],
    head: Head | None,
    signature_ok: Callable[[int, str, str], bool],
) -> ChainReport:
    """Recompute every hash in order; report the first entry where the chain breaks.

    `signature_ok(seq, hash, signature)` says whether the head signature is the custody key's.
    """
    prev_hash = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return ChainReport(
                case_id, len(rows), None, expected_seq, f"entry {expected_seq} is missing"
            )
        if row.prev_hash != prev_hash:
            return ChainReport(
                case_id, len(rows), None, row.seq, "link to the previous entry broken"
            )
        recomputed = entry_hash(
            case_id=case_id,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            details_json=row.details,
            prev_hash=row.prev_hash,
        )
        if row.case_id != case_id or recomputed != row.hash:
            return ChainReport(case_id, len(rows), None, row.seq, "entry altered (hash mismatch)")
        prev_hash = row.hash
    if not rows:
        if head is not None:
            return ChainReport(case_id, 0, None, 1, "log emptied but its signed head remains")
        return ChainReport(case_id, 0, None)
    last = rows[-1]
    if head is None:
        return ChainReport(case_id, len(rows), last.hash, last.seq, "signed head missing")
    if not signature_ok(head.seq, head.hash, head.signature):
        return ChainReport(case_id, len(rows), last.hash, head.seq, "head signature invalid")
    if head.seq != last.seq or head.hash != last.hash:
        return ChainReport(
            case_id,
            len(rows),
            last.hash,
            min(head.seq, last.seq + 1),
            f"log cut off: signed head is entry {head.seq}, log ends at {last.seq}",
        )
    return ChainReport(case_id, len(rows), last.hash)


def verify_chain(session: DbSession, head_key: HeadKey, case_id: str) -> ChainReport:
    """Check the case's log as stored in the database."""
    rows = list(
        session.scalars(
            select(CustodyEntry).where(CustodyEntry.case_id == case_id).order_by(CustodyEntry.seq)
        )
    )
    head = session.get(CustodyHead, case_id)
    return check_chain(
        case_id,
        rows,
        head,
        lambda seq, digest, signature: head_key.check(case_id, seq, digest, signature),
    )
