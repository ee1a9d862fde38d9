"""Account rules below the pages: hashing, sessions, password changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.accounts import service
from caseapp.database import utcnow
from caseapp.extensions import db


def test_emails_are_unique_case_insensitively(app, user):
    with pytest.raises(service.EmailTaken):
        service.create_user(db.session, app.extensions["caseapp"].passwords,
                            email="  COMPLAINANT@example.org ", password="long enough pw")


def test_unknown_role_is_refused(app):
    with pytest.raises(service.InvalidRole):
        service.create_user(db.session, app.extensions["caseapp"].passwords,
                            email="a@example.org", password="long enough pw", role="root")


def test_idle_session_expires(app, user):
    secret = service.start_session(db.session, user)
    db.session.commit()
    assert service.load_session_user(db.session, secret) == user
    later = utcnow() + service.SESSION_IDLE_LIMIT + timedelta(minutes=1)
    assert service.load_session_user(db.session, secret, now=later) is None
