"""The chain-of-custody log: every action recorded, any tampering found."""

from __future__ import annotations

from sqlalchemy import text

from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry, CustodyHead
from caseapp.custody.verify import verify_chain
from caseapp.extensions import db


def _verify(app, case):
    return verify_chain(db.session, app.extensions["caseapp"].head_key, case.id)


def _with_contacts(api, n=3):
    case_id = api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other",
    }).get_json()["id"]
    for i in range(n):
        api.post(f"/api/v1/cases/{case_id}/events", json={
            "occurred_at": f"2024-03-0{i + 1}T10:00:00Z", "channel": "hotline",
            "summary": f"call {i}",
        })
    return case_id


def test_each_action_is_appended_with_the_previous_hash(app, api):
    case_id = _with_contacts(api)
    entries = custody.entries(db.session, case_id)
    assert [e.action for e in entries] == ["case.created"] + ["contact.logged"] * 3
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    assert custody.head_of(db.session, case_id).hash == entries[-1].hash


def test_untouched_log_verifies(app, api, case):
    _with_contacts(api)
    assert _verify(app, case).intact


def test_edited_entry_is_found_at_its_seq(app, api):
    case_id = _with_contacts(api)
    db.session.execute(text("UPDATE custody_entry SET details = '{\"channel\":\"email\"}'"
                            " WHERE case_id = :c AND seq = 3"), {"c": case_id})
    db.session.commit()
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case_id)
    assert not report.intact
    assert report.broken_seq == 3


def test_deleted_middle_entry_is_found(app, api):
    case_id = _with_contacts(api)
    db.session.query(CustodyEntry).filter_by(case_id=case_id, seq=2).delete()
    db.session.commit()
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case_id)
    assert report.broken_seq == 2
    assert "missing" in report.reason


def test_cut_off_tail_is_caught_by_the_signed_head(app, api):
    case_id = _with_contacts(api)
    db.session.query(CustodyEntry).filter_by(case_id=case_id, seq=4).delete()
    db.session.commit()
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case_id)
    assert not report.intact
    assert "cut off" in report.reason


def test_forged_head_is_caught(app, api):
    case_id = _with_contacts(api)
    entries = custody.entries(db.session, case_id)
    db.session.query(CustodyEntry).filter_by(case_id=case_id, seq=4).delete()
    head = db.session.get(CustodyHead, case_id)
    head.seq, head.hash = 3, entries[2].hash  # without the key, the signature cannot follow
    db.session.commit()
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case_id)
    assert not report.intact
    assert "signature" in report.reason


def test_api_shows_the_log_with_hashes(api):
    case_id = _with_contacts(api, n=1)
    body = api.get(f"/api/v1/cases/{case_id}/custody").get_json()
    assert [e["seq"] for e in body["items"]] == [1, 2]
    assert body["head"]["hash"] == body["items"][-1]["hash"]
    assert body["items"][0]["actor"].endswith("<complainant@example.org>")


def test_concurrent_appends_wait_their_turn_and_never_fork_the_chain(app, case):
    import threading

    head_key = app.extensions["caseapp"].head_key
    case_id = case.id
    errors: list[BaseException] = []

    def append(n: int) -> None:
        with app.app_context():
            try:
                custody.record(db.session, head_key, case_id=case_id, actor="system",
                               action="evidence.viewed", subject=f"n{n}")
                db.session.commit()
            except Exception as exc:  # collected: the test asserts there are none
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    assert [e.seq for e in custody.entries(db.session, case_id)] == list(range(1, 10))
    assert _verify(app, case).intact


def test_an_append_waits_for_the_writer_before_it_then_takes_the_next_seq(app, case):
    import threading
    import time

    from sqlalchemy.orm import Session

    head_key = app.extensions["caseapp"].head_key
    case_id = case.id
    appended: dict[str, object] = {}

    def append() -> None:
        with app.app_context():
            started = time.monotonic()
            try:
                entry = custody.record(db.session, head_key, case_id=case_id, actor="system",
                                       action="evidence.viewed")
                db.session.commit()
                appended["seq"] = entry.seq
            except Exception as exc:  # collected: the test asserts there is none
                appended["error"] = exc
            appended["waited"] = time.monotonic() - started

    with Session(db.engine) as writer:
        custody.record(writer, head_key, case_id=case_id, actor="system", action="case.changed")
        contender = threading.Thread(target=append)
        contender.start()
        time.sleep(0.5)
        assert contender.is_alive(), "the second append must wait for the first to commit"
        writer.commit()
    contender.join()
    assert "error" not in appended
    assert appended["seq"] == 3
    assert appended["waited"] >= 0.4
    assert _verify(app, case).intact
