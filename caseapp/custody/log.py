"""Appending to a case's chain-of-custody log.

Every service that changes or reveals something about a case calls `record` inside
its own unit of work, so the entry commits (or rolls back) with the change itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.custody.chain import GENESIS_HASH, HeadKey, canonical_json, entry_hash
from caseapp.custody.models import CustodyEntry, CustodyHead
from caseapp.database import DbSession, lock_case, utcnow

# The actions the log knows, in the words the case page shows.
ACTION_LABELS: dict[str, object] = {
    "case.created": _l("Case opened"),
    "case.changed": _l("Case changed"),
    "contact.logged": _l("Contact logged"),
    "contact.changed": _l("Contact changed"),
    "contact.deleted": _l("Contact deleted"),
    "evidence.added": _l("Evidence added"),
    "evidence.viewed": _l("Evidence viewed"),
    "evidence.downloaded": _l("Original downloaded"),
    "evidence.integrity_failed": _l("Integrity check failed"),
    "evidence.changed": _l("Evidence details changed"),
    "evidence.linked": _l("Evidence linked to a contact"),
    "evidence.unlinked": _l("Evidence unlinked from a contact"),
    "evidence.withdrawn": _l("Evidence withdrawn"),
    "evidence.restored": _l("Evidence restored"),
    "dossier.exported": _l("Dossier exported"),
    "dossier.downloaded": _l("Dossier downloaded"),
    "dossier.renewed": _l("Dossier time stamp renewed"),
    "share.created": _l("Shared"),
    "share.offered": _l("Offered to an advocate"),
    "share.opened": _l("Share opened"),
    "share.accepted": _l("Offer accepted"),
    "share.declined": _l("Offer declined"),
    "share.revoked": _l("Share revoked"),
    "share.review_changed": _l("Review state changed"),
    "comment.added": _l("Comment added"),
}
ACTIONS = tuple(ACTION_LABELS)


class UnknownAction(Exception):
    """The action is not one the custody log knows."""


def actor_label(user: Any | None) -> str:
    """How an actor is written in the log: stable id plus the email at the time."""
    if user is None:
        return "system"
    return f"user:{user.id} <{user.email}>"


def record(
    session: DbSession,
    head_key: HeadKey,
    *,
    case_id: str,
    actor: str,
    action: str,
    subject: str = "",
    details: dict[str, Any] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> CustodyEntry:
    """Append one entry to the case's log and re-sign its head.

    Safe by itself, so no caller has to prepare its transaction: `lock_case` first
    makes this transaction the case's one writer (waiting for any other, never
    failing), without ending it, so the entry still commits or rolls back with the
    caller's change. The head is then read afresh (not from the session's identity
    map, which may hold an older one) and the next seq is free. The unique (case, seq)
    constraint stays as the backstop that makes a forked chain impossible.
    """
    if action not in ACTIONS:
        raise UnknownAction(action)
    lock_case(session, case_id)
    head = session.execute(
        select(CustodyHead)
        .where(CustodyHead.case_id == case_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    seq = head.seq + 1 if head else 1
    prev_hash = head.hash if head else GENESIS_HASH
    at = clock()
    details_json = canonical_json(details or {})
    digest = entry_hash(
        case_id=case_id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details_json=details_json,
        prev_hash=prev_hash,
    )
    entry = CustodyEntry(
        case_id=case_id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=details_json,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    signature = head_key.sign(case_id, seq, digest)
    if head is None:
        session.add(CustodyHead(case_id=case_id, seq=seq, hash=digest, signature=signature))
    else:
        head.seq, head.hash, head.signature = seq, digest, signature
    session.flush()
    return entry


def entries(session: DbSession, case_id: str) -> list[CustodyEntry]:
    """The case's log in order."""
    return list(
        session.scalars(
            select(CustodyEntry).where(CustodyEntry.case_id == case_id).order_by(CustodyEntry.seq)
        )
    )


def head_of(session: DbSession, case_id: str) -> CustodyHead | None:
    """The signed head of the case's log, if it has one."""
    return session.get(CustodyHead, case_id)
