"""Reading evidence after the upload has answered: a background job per uploaded file.

The upload stores, hashes and records the original, adds a reading job in the same
transaction and answers. The job (see caseapp/jobs) reads the file in the sandbox and,
breadth first, every file found inside it, all within one time budget
(`read_budget_seconds`), storing what was read item by item. An interrupted reading is
picked up by the next runner: items already read are skipped, the rest are read.

`read_state` of an item: ``pending`` (waiting), ``reading``, ``read`` (something was
read; warnings say what could not be), ``failed`` (nothing could be read: a warning
says why). Never a hang, never an error for the upload.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.database import DbSession, new_id
from caseapp.evidence.models import Derivative, Evidence
from caseapp.evidence.parsers.base import Limits, ParseResult
from caseapp.evidence.parsers.html import resanitise_html
from caseapp.evidence.parsers.renditions import check_rendition
from caseapp.evidence.parsers.sandbox import parse_isolated
from caseapp.evidence.sniff import HEAD_BYTES
from caseapp.evidence.upload import ReceivedFile
from caseapp.extensions import db
from caseapp.jobs import Claim, enqueue, register_handler
from caseapp.runtime import Runtime, runtime_of

READ_JOB = "evidence.read"
_FINISHED = ("read", "failed")


def register_jobs() -> None:
    """Declare the reading job to the job runners."""
    register_handler(READ_JOB, run_reading, lane="reading", max_attempts=3, on_give_up=_gave_up)


def queue_reading(session: DbSession, evidence: Evidence) -> None:
    """Ask for an uploaded item to be read once the caller's transaction commits."""
    enqueue(session, READ_JOB, evidence.id)


def run_reading(claim: Claim) -> None:
    """Read one uploaded item and the files inside it, within the upload's budget."""
    session = db.session
    rt = runtime_of(claim.app)
    root = session.get(Evidence, claim.subject)
    if root is None:
        return
    deadline = time.monotonic() + rt.settings.read_budget_seconds
    limits = Limits()
    uploader = session.get(User, root.uploaded_by_id) if root.uploaded_by_id else None
    tz = (uploader.timezone if uploader else None) or "UTC"
    children_left = limits.max_children - _count_descendants(session, root)
    queue = deque([root.id])
    while queue:
        item = session.get(Evidence, queue.popleft())
        if item is None:
            continue
        if item.read_state in _FINISHED:  # read before an interruption
            queue.extend(child.id for child in item.children)
            continue
        item.read_state = "reading"
        session.commit()
        result = _read_one(rt, item, limits, tz, deadline)
        # The files inside are recorded before the item is marked read, so a reader
        # never sees it finished without them. An item interrupted after that keeps
        # the children it has rather than extracting them twice.
        if not item.children:
            taken = result.children[: max(children_left, 0)]
            if len(taken) < len(result.children):
                result.warnings.append(
                    f"more than {limits.max_children} files inside: the rest were not extracted"
                )
            children_left -= len(taken)
            if taken:
                claim.check(session)
            for child in taken:
                _record_child(session, rt, item, uploader, child)
            session.refresh(item)
        queue.extend(child.id for child in item.children)
        _commit_reading(session, rt, item, result, claim)
    claim.finish(session)
    session.commit()


def _count_descendants(session: DbSession, root: Evidence) -> int:
    # Files already extracted before an interruption count against the same bound.
    count, level = 0, [root.id]
    while level:
        level = list(session.scalars(select(Evidence.id).where(Evidence.parent_id.in_(level))))
        count += len(level)
    return count


def _read_one(
    rt: Runtime, evidence: Evidence, limits: Limits, tz: str, deadline: float
) -> ParseResult:
    settings = rt.settings
    if deadline <= time.monotonic():
        budget = settings.read_budget_seconds
        return ParseResult(
            kind=evidence.kind,
            warnings=[f"not read: the reading time for this upload ({budget:g} s) ran out"],
        )
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
    result = parse_isolated(
        data,
        evidence.media_type,
        evidence.kind,
        evidence.name,
        limits,
        evidence.depth,
        tz,
        deadline=deadline,
    )
    return _checked(result)


def _checked(result: ParseResult) -> ParseResult:
    """Distrust what came back from the sandbox: it read hostile bytes.

    Its HTML is sanitised again here, and a picture that is not the PNG or JPEG it
    claims to be, or has an unexpected role, is dropped with a warning.
    """
    if result.html:
        result.html = resanitise_html(result.html)
    kept = []
    for rendition in result.renditions:
        problem = check_rendition(rendition)
        if problem is None:
            kept.append(rendition)
        else:
            result.warnings.append(f"a preview was dropped: {problem}")
    result.renditions = kept
    return result


def _nothing_read(result: ParseResult) -> bool:
    return not (
        result.parsed
        or result.text
        or result.html
        or result.transcript
        or result.renditions
        or result.children
    )


def _commit_reading(
    session: DbSession,
    rt: Runtime,
    evidence: Evidence,
    result: ParseResult,
    claim: Claim | None = None,
) -> None:
    """Store what was read and commit it (while `claim` still holds the job); if that
    fails, its blobs go too (no strays)."""
    written: list[str] = []
    try:
        _store_reading(session, rt, evidence, result, written)
        if claim is not None:
            claim.check(session)
        session.commit()
    except BaseException:
        session.rollback()
        for blob_id in written:
            rt.vault.delete(blob_id)
        raise


def _store_reading(
    session: DbSession,
    rt: Runtime,
    evidence: Evidence,
    result: ParseResult,
    written: list[str],
) -> None:
    if result.kind and result.kind != "other":
        evidence.kind = result.kind
    evidence.read_state = "failed" if _nothing_read(result) and result.warnings else "read"
    reading = {
        "kind": evidence.kind,
        "parsed": {**result.parsed, "kind": evidence.kind},
        "warnings": list(result.warnings),
    }
    put = _derivative_writer(rt, evidence, written)
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


def _derivative_writer(
    rt: Runtime, evidence: Evidence, written: list[str]
) -> Callable[[str, bytes, str], None]:
    # Derivatives commit together with the final read_state, so an item still
    # "reading" after an interruption has none to replace.
    def put(role: str, data: bytes, media_type: str) -> None:
        blob = rt.vault.put_bytes(new_id(), data)
        written.append(blob.blob_id)
        evidence.derivatives.append(
            Derivative(role=role, blob_id=blob.blob_id, media_type=media_type, size=blob.size)
        )

    return put


def _record_child(
    session: DbSession, rt: Runtime, parent: Evidence, uploader: User | None, child: Any
) -> Evidence:
    from caseapp.evidence.ingest import record_file

    blob = rt.vault.put_bytes(new_id(), child.data)
    received = ReceivedFile(blob, child.name, child.media_type, child.data[:HEAD_BYTES])
    return record_file(
        session,
        rt,
        parent.case_id,
        uploader,
        received,
        {"description": child.description or ""},
        parent=parent,
    )


def _gave_up(app: Flask, evidence_id: str, error: str) -> None:
    # Reading was interrupted on every attempt (the process died each time): the item
    # and anything inside it still waiting end `failed`, with a warning saying why.
    session = db.session
    rt = runtime_of(app)
    queue = deque([evidence_id])
    while queue:
        item = session.get(Evidence, queue.popleft())
        if item is None:
            continue
        queue.extend(child.id for child in item.children)
        if item.read_state in _FINISHED:
            continue
        stopped = ParseResult(
            kind=item.kind, warnings=["not read: reading was interrupted repeatedly"]
        )
        _commit_reading(session, rt, item, stopped)
