"""Recording evidence: numbers under contention, and no blob left without its row."""

from __future__ import annotations

import io

from sqlalchemy import select

from caseapp.custody import log as custody
from caseapp.custody.verify import verify_chain
from caseapp.evidence.models import Derivative, Evidence
from caseapp.extensions import db
from caseapp.jobs.models import Job
from tests.conftest import post_all_at_once

BOUNDARY = "caseapp-test-boundary"


class RecordingFailed(Exception):
    """Stands in for anything that goes wrong while a row is recorded."""


def multipart_file(name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body holding one file, and its content type."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def blobs_in_vault(app) -> set[str]:
    return set(app.extensions["caseapp"].vault.store.list())


def blobs_referenced() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Evidence.blob_id))) | set(
        db.session.scalars(select(Derivative.blob_id))
    )


def fail_when(monkeypatch, should_fail) -> None:
    """Make custody.record raise for the entries `should_fail(action, details)` picks."""
    real = custody.record

    def record(session, head_key, **fields):
        if should_fail(fields["action"], fields.get("details") or {}):
            raise RecordingFailed(fields["action"])
        return real(session, head_key, **fields)

    monkeypatch.setattr(custody, "record", record)


def test_thirty_simultaneous_uploads_to_one_case_all_land_numbered_one_to_thirty(
    app, live_server, api, case
):
    posts = []
    for n in range(1, 31):
        body, content_type = multipart_file(f"receipt-{n}.txt", f"receipt number {n}\n".encode())
        posts.append((f"/api/v1/cases/{case.id}/evidence", body,
                      {**api.headers, "Content-Type": content_type}))

    answers = post_all_at_once(live_server, posts)

    assert [status for status, _ in answers] == [201] * 30, answers
    assert sorted(body["number"] for _, body in answers) == list(range(1, 31))
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case.id)
    assert report.intact, report.reason
    assert report.entries == 1 + 30  # case.created, then one evidence.added each
    assert blobs_in_vault(app) == blobs_referenced()


def test_an_upload_whose_row_cannot_be_recorded_leaves_no_blob(app, api, case, monkeypatch):
    fail_when(monkeypatch, lambda action, details: action == "evidence.added")
    response = api.post(f"/api/v1/cases/{case.id}/evidence",
                        data={"file": (io.BytesIO(b"bank statement"), "statement.txt")},
                        content_type="multipart/form-data")
    assert response.status_code == 500
    assert db.session.scalars(select(Evidence)).all() == []
    assert blobs_in_vault(app) == set()
    assert verify_chain(db.session, app.extensions["caseapp"].head_key, case.id).entries == 1


def test_when_one_file_of_an_upload_fails_the_files_after_it_leave_no_blob_either(
    app, api, case, monkeypatch
):
    fail_when(monkeypatch, lambda action, details: details.get("number") == 2)
    files = [(io.BytesIO(f"page {n}".encode()), f"page-{n}.txt") for n in (1, 2, 3)]
    response = api.post(f"/api/v1/cases/{case.id}/evidence", data={"file": files},
                        content_type="multipart/form-data")
    assert response.status_code == 500
    recorded = db.session.scalars(select(Evidence)).all()
    assert [item.name for item in recorded] == ["page-1.txt"]
    assert blobs_in_vault(app) == blobs_referenced()  # page 1 and what was read from it
    assert recorded[0].blob_id in blobs_referenced()


def test_a_file_found_inside_evidence_whose_row_fails_leaves_no_blob(
    app, api, case, samples, monkeypatch
):
    fail_when(monkeypatch, lambda action, details: action == "evidence.added" and details["parent"])
    message = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    response = api.post(f"/api/v1/cases/{case.id}/evidence",
                        data={"file": (io.BytesIO(message), "msg.msg")},
                        content_type="multipart/form-data")
    assert response.status_code == 201  # reading happens after the upload has answered
    recorded = db.session.scalars(select(Evidence)).all()
    assert [item.name for item in recorded] == ["msg.msg"]  # the upload itself stays
    assert blobs_in_vault(app) == blobs_referenced()
    job = db.session.scalars(select(Job).where(Job.subject == recorded[0].id)).one()
    assert job.state == "queued", "its reading is tried again later"
    assert "RecordingFailed" in job.error
