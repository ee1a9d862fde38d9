"""The second factor below the pages: enrolment, codes taken once, recovery codes,
turning it off, and the operator's reset from the command line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from caseapp.accounts import service, two_factor
from caseapp.accounts.models import LoginSession, RecoveryCode, User
from caseapp.extensions import db
from caseapp.qr import qr_code_data_uri
from tests.conftest import PASSWORD

NOW = datetime(2026, 3, 5, 14, 20, 5, tzinfo=UTC)  # 5 s into a 30 s time step
STEP = timedelta(seconds=30)


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def wrong_code(secret: str, when: datetime) -> str:
    """Six digits that are no code of `secret` near `when`."""
    near = {code_at(secret, when + k * STEP) for k in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


@pytest.fixture
def enrolled(user):
    """The complainant with the second factor on; their recovery codes."""
    secret = two_factor.start_enrolment(db.session, user)
    codes = two_factor.confirm_enrolment(db.session, user, code_at(secret, NOW), now=NOW)
    return user, secret, codes


def test_enrolment_counts_only_once_a_code_proves_the_app_has_the_secret(user):
    secret = two_factor.start_enrolment(db.session, user)
    assert len(secret) == 32
    assert not two_factor.is_enrolled(user)
    assert two_factor.start_enrolment(db.session, user) == secret  # a reload shows the same one

    with pytest.raises(two_factor.InvalidCode):
        two_factor.confirm_enrolment(db.session, user, wrong_code(secret, NOW), now=NOW)
    assert not two_factor.is_enrolled(user)

    codes = two_factor.confirm_enrolment(db.session, user, code_at(secret, NOW), now=NOW)
    assert two_factor.is_enrolled(user)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with pytest.raises(two_factor.AlreadyEnrolled):
        two_factor.start_enrolment(db.session, user)


def test_recovery_codes_are_stored_hashed(enrolled):
    user, _, codes = enrolled
    stored = {row.code_hash for row in db.session.query(RecoveryCode).filter_by(user_id=user.id)}
    assert len(stored) == 10
    plain = codes[0].replace("-", "")
    assert hashlib.sha256(plain.encode()).hexdigest() in stored
    assert not any(plain in value or codes[0] in value for value in stored)


def test_provisioning_uri_and_qr_code_carry_the_secret_for_the_app(user):
    secret = two_factor.start_enrolment(db.session, user)
    uri = two_factor.provisioning_uri(user, secret, "caseapp")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=caseapp" in uri
    assert qr_code_data_uri(uri).startswith("data:image/svg+xml")


def test_a_totp_code_is_taken_once_within_its_window(enrolled):
    user, secret, _ = enrolled
    # Enrolment took this step's code: seen over a shoulder, it is worth nothing now.
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(db.session, user, code_at(secret, NOW), now=NOW)
    later = NOW + STEP
    assert two_factor.verify(db.session, user, code_at(secret, later), now=later) == "totp"
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(
            db.session, user, code_at(secret, later), now=later + timedelta(seconds=10)
        )
    db.session.refresh(user)
    assert user.totp_last_step == int(later.timestamp()) // 30


def test_an_older_code_is_refused_after_a_newer_one(enrolled):
    user, secret, _ = enrolled
    ahead = NOW + STEP  # a phone whose clock runs a step ahead: accepted
    assert two_factor.verify(db.session, user, code_at(secret, ahead), now=NOW) == "totp"
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(db.session, user, code_at(secret, NOW), now=NOW)


def test_codes_outside_the_window_or_malformed_are_refused(enrolled):
    user, secret, _ = enrolled
    for code in (
        code_at(secret, NOW + 3 * STEP),
        code_at(secret, NOW - 3 * STEP),
        "",
        "12345",
        "１２３４５６",
        "abcdef",
    ):
        with pytest.raises(two_factor.InvalidCode):
            two_factor.verify(db.session, user, code, now=NOW + STEP)


def test_a_recovery_code_works_once_however_it_is_typed(enrolled):
    user, _, codes = enrolled
    assert (
        two_factor.verify(db.session, user, f"  {codes[3].upper().replace('-', ' ')} ", now=NOW)
        == "recovery"
    )
    assert two_factor.remaining_recovery_codes(db.session, user) == 9
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(db.session, user, codes[3], now=NOW)
    assert two_factor.verify(db.session, user, codes[4], now=NOW) == "recovery"


def test_a_recovery_code_of_someone_else_is_refused(enrolled, make_user):
    _, _, codes = enrolled
    other = make_user("other@example.org")
    secret = two_factor.start_enrolment(db.session, other)
    two_factor.confirm_enrolment(db.session, other, code_at(secret, NOW), now=NOW)
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(db.session, other, codes[0], now=NOW)


def test_new_recovery_codes_replace_the_old_ones(enrolled):
    user, secret, old = enrolled
    new = two_factor.regenerate_recovery_codes(
        db.session, user, code_at(secret, NOW + STEP), now=NOW + STEP
    )
    assert len(new) == 10
    assert not set(new) & set(old)
    with pytest.raises(two_factor.InvalidCode):
        two_factor.verify(db.session, user, old[0], now=NOW)
    assert two_factor.verify(db.session, user, new[0], now=NOW) == "recovery"


def test_regenerating_needs_a_valid_code(enrolled):
    user, _, old = enrolled
    with pytest.raises(two_factor.InvalidCode):
        two_factor.regenerate_recovery_codes(db.session, user, "not a code", now=NOW)
    assert two_factor.remaining_recovery_codes(db.session, user) == 10
    assert two_factor.verify(db.session, user, old[0], now=NOW) == "recovery"


def test_turning_it_off_takes_the_password_and_a_code(app, enrolled):
    user, secret, codes = enrolled
    passwords = app.extensions["caseapp"].passwords
    later = NOW + STEP
    with pytest.raises(service.WrongPassword):
        two_factor.disable(
            db.session, passwords, user, "not the password", code_at(secret, later), now=later
        )
    with pytest.raises(two_factor.InvalidCode):
        two_factor.disable(
            db.session, passwords, user, PASSWORD, wrong_code(secret, later), now=later
        )
    assert two_factor.is_enrolled(user)

    two_factor.disable(db.session, passwords, user, PASSWORD, codes[0], now=later)
    assert not two_factor.is_enrolled(user)
    assert user.totp_secret is None
    assert db.session.query(RecoveryCode).count() == 0
    with pytest.raises(two_factor.NotEnrolled):
        two_factor.disable(db.session, passwords, user, PASSWORD, codes[1], now=later)


def test_a_role_that_keeps_it_on_cannot_turn_it_off(app, enrolled):
    user, _, codes = enrolled
    passwords = app.extensions["caseapp"].passwords
    with pytest.raises(two_factor.TwoFactorRequired):
        two_factor.disable(
            db.session, passwords, user, PASSWORD, codes[0], now=NOW, required_roles=(user.role,)
        )
    assert two_factor.is_enrolled(user)
    assert two_factor.remaining_recovery_codes(db.session, user) == 10


def test_turning_it_off_when_ending_other_logins_fails_leaves_it_on_and_the_code_unused(
    app, enrolled, monkeypatch
):
    user, _, codes = enrolled
    passwords = app.extensions["caseapp"].passwords
    service.start_session(db.session, user)  # another browser
    db.session.commit()

    def broken(*args: object) -> None:
        raise RuntimeError("the database went away")

    # By then the code is taken and the factor cleared: all of it must be undone.
    monkeypatch.setattr(service, "end_other_sessions", broken)
    with pytest.raises(RuntimeError):
        two_factor.disable(db.session, passwords, user, PASSWORD, codes[0], now=NOW)
    assert two_factor.is_enrolled(user)
    assert two_factor.remaining_recovery_codes(db.session, user) == 10
    assert db.session.query(LoginSession).count() == 1

    monkeypatch.undo()
    two_factor.disable(db.session, passwords, user, PASSWORD, codes[0], now=NOW)
    assert not two_factor.is_enrolled(user)


def test_enrolling_and_turning_off_end_every_other_login_but_this_one(app, user):
    this = service.start_session(db.session, user)
    service.start_session(db.session, user)  # another browser
    db.session.commit()
    user.current_session_id = this
    secret = two_factor.start_enrolment(db.session, user)
    codes = two_factor.confirm_enrolment(db.session, user, code_at(secret, NOW), now=NOW)
    assert [login.id for login in db.session.query(LoginSession)] == [
        hashlib.sha256(this.encode()).hexdigest()
    ]

    service.start_session(db.session, user)
    db.session.commit()
    user.current_session_id = this
    two_factor.disable(
        db.session, app.extensions["caseapp"].passwords, user, PASSWORD, codes[0], now=NOW
    )
    assert db.session.query(LoginSession).count() == 1


def test_operator_reset_removes_the_factor_and_every_login(enrolled):
    user, _, _ = enrolled
    service.start_session(db.session, user)
    db.session.commit()
    assert two_factor.reset(db.session, user) is True
    assert not two_factor.is_enrolled(user)
    assert db.session.query(LoginSession).count() == 0
    assert db.session.query(RecoveryCode).count() == 0
    assert two_factor.reset(db.session, user) is False


def _caseapp(instance, *args):
    env = {**os.environ, "CASEAPP_INSTANCE": str(instance)}
    command = [sys.executable, "-c", "from caseapp.cli import main; main()", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_caseapp_user_2fa_reset_in_a_real_process(instance_path, enrolled):
    user_id = enrolled[0].id
    db.session.remove()  # let the process write to the database

    done = _caseapp(instance_path, "user", "2fa", "reset", "Complainant@Example.org")
    assert done.returncode == 0, done.stderr
    assert "two-factor authentication removed for complainant@example.org" in done.stdout
    assert "reset by an operator" in done.stderr  # the app log
    assert not two_factor.is_enrolled(db.session.get(User, user_id))

    unknown = _caseapp(instance_path, "user", "2fa", "reset", "nobody@example.org")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "Error: no user with email nobody@example.org"
