"""Two-factor login through the pages: enrolment from /account, the code step after the
password (fields `email`, `password`, then `code`), recovery codes, turning it off, and
the roles that must enrol before anything else."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from caseapp.accounts import two_factor
from caseapp.extensions import db
from tests.conftest import PASSWORD, csrf_token_from

STEP = 30


def enrol_through_the_page(client, auth):
    """Enrol the logged-in user as a browser does; the secret and the recovery codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-totp-secret="([A-Z2-7]+)"', page).group(1)
    assert 'src="data:image/svg+xml' in page
    done = client.post(
        "/account/two-factor",
        data={
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": csrf_token_from(page),
        },
    )
    assert done.status_code == 200
    codes = re.findall(r'data-recovery-code="([a-z0-9-]+)"', done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def next_code(secret: str) -> str:
    # Enrolment took this step's code; the next step's is accepted (clocks drift).
    return pyotp.TOTP(secret).at(time.time() + STEP)


def send_code(client, code: str):
    token = csrf_token_from(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"code": code, "csrf_token": token})


@pytest.fixture
def enrolled(client, auth, user):
    """The complainant with two-factor on, logged out again."""
    auth.login()
    secret, codes = enrol_through_the_page(client, auth)
    auth.logout()
    return secret, codes


def test_settings_page_leads_to_enrolment(client, auth, user):
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/two-factor"' in page


def test_enrolment_page_shows_the_key_and_confirming_shows_the_codes_once(client, auth, user):
    auth.login()
    response = client.get("/account/two-factor")
    assert response.headers["Cache-Control"] == "no-store"
    secret, codes = enrol_through_the_page(client, auth)
    assert two_factor.is_enrolled(user)
    after = client.get("/account/two-factor").get_data(as_text=True)
    assert "data-recovery-code" not in after
    assert secret not in after
    assert "10 recovery codes left." in after


def test_a_wrong_code_does_not_turn_it_on(client, auth, user):
    auth.login()
    response = auth.post("/account/two-factor", {"code": "12345"})
    assert response.status_code == 422
    assert "This code is not valid or was used already." in response.get_data(as_text=True)
    assert not two_factor.is_enrolled(user)


def test_password_alone_no_longer_logs_in(client, auth, enrolled):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' in page
    # Half logged in is not logged in: every page sends the visitor back to log in.
    for path in ("/", "/cases", "/account", "/account/two-factor", "/shared"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/login"), path


def test_the_code_step_finishes_the_login_and_goes_to_next(client, auth, enrolled):
    secret, _ = enrolled
    client.post(
        "/login?next=/cases",
        data={
            "email": "complainant@example.org",
            "password": PASSWORD,
            "csrf_token": auth.token(),
        },
    )
    wrong = send_code(client, "000000" if next_code(secret) != "000000" else "111111")
    assert "This code is not valid or was used already." in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302

    done = send_code(client, next_code(secret))
    assert done.status_code == 302
    assert done.headers["Location"] == "/cases"
    assert client.get("/").status_code == 200


def test_a_code_cannot_be_replayed(app, client, auth, enrolled):
    secret, _ = enrolled
    code = next_code(secret)
    auth.login()
    assert send_code(client, code).status_code == 302
    auth.logout()
    auth.login()
    replayed = send_code(client, code)
    assert replayed.status_code == 200
    assert client.get("/").status_code == 302


def test_a_recovery_code_logs_in_once(client, auth, enrolled):
    _, codes = enrolled
    auth.login()
    done = send_code(client, codes[0])
    assert done.status_code == 302
    assert "You used a recovery code; 9 left." in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login()
    again = send_code(client, codes[0])
    assert "This code is not valid or was used already." in again.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_code_step_expires(client, auth, enrolled):
    secret, _ = enrolled
    auth.login()
    with client.session_transaction() as session:
        session["two_factor_pending"]["until"] = time.time() - 1
        session.modified = True
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    token = auth.token()
    late = client.post("/login/code", data={"code": next_code(secret), "csrf_token": token})
    assert late.status_code == 302
    assert late.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_the_code_step_without_a_password_first_leads_to_login(client, auth, user):
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_turning_it_off_takes_password_and_code(client, auth, enrolled, user):
    _, codes = enrolled
    auth.login()
    send_code(client, codes[0])
    wrong = auth.post(
        "/account/two-factor/disable",
        {"off-password": "not it", "off-code": codes[1]},
        form_page="/account/two-factor",
    )
    assert wrong.status_code == 422
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    done = auth.post(
        "/account/two-factor/disable",
        {"off-password": PASSWORD, "off-code": codes[1]},
        form_page="/account/two-factor",
    )
    assert done.status_code == 302
    db.session.refresh(user)
    assert not two_factor.is_enrolled(user)
    auth.logout()
    assert auth.login().headers["Location"] == "/"


def test_new_recovery_codes_need_a_code_and_replace_the_old(client, auth, enrolled):
    _, codes = enrolled
    auth.login()
    send_code(client, codes[0])
    refused = auth.post(
        "/account/two-factor/recovery-codes",
        {"codes-code": "nope"},
        form_page="/account/two-factor",
    )
    assert refused.status_code == 422
    fresh = auth.post(
        "/account/two-factor/recovery-codes",
        {"codes-code": codes[1]},
        form_page="/account/two-factor",
    )
    new = re.findall(r'data-recovery-code="([a-z0-9-]+)"', fresh.get_data(as_text=True))
    assert len(new) == 10
    auth.logout()
    auth.login()
    assert "not valid" in send_code(client, codes[2]).get_data(as_text=True)
    assert send_code(client, new[0]).status_code == 302


def test_enrolling_ends_the_other_logins(app, client, auth, user):
    elsewhere = app.test_client()
    type(auth)(elsewhere).login()
    assert elsewhere.get("/").status_code == 200
    auth.login()
    enrol_through_the_page(client, auth)
    assert elsewhere.get("/").status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.settings(two_factor_required_roles=("advocate",), two_factor_enforce_enrolment=True)
def test_an_advocate_must_enrol_before_anything_else(client, auth, make_user, api_for):
    advocate = make_user("li.na@consumer.example.org", role="advocate")
    response = auth.login("li.na@consumer.example.org")
    assert response.headers["Location"] == "/account/two-factor"
    for path in ("/", "/cases", "/shared", "/account"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"] == "/account/two-factor", path
    # The API answers to tokens, not to this login.
    assert api_for(advocate).get("/api/v1/shared").status_code == 200

    enrol_through_the_page(client, auth)
    assert client.get("/shared").status_code == 200
    assert client.get("/cases").status_code == 200


@pytest.mark.settings(two_factor_required_roles=("advocate",), two_factor_enforce_enrolment=True)
def test_a_complainant_is_not_asked_to_enrol(client, auth, user):
    assert auth.login().headers["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.settings(two_factor_required_roles=("advocate",), two_factor_enforce_enrolment=True)
def test_an_advocate_who_must_enrol_can_still_log_out(client, auth, make_user):
    make_user("li.na@consumer.example.org", role="advocate")
    auth.login("li.na@consumer.example.org")
    token = csrf_token_from(client.get("/account/two-factor").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert client.get("/").headers["Location"].startswith("/login")


REMINDER = "protect it with two-factor authentication"


@pytest.mark.settings(two_factor_required_roles=("advocate",))
def test_an_advocate_is_reminded_on_every_page_until_enrolled(client, auth, make_user):
    make_user("li.na@consumer.example.org", role="advocate")
    assert auth.login("li.na@consumer.example.org").headers["Location"] == "/"
    for path in ("/shared", "/account"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert REMINDER in page.get_data(as_text=True), path
    enrol_through_the_page(client, auth)
    assert REMINDER not in client.get("/shared").get_data(as_text=True)


@pytest.mark.settings(two_factor_required_roles=("advocate",))
def test_a_complainant_is_not_reminded(client, auth, user):
    auth.login()
    assert REMINDER not in client.get("/account").get_data(as_text=True)


@pytest.mark.settings(two_factor_required_roles=("advocate",))
def test_an_advocate_cannot_turn_it_off_only_the_operator_can(client, auth, make_user):
    advocate = make_user("li.na@consumer.example.org", role="advocate")
    auth.login("li.na@consumer.example.org")
    secret, codes = enrol_through_the_page(client, auth)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "/account/two-factor/disable" not in page
    assert "reset your second factor" in page
    refused = auth.post(
        "/account/two-factor/disable",
        {"off-password": PASSWORD, "off-code": codes[0]},
        form_page="/account/two-factor",
    )
    assert refused.headers["Location"] == "/account/two-factor"
    db.session.refresh(advocate)
    assert two_factor.is_enrolled(advocate)


@pytest.mark.settings(ratelimit_enabled=True)
def test_code_guesses_are_throttled_per_account_after_five(client, auth, enrolled):
    auth.login()
    token = csrf_token_from(client.get("/login/code").get_data(as_text=True))
    answers = [
        client.post("/login/code", data={"code": "abcdef", "csrf_token": token}) for _ in range(6)
    ]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
