"""Taking evidence in: a row for each uploaded file, and a job to read it.

Order matters for durability: the blob is already committed in the vault when the row
that points at it is added, so a crash leaves at worst a stray blob (found by
`caseapp vault sweep`), never a row without its blob. The reading job commits with the
row and runs after the upload has answered (caseapp/evidence/reading.py): a parser
failure becomes a warning on the evidence, never a lost upload or a held request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import func, select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.custody import log as custody
from caseapp.database import DbSession, lock_case, new_id
from caseapp.evidence.models import Evidence
from caseapp.evidence.reading import queue_reading
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
    """Stream a multipart upload into the vault and record each file, to be read later.

    UploadError or InvalidFields when refused; then nothing of it stays stored.
    """
    # Streaming a large file takes a while: give the database connection back to the
    # pool meanwhile (the session holds nothing uncommitted; `case` and `user` reload).
    session.rollback()
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
    return add_upload(session, rt, case, user, upload, values)


def add_file(
    session: DbSession,
    rt: Runtime,
    case: Case,
    user: User,
    name: str,
    data: bytes,
    values: dict[str, Any],
) -> Evidence:
    """Store a file already in memory (demo data, imports) and queue its reading."""
    blob = rt.vault.put_bytes(new_id(), data)
    upload = ReceivedUpload(files=[ReceivedFile(blob, name, None, data[:HEAD_BYTES])])
    return add_upload(session, rt, case, user, upload, values)[0]


def add_upload(
    session: DbSession,
    rt: Runtime,
    case: Case,
    user: User,
    upload: ReceivedUpload,
    values: dict[str, Any],
) -> list[Evidence]:
    """Record every file of an upload in the case, each with its reading job.

    When one file cannot be recorded, the blobs of those not recorded yet are deleted
    too (its own `record_file` deletes): what stays is only what has a row.
    """
    added: list[Evidence] = []
    for index, received in enumerate(upload.files):
        try:
            added.append(record_file(session, rt, case.id, user, received, values))
        except BaseException:
            for left in upload.files[index + 1 :]:
                rt.vault.delete(left.blob.blob_id)
            raise
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


def record_file(
    session: DbSession,
    rt: Runtime,
    case_id: str,
    user: User | None,
    received: ReceivedFile,
    values: dict[str, Any],
    parent: Evidence | None = None,
) -> Evidence:
    """Add the row of a stored blob (a file found inside `parent`) and its custody entry.

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
    if parent is None:  # files found inside are read by their upload's job
        queue_reading(session, evidence)
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
