"""The pages the throttle guards: login (per account and per address), registration and the
advocate's invitation registration (per address). Throttling is on for these tests only."""

from __future__ import annotations

import pytest

from caseapp.accounts import service as accounts
from caseapp.extensions import db
from caseapp.shares import service as shares
from caseapp.throttle import POLICIES
from tests.conftest import PASSWORD, AuthActions

ACCOUNT = POLICIES["login"]["account"]
REGISTER = POLICIES["register"]["address"]

pytestmark = pytest.mark.settings(ratelimit_enabled=True)


def wrong_logins(auth: AuthActions, email: str, times: int, **kwargs) -> list[int]:
    return [auth.login(email=email, password="not it", **kwargs).status_code for _ in range(times)]


class CountingHasher:
    """The app's password hasher, counting how many passwords it was asked to verify."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.verified = 0

    def verify(self, *args):
        self.verified += 1
        return self.inner.verify(*args)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_after_a_few_wrong_passwords_even_the_right_one_waits(client, auth, user, app, monkeypatch):
    hasher = CountingHasher(app.extensions["caseapp"].passwords)
    monkeypatch.setattr(app.extensions["caseapp"], "passwords", hasher)
    assert wrong_logins(auth, user.email, ACCOUNT.free) == [200] * ACCOUNT.free
    assert hasher.verified == ACCOUNT.free
    refused = auth.login()
    assert refused.status_code == 429
    assert hasher.verified == ACCOUNT.free  # refused without looking at the password
    assert refused.headers["Retry-After"] == "2"
    assert "Too many attempts. Try again in 2 seconds." in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_the_wait_is_explained_in_chinese_too(client, auth, user):
    client.set_cookie("caseapp_lang", "zh_CN")
    wrong_logins(auth, user.email, ACCOUNT.free)
    refused = auth.login()
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.get_data(as_text=True)


def test_the_email_is_counted_however_it_is_typed(client, auth, user):
    wrong_logins(auth, user.email, ACCOUNT.free)
    assert auth.login(email="  COMPLAINANT@Example.org ").status_code == 429


def test_a_successful_login_clears_the_account(client, auth, user):
    wrong_logins(auth, user.email, ACCOUNT.free - 1)
    assert auth.login().status_code == 302
    auth.logout()
    assert wrong_logins(auth, user.email, ACCOUNT.free) == [200] * ACCOUNT.free


def test_an_unknown_email_is_limited_like_a_real_one(client, auth):
    statuses = wrong_logins(auth, "nobody@example.org", ACCOUNT.free + 1)
    assert statuses == [200] * ACCOUNT.free + [429]


def test_another_account_from_the_same_address_is_not_locked_out(client, auth, user, make_user):
    wrong_logins(auth, "attacked@example.org", ACCOUNT.free + 3)
    assert auth.login().status_code == 302


def test_registration_is_limited_per_address(app):
    statuses = []
    for n in range(REGISTER.free + 1):
        auth = AuthActions(app.test_client())
        statuses.append(
            auth.post(
                "/register",
                {
                    "email": f"new{n}@example.org",
                    "password": PASSWORD,
                    "confirm": PASSWORD,
                    "locale": "en",
                },
            ).status_code
        )
    assert statuses == [302] * REGISTER.free + [429]
    assert accounts.find_user(db.session, f"new{REGISTER.free}@example.org") is None


def test_invitation_registration_shares_the_registration_limit(app, user, case):
    created = shares.create_share(
        db.session,
        app.extensions["caseapp"].head_key,
        user,
        case,
        {"advocate_email": "chen@association.example.org"},
        "UTC",
    )
    db.session.commit()
    for n in range(REGISTER.free):
        AuthActions(app.test_client()).post(
            "/register",
            {
                "email": f"new{n}@example.org",
                "password": PASSWORD,
                "confirm": PASSWORD,
                "locale": "en",
            },
        )
    invitee = AuthActions(app.test_client())
    path = f"/invite/{created.invite_token}"
    response = invitee.post(path, {"password": PASSWORD, "confirm": PASSWORD, "locale": "en"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert accounts.find_user(db.session, "chen@association.example.org") is None
