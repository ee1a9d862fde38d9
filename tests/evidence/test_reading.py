"""Reading happens after the upload has answered, survives an interruption, and is
bounded by one time budget per uploaded file."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp.database import utcnow
from caseapp.evidence.models import Evidence
from caseapp.extensions import db
from caseapp.jobs.models import Job

# The web requests do not read: each test starts or drains the runner itself.
pytestmark = pytest.mark.settings(jobs_inline=False, web_runs_jobs=False)


@pytest.fixture
def background_app(app):
    return app


@pytest.fixture
def owner_api(api):
    return api


def _upload(api, case_id, data, name):
    # The body is built here: the test client would spool a large one to a temp file
    # it never closes.
    boundary = "caseapp-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + (
            f"\r\n--{boundary}--\r\n").encode()
    return api.post(f"/api/v1/cases/{case_id}/evidence", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}")


def _wait_read(api, evidence_id, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/evidence/{evidence_id}").get_json()
        if body["read_state"] in ("read", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"still {body['read_state']} after {seconds} s")


def test_upload_answers_before_reading_and_the_item_is_read_afterwards(
    background_app, owner_api, samples
):
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "提现失败", "counterparty": "星链钱包", "category": "transaction_failed",
    }).get_json()["id"]
    email = (samples / "email" / "chinese_gbk_encoding.eml").read_bytes()
    created = _upload(owner_api, case_id, email, "回复.eml")
    assert created.status_code == 201
    body = created.get_json()
    assert body["read_state"] == "pending"
    assert body["warnings"] == []
    background_app.extensions["caseapp"].jobs.start()
    read = _wait_read(owner_api, body["id"])
    assert read["read_state"] == "read"
    assert read["parsed"]["kind"] == "email"
    assert read["parsed"]["subject"]


def test_a_reading_interrupted_by_a_restart_is_resumed(background_app, owner_api, samples):
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    msg = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    evidence_id = _upload(owner_api, case_id, msg, "msg.msg").get_json()["id"]
    # What a process killed while reading leaves behind: the item "reading", the job
    # running under a lease nobody renews any more.
    item = db.session.get(Evidence, evidence_id)
    item.read_state = "reading"
    job = db.session.scalars(select(Job).where(Job.subject == evidence_id)).one()
    job.state, job.attempts = "running", 1
    job.lease_owner, job.lease_expires_at = "killed", utcnow() - timedelta(seconds=1)
    db.session.commit()
    background_app.extensions["caseapp"].jobs.start()
    read = _wait_read(owner_api, evidence_id)
    assert read["read_state"] == "read"
    assert len(read["children"]) == 2
    deadline = time.monotonic() + 60
    while db.session.get(Job, job.id).state != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.expire_all()
    items = owner_api.get(f"/api/v1/cases/{case_id}/evidence").get_json()["items"]
    assert len(items) > 3, "the attachments, and theirs, were extracted"
    assert {item["read_state"] for item in items} == {"read"}
    assert len({item["sha256"] + str(item["parent_id"]) for item in items}) == len(items), (
        "nothing was extracted twice"
    )


def test_the_reading_budget_covers_the_files_inside_too(background_app, owner_api, samples):
    background_app.extensions["caseapp"].settings.__dict__["read_budget_seconds"] = 0.0
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    msg = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    evidence_id = _upload(owner_api, case_id, msg, "msg.msg").get_json()["id"]
    background_app.extensions["caseapp"].jobs.drain()
    body = owner_api.get(f"/api/v1/evidence/{evidence_id}").get_json()
    assert body["read_state"] == "failed"
    assert any("ran out" in warning for warning in body["warnings"])


def _nested_div_email(depth: int) -> bytes:
    html = "<div>" * depth + "资产被冻结" + "</div>" * depth
    return (
        "From: support@wallet.example\r\nTo: me@example.org\r\nSubject: deep\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + html
    ).encode("utf-8")


def test_a_hostile_email_is_answered_at_once_and_others_keep_being_served(
    background_app, owner_api, client
):
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    background_app.extensions["caseapp"].jobs.start()
    started = time.monotonic()
    created = _upload(owner_api, case_id, _nested_div_email(80_000), "deep.eml")
    assert created.status_code == 201
    assert time.monotonic() - started < 5
    # While the reader works on it, another visitor's pages answer promptly.
    for _ in range(5):
        asked = time.monotonic()
        assert client.get("/login").status_code == 200
        assert time.monotonic() - asked < 2
    read = _wait_read(owner_api, created.get_json()["id"], seconds=120)
    assert read["read_state"] == "read"
    assert any("nested deeper" in warning for warning in read["warnings"])
    text = owner_api.get(f"/api/v1/evidence/{read['id']}/text").get_data(as_text=True)
    assert "资产被冻结" in text


def test_what_comes_back_from_the_sandbox_is_checked_before_it_is_stored(
    background_app, owner_api, monkeypatch
):
    from caseapp.evidence import reading
    from caseapp.evidence.parsers.base import ParseResult, Rendition
    from caseapp.evidence.service import derived_bytes

    def subverted(*args, **kwargs):
        return ParseResult(
            kind="email",
            parsed={"subject": "hi"},
            html='<p onclick="steal()">hello</p><script>steal()</script>',
            renditions=[
                Rendition("thumbnail", "image/png", b"<svg onload=alert(1)>"),
                Rendition("page-1", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32),
            ],
        )

    monkeypatch.setattr(reading, "parse_isolated", subverted)
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    evidence_id = _upload(owner_api, case_id, b"From: a\r\n\r\nbody", "a.eml").get_json()["id"]
    background_app.extensions["caseapp"].jobs.drain()
    item = db.session.get(Evidence, evidence_id)
    html = derived_bytes(background_app.extensions["caseapp"].vault, item, "html").decode()
    assert "hello" in html
    assert "script" not in html
    assert "onclick" not in html
    assert sorted(d.role for d in item.derivatives) == ["html", "page-1", "reading"]
    body = owner_api.get(f"/api/v1/evidence/{evidence_id}").get_json()
    assert any("preview was dropped" in warning for warning in body["warnings"])


def test_the_case_page_says_files_are_being_read_and_polls_until_done(
    background_app, owner_api, auth, samples
):
    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    email = (samples / "email" / "chinese_gbk_encoding.eml").read_bytes()
    evidence_id = _upload(owner_api, case_id, email, "回复.eml").get_json()["id"]
    auth.login()
    page = auth.client.get(f"/cases/{case_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "being read" in html
    assert f'data-poll="/cases/{case_id}/evidence/reading"' in html
    assert auth.client.get(f"/cases/{case_id}/evidence/reading").get_json() == {
        "unread": 1, "done": False}
    item_page = auth.client.get(f"/cases/{case_id}/evidence/{evidence_id}").get_data(as_text=True)
    assert "This file is being read" in item_page
    background_app.extensions["caseapp"].jobs.drain()
    assert auth.client.get(f"/cases/{case_id}/evidence/reading").get_json() == {
        "unread": 0, "done": True}
    assert "being read" not in auth.client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_reading_state_of_a_case_that_is_not_yours_is_404(background_app, make_user, make_case,
                                                           auth, owner_api):
    stranger_case = make_case(make_user("stranger@example.org"))
    auth.login()
    assert auth.client.get(f"/cases/{stranger_case.id}/evidence/reading").status_code == 404


def test_a_reader_whose_job_was_taken_over_stores_nothing(background_app, owner_api, samples):
    from caseapp.evidence.reading import run_reading
    from caseapp.jobs import JobLost
    from caseapp.jobs.queue import claim_next

    case_id = owner_api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other"}).get_json()["id"]
    email = (samples / "email" / "chinese_gbk_encoding.eml").read_bytes()
    evidence_id = _upload(owner_api, case_id, email, "回复.eml").get_json()["id"]
    lapsed = claim_next(background_app, db.engine, ["evidence.read"], lease_seconds=0.1)
    time.sleep(0.2)
    holder = claim_next(background_app, db.engine, ["evidence.read"], lease_seconds=60)
    assert holder is not None
    blobs_before = set(background_app.extensions["caseapp"].vault.store.list())
    with pytest.raises(JobLost):
        run_reading(lapsed)
    db.session.rollback()
    assert set(background_app.extensions["caseapp"].vault.store.list()) == blobs_before
    assert db.session.get(Evidence, evidence_id).derivatives == []
