"""Taking evidence in: a row for each uploaded file, then reading it.

Order matters for durability: the blob is already committed in the vault when the row
that points at it is added, so a crash leaves at worst a stray blob (found by
`caseapp vault sweep`), never a row without its blob. Reading happens after the row
commits: a parser failure becomes a warning on the evidence, never a lost upload.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import func, select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.custody import log as custody
from caseapp.database import DbSession, lock_case, new_id
from caseapp.evidence.models import Derivative, Evidence
from caseapp.evidence.parsers.base import Limits, ParseResult
from caseapp.evidence.parsers.sandbox import parse_isolated
from caseapp.evidence.sniff import HEAD_BYTES, sniff
from caseapp.evidence.upload import ReceivedFile, ReceivedUpload, receive_upload
from caseapp.fields import FieldSpec, InvalidFields, read_fields
from caseapp.runtime import Runtime

UPLOAD_FIELDS: dict[str, FieldSpec] = {
    "description": FieldSpec("text", max_length=5000),
    "captured_at": FieldSpec("time"),
    "source": FieldSpec("text", max_length=255),
}
MAX_NAME = 255


def take_upload(
    session: DbSession,
    rt: Runtime,
    case: Case,
    user: User,
    stream: IO[bytes],
    content_type: str | None,
    content_length: int | None,
    tz: str,
    csrf_check: Callable[[str], bool] | None = None,
) -> list[Evidence]:
    """Stream a multipart upload into the vault, record each file and read it.

    UploadError or InvalidFields when refused; then nothing of it stays stored.
    """
    upload = receive_upload(
        stream,
        content_type,
        content_length,
        rt.vault,
        max_bytes=rt.settings.max_upload_bytes,
        text_fields=frozenset(UPLOAD_FIELDS),
        csrf_check=csrf_check,
    )
    try:
        values = read_fields(UPLOAD_FIELDS, upload.fields, tz, partial=False)
    except InvalidFields:
        for received in upload.files:
            rt.vault.delete(received.blob.blob_id)
        raise
    return add_upload(session, rt, case, user, upload, values, tz)


def add_file(
    session: DbSession,
    rt: Runtime,
    case: Case,
    user: User,
    name: str,
    data: bytes,
    values: dict[str, Any],
    tz: str,
) -> Evidence:
    """Store and read a file already in memory (demo data, imports)."""
    blob = rt.vault.put_bytes(new_id(), data)
    upload = ReceivedUpload(files=[ReceivedFile(blob, name, None, data[:HEAD_BYTES])])
    return add_upload(session, rt, case, user, upload, values, tz)[0]


def add_upload(
    session: DbSession,
    rt: Runtime,
    case: Case,
    user: User,
    upload: ReceivedUpload,
    values: dict[str, Any],
    tz: str,
) -> list[Evidence]:
    """Record every file of an upload in the case and read each one.

    When one file cannot be recorded, the blobs of those not recorded yet are deleted
    too (its own `_record` deletes): what stays is only what has a row.
    """
    added: list[Evidence] = []
    for index, received in enumerate(upload.files):
        try:
            added.append(_record(session, rt, case.id, user, received, values))
        except BaseException:
            for left in upload.files[index + 1 :]:
                rt.vault.delete(left.blob.blob_id)
            raise
    for evidence in added:
        read_evidence(session, rt, evidence, user, tz)
    return added


def _display_name(filename: str, fallback: str) -> str:
    # Keep only the last path component a browser may send, and no control characters.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or fallback)[:MAX_NAME]


def _next_number(session: DbSession, case_id: str) -> int:
    current = session.scalar(select(func.max(Evidence.number)).where(Evidence.case_id == case_id))
    return (current or 0) + 1


def _first_with_hash(session: DbSession, case_id: str, sha256: str) -> str | None:
    return session.scalar(
        select(Evidence.id)
        .where(Evidence.case_id == case_id, Evidence.sha256 == sha256)
        .order_by(Evidence.number)
        .limit(1)
    )


def _record(
    session: DbSession,
    rt: Runtime,
    case_id: str,
    user: User | None,
    received: ReceivedFile,
    values: dict[str, Any],
    parent: Evidence | None = None,
) -> Evidence:
    """Add the row of a stored blob and its custody entry, committed.

    The number and the custody seq are the next free ones: `_insert` takes the case's
    writer lock before reading them, so a concurrent upload to the same case waits
    for this one instead of colliding. If the row cannot be recorded, for any reason,
    the blob is deleted before the error goes on: no blob stays without a row.
    """
    try:
        evidence = _insert(session, rt, case_id, user, received, values, parent)
        session.commit()
    except BaseException:
        try:
            session.rollback()
        finally:
            rt.vault.delete(received.blob.blob_id)
        raise
    return evidence


def _insert(
    session: DbSession,
    rt: Runtime,
    case_id: str,
    user: User | None,
    received: ReceivedFile,
    values: dict[str, Any],
    parent: Evidence | None,
) -> Evidence:
    sniffed = sniff(received.head, received.filename)
    lock_case(session, case_id)  # before reading the highest number, held until commit
    number = _next_number(session, case_id)
    evidence = Evidence(
        case_id=case_id,
        number=number,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        blob_id=received.blob.blob_id,
        name=_display_name(received.filename, f"evidence-{number}"),
        media_type=sniffed.media_type,
        kind=sniffed.kind,
        size=received.blob.size,
        sha256=received.blob.sha256,
        uploaded_by_id=user.id if user else None,
        duplicate_of_id=_first_with_hash(session, case_id, received.blob.sha256),
        description=values.get("description") or "",
        captured_at=values.get("captured_at"),
        source=values.get("source") or "",
    )
    session.add(evidence)
    session.flush()
    custody.record(
        session,
        rt.head_key,
        case_id=case_id,
        actor=custody.actor_label(user),
        action="evidence.added",
        subject=f"evidence:{evidence.id}",
        details={
            "number": number,
            "name": evidence.name,
            "sha256": evidence.sha256,
            "size": evidence.size,
            "media_type": evidence.media_type,
            "parent": parent.id if parent else None,
            "duplicate_of": evidence.duplicate_of_id,
        },
    )
    return evidence


def read_evidence(
    session: DbSession, rt: Runtime, evidence: Evidence, user: User | None, tz: str
) -> None:
    """Read an item and, breadth first, the files found inside it, within the bounds."""
    limits = Limits()
    children_left = limits.max_children
    queue = deque([evidence])
    while queue:
        item = queue.popleft()
        result = _read_one(rt, item, limits, tz)
        taken = result.children[:children_left]
        if len(taken) < len(result.children):
            result.warnings.append(
                f"more than {limits.max_children} files inside: the rest were not extracted"
            )
        children_left -= len(taken)
        _store_reading(session, rt, item, result)
        session.commit()
        for child in taken:
            blob = rt.vault.put_bytes(new_id(), child.data)
            received = ReceivedFile(blob, child.name, child.media_type, child.data[:HEAD_BYTES])
            queue.append(
                _record(
                    session,
                    rt,
                    item.case_id,
                    user,
                    received,
                    {"description": child.description or ""},
                    parent=item,
                )
            )


def _read_one(rt: Runtime, evidence: Evidence, limits: Limits, tz: str) -> ParseResult:
    settings = rt.settings
    if evidence.size > settings.parse_max_bytes:
        mib = settings.parse_max_bytes // (1024 * 1024)
        return ParseResult(
            kind=evidence.kind, warnings=[f"larger than {mib} MiB: kept and hashed, but not read"]
        )
    if evidence.depth > limits.max_depth:
        return ParseResult(
            kind=evidence.kind, warnings=["nested too deep: kept and hashed, but not read"]
        )
    data = rt.vault.read_bytes(evidence.blob_id, settings.parse_max_bytes)
    return parse_isolated(
        data, evidence.media_type, evidence.kind, evidence.name, limits, depth=evidence.depth, tz=tz
    )


def _store_reading(
    session: DbSession, rt: Runtime, evidence: Evidence, result: ParseResult
) -> None:
    if result.kind and result.kind != "other":
        evidence.kind = result.kind
    evidence.read_state = "done"
    reading = {
        "kind": evidence.kind,
        "parsed": {**result.parsed, "kind": evidence.kind},
        "warnings": list(result.warnings),
    }
    put = _derivative_writer(session, rt, evidence)
    put("reading", json.dumps(reading, ensure_ascii=False).encode("utf-8"), "application/json")
    if result.text:
        put("text", result.text.encode("utf-8"), "text/plain; charset=utf-8")
    if result.html:
        put("html", result.html.encode("utf-8"), "text/html; charset=utf-8")
    if result.transcript is not None:
        put(
            "transcript",
            json.dumps(result.transcript, ensure_ascii=False).encode("utf-8"),
            "application/json",
        )
    for rendition in result.renditions:
        put(rendition.role, rendition.data, rendition.media_type)


def _derivative_writer(session: DbSession, rt: Runtime, evidence: Evidence) -> Any:
    def put(role: str, data: bytes, media_type: str) -> None:
        blob = rt.vault.put_bytes(new_id(), data)
        evidence.derivatives.append(
            Derivative(role=role, blob_id=blob.blob_id, media_type=media_type, size=blob.size)
        )

    return put
