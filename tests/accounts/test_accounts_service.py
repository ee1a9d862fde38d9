"""Account rules below the pages: hashing, sessions, password changes, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.accounts import service, tokens
from caseapp.accounts.models import LoginSession
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.timezones import UnknownZone
from tests.conftest import PASSWORD


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


class Broken(Exception):
    """What a step made to fail part-way through a service raises."""


def _break(*args: object, **kwargs: object) -> None:
    raise Broken


def test_a_password_change_that_fails_part_way_keeps_the_old_password_logins_and_tokens(
    app, user, monkeypatch
):
    passwords = app.extensions["caseapp"].passwords
    user.current_session_id = service.start_session(db.session, user)
    service.start_session(db.session, user)  # another browser
    script = tokens.create_token(db.session, user, name="script")
    # The old sessions are gone and the password is set by the time tokens are revoked.
    monkeypatch.setattr(tokens, "revoke_all", _break)

    with pytest.raises(Broken):
        service.change_password(db.session, passwords, user, PASSWORD, "a brand new passphrase")

    assert db.session.query(LoginSession).filter_by(user_id=user.id).count() == 2
    assert tokens.token_for_secret(db.session, script.secret) is not None
    assert service.authenticate(db.session, passwords, user.email, PASSWORD) == user
    assert service.authenticate(db.session, passwords, user.email, "a brand new passphrase") is None


def test_settings_are_stored_and_an_unknown_zone_changes_none_of_them(app, user):
    service.change_settings(
        db.session, user, display_name=" Zhang Wei ", locale="en", timezone="Europe/London"
    )
    db.session.expire_all()  # what the database holds
    assert (user.display_name, user.locale, user.timezone) == ("Zhang Wei", "en", "Europe/London")

    with pytest.raises(UnknownZone):
        service.change_settings(
            db.session, user, display_name="张伟", locale="zh_CN", timezone="Mars/Olympus"
        )
    assert (user.display_name, user.locale, user.timezone) == ("Zhang Wei", "en", "Europe/London")

    service.change_settings(db.session, user, display_name="", locale="tlh", timezone="")
    assert (user.locale, user.timezone) == (None, None)  # the browser and the default decide
