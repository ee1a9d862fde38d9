"""The steps of a browser login below the pages: each one stores its login session, and
one that fails part-way stores nothing of itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest

from caseapp.accounts import login, service, two_factor
from caseapp.accounts.models import LoginSession
from caseapp.extensions import db
from tests.conftest import PASSWORD

NOW = datetime(2026, 3, 5, 14, 20, 5, tzinfo=UTC)
NEW_PASSPHRASE = "a long enough passphrase"


class Broken(Exception):
    """What a step made to fail part-way through a login raises."""


def _break(*args: object, **kwargs: object) -> None:
    raise Broken


def logins(user_id: str) -> int:
    return db.session.query(LoginSession).filter_by(user_id=user_id).count()


@pytest.fixture
def passwords(app):
    return app.extensions["caseapp"].passwords


@pytest.fixture
def recovery_codes(user):
    """The complainant's recovery codes, once their second factor is on."""
    secret = two_factor.start_enrolment(db.session, user)
    return two_factor.confirm_enrolment(db.session, user, pyotp.TOTP(secret).at(NOW), now=NOW)


def test_registering_stores_the_account_and_its_login_together(passwords):
    user = login.register(db.session, passwords, email="New@Example.org", password=NEW_PASSPHRASE)
    db.session.expire_all()  # what the database holds, not what this session remembers
    assert service.find_user(db.session, "new@example.org") == user
    assert logins(user.id) == 1
    assert user.current_session_id is not None  # the secret the cookie will carry


def test_an_account_whose_login_cannot_start_is_not_stored(passwords, monkeypatch):
    monkeypatch.setattr(service, "start_session", _break)
    with pytest.raises(Broken):
        login.register(db.session, passwords, email="new@example.org", password=NEW_PASSPHRASE)
    assert service.find_user(db.session, "new@example.org") is None


def test_the_password_step_logs_in_at_once_only_without_a_second_factor(
    passwords, user, recovery_codes
):
    assert login.log_in(db.session, passwords, user.email, "not the password") is None
    assert login.log_in(db.session, passwords, user.email, PASSWORD) == (user, True)
    assert logins(user.id) == 0  # not before the code

    two_factor.reset(db.session, user)
    assert login.log_in(db.session, passwords, user.email, PASSWORD) == (user, False)
    assert logins(user.id) == 1


def test_the_code_step_takes_the_code_and_starts_the_login(user, recovery_codes):
    assert login.log_in_with_code(db.session, user, recovery_codes[0], now=NOW) == "recovery"
    assert logins(user.id) == 1
    assert two_factor.remaining_recovery_codes(db.session, user) == 9
    with pytest.raises(two_factor.InvalidCode):
        login.log_in_with_code(db.session, user, recovery_codes[0], now=NOW)
    assert logins(user.id) == 1


def test_a_login_that_fails_after_its_code_leaves_the_code_unused(
    user, recovery_codes, monkeypatch
):
    monkeypatch.setattr(service, "start_session", _break)
    with pytest.raises(Broken):
        login.log_in_with_code(db.session, user, recovery_codes[0], now=NOW)
    assert two_factor.remaining_recovery_codes(db.session, user) == 10

    monkeypatch.undo()
    assert login.log_in_with_code(db.session, user, recovery_codes[0], now=NOW) == "recovery"
    assert logins(user.id) == 1
