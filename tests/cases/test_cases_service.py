"""The rules of cases and contacts: checks that match reality, the status history, and
contacts logged on one case at the same moment, each waiting its turn in the custody log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from caseapp.cases import service as cases
from caseapp.cases.models import Event
from caseapp.custody import log as custody
from caseapp.custody.verify import verify_chain
from caseapp.extensions import db
from caseapp.fields import InvalidFields
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


# -- checks that match reality ------------------------------------------------------

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def _open(app, user, **fields):
    data = {"title": "冻结", "counterparty": "星链钱包", "category": "assets_frozen", **fields}
    return cases.open_case(db.session, app.extensions["caseapp"].head_key, user, data, "UTC",
                           now=NOW)


def test_an_incident_in_the_future_is_refused_but_a_day_of_slack_allows_for_zones(app, user):
    with pytest.raises(InvalidFields) as refused:
        _open(app, user, incident_at="2024-03-11T13:00")
    assert refused.value.messages() == {"incident_at": "cannot be in the future"}
    case = _open(app, user, incident_at="2024-03-11T11:00")  # tomorrow, within a day
    assert case.incident_at == datetime(2024, 3, 11, 11, 0, tzinfo=UTC)


def test_the_problem_type_has_no_default(app, user):
    with pytest.raises(InvalidFields) as refused:
        _open(app, user, category="")
    assert refused.value.messages() == {"category": "is required"}


def test_a_contact_in_the_future_or_a_follow_up_before_it_is_refused(app, case):
    head_key, user = app.extensions["caseapp"].head_key, case.owner

    def log(**fields):
        data = {"occurred_at": "2024-03-05T09:00", "channel": "hotline", "summary": "回电",
                **fields}
        return cases.log_contact(db.session, head_key, user, case, data, "UTC", now=NOW)

    with pytest.raises(InvalidFields) as future:
        log(occurred_at="2024-03-20T09:00")
    assert future.value.messages() == {"occurred_at": "cannot be in the future"}
    with pytest.raises(InvalidFields) as before:
        log(follow_up_at="2024-03-04T09:00")
    assert before.value.messages() == {"follow_up_at": "cannot be before the contact"}
    event = log(follow_up_at="2024-03-30T09:00")  # a follow-up may well lie ahead
    with pytest.raises(InvalidFields):
        cases.change_contact(db.session, head_key, user, event,
                             {"occurred_at": "2024-04-01T09:00"}, "UTC", now=NOW)
    # An edit that moves neither date does not re-judge them.
    cases.change_contact(db.session, head_key, user, event, {"summary": "改了"}, "UTC", now=NOW)
    assert event.summary == "改了"


def test_each_status_change_joins_the_timeline_from_the_custody_log(app, case):
    head_key, user = app.extensions["caseapp"].head_key, case.owner
    cases.log_contact(db.session, head_key, user, case, {
        "occurred_at": "2024-03-05T09:00", "channel": "email", "summary": "发邮件"}, "UTC")
    for status in ("waiting_on_company", "escalated"):
        cases.change_case(db.session, head_key, user, case, {"status": status}, "UTC")
    cases.change_case(db.session, head_key, user, case, {"title": "新标题"}, "UTC")
    db.session.commit()

    changes = cases.status_changes(db.session, case)
    assert [(c.old, c.new) for c in changes] == [
        ("open", "waiting_on_company"), ("waiting_on_company", "escalated")]
    timeline = cases.timeline(db.session, case)
    assert timeline[0].event is not None
    assert timeline[0].event.summary == "发邮件"
    assert [entry.status for entry in timeline[1:]] == changes
