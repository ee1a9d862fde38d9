"""Who looked at what: a share's visits, looks at items and dossier downloads, logged."""

from __future__ import annotations

import json
from datetime import timedelta

from caseapp.access.policy import case_access
from caseapp.custody import log as custody
from caseapp.custody.looks import VISIT_WINDOW, look_fields, note_visit, record_look
from caseapp.database import utcnow
from caseapp.evidence.models import Evidence
from caseapp.extensions import db
from caseapp.shares import service as shares


def _link_access(app, case, user):
    head_key = app.extensions["caseapp"].head_key
    created = shares.create_share(db.session, head_key, user, case, {"link": True}, "UTC")
    db.session.commit()
    return head_key, case_access(db.session, case.id, link_share_ids=[created.share.id])


def _actions(case):
    return [entry.action for entry in custody.entries(db.session, case.id)]


def test_a_visit_is_logged_once_per_window(app, case, user):
    head_key, access = _link_access(app, case, user)
    now = utcnow()
    note_visit(db.session, head_key, access, now=now)
    note_visit(db.session, head_key, access, now=now + timedelta(minutes=5))
    assert _actions(case).count("share.opened") == 1
    note_visit(db.session, head_key, access, now=now + VISIT_WINDOW + timedelta(minutes=5))
    assert _actions(case).count("share.opened") == 2


def test_the_owner_opening_the_case_is_no_visit(app, case, user):
    head_key = app.extensions["caseapp"].head_key
    note_visit(db.session, head_key, case_access(db.session, case.id, user=user))
    assert "share.opened" not in _actions(case)


def test_a_look_at_an_item_says_through_which_share(app, case, user):
    head_key, access = _link_access(app, case, user)
    item = Evidence(
        case_id=case.id,
        number=1,
        name="chat.txt",
        media_type="text/plain",
        kind="text",
        size=1,
        sha256="a" * 64,
        blob_id="blob-look",
    )
    db.session.add(item)
    db.session.flush()
    record_look(db.session, head_key, look_fields(access, item), "evidence.downloaded", sent=1)
    entry = custody.entries(db.session, case.id)[-1]
    assert entry.action == "evidence.downloaded"
    assert entry.actor == f"link:{access.share.id}"
    assert entry.subject == f"evidence:{item.id}"
    assert json.loads(entry.details) == {
        "number": 1,
        "sha256": "a" * 64,
        "via": f"share:{access.share.id}",
        "sent": 1,
    }


def test_a_logged_look_is_kept_even_if_the_request_goes_on_to_fail(app, case, user):
    head_key, access = _link_access(app, case, user)
    note_visit(db.session, head_key, access)
    db.session.rollback()  # what a request failing after the look would do
    assert _actions(case)[-1] == "share.opened"
