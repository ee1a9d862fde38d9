"""Contacts logged on one case at the same moment: each waits its turn in the custody log."""

from __future__ import annotations

import json

from caseapp.cases.models import Event
from caseapp.custody import log as custody
from caseapp.custody.verify import verify_chain
from caseapp.extensions import db
from tests.conftest import post_all_at_once


def test_thirty_simultaneous_contacts_on_one_case_all_land_in_one_unbroken_log(
    app, live_server, api, case
):
    headers = {**api.headers, "Content-Type": "application/json"}
    posts = [
        (f"/api/v1/cases/{case.id}/events",
         json.dumps({"occurred_at": f"2024-03-01T10:{n:02d}:00Z", "channel": "hotline",
                     "summary": f"call {n}"}).encode(),
         headers)
        for n in range(30)
    ]

    answers = post_all_at_once(live_server, posts)

    assert [status for status, _ in answers] == [201] * 30, answers
    db.session.expire_all()
    assert db.session.query(Event).filter_by(case_id=case.id).count() == 30
    entries = custody.entries(db.session, case.id)
    assert [e.seq for e in entries] == list(range(1, 32))
    assert {e.subject for e in entries[1:]} == {f"contact:{body['id']}" for _, body in answers}
    report = verify_chain(db.session, app.extensions["caseapp"].head_key, case.id)
    assert report.intact, report.reason
