"""Registering, logging in and out, changing password, settings — through the pages."""

from __future__ import annotations

from caseapp.accounts import service, tokens
from caseapp.accounts.models import LoginSession
from caseapp.extensions import db
from tests.conftest import PASSWORD, ApiClient


def test_new_user_registers_and_lands_on_dashboard(client, auth):
    response = auth.post("/register", {
        "email": "Wei.Zhang@Example.org", "display_name": "张伟", "password": "a long passphrase",
        "confirm": "a long passphrase", "locale": "zh_CN",
    })
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "张伟" in page
    user = service.find_user(db.session, "wei.zhang@example.org")
    assert user is not None
    assert user.role == "user"
    assert user.timezone == "Asia/Shanghai"
    assert user.password_hash.startswith("$argon2id$")


def test_register_refuses_short_password_and_taken_email(client, auth, user):
    short = auth.post("/register", {
        "email": "x@example.org", "password": "short", "confirm": "short", "locale": "en",
    })
    assert "at least 10 characters" in short.get_data(as_text=True)
    taken = auth.post("/register", {
        "email": user.email, "password": "another long one", "confirm": "another long one",
        "locale": "en",
    })
    assert "already exists" in taken.get_data(as_text=True)
    assert service.find_user(db.session, "x@example.org") is None


def test_wrong_password_is_refused_without_saying_which_part(client, auth, user):
    response = auth.login(password="not the password")
    assert response.status_code == 200
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_ends_the_session_even_for_a_copied_cookie(client, auth, user, app):
    auth.login()
    stolen = client.get_cookie("caseapp_session").value
    auth.logout()
    other = app.test_client()
    other.set_cookie("caseapp_session", stolen)
    assert other.get("/").status_code == 302
    assert db.session.query(LoginSession).count() == 0


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, auth, user):
    elsewhere = app.test_client()
    elsewhere_auth = type(auth)(elsewhere)
    elsewhere_auth.login()
    auth.login()
    response = auth.post("/account/password", {
        "pw-current": "correct horse battery", "pw-new": "a brand new passphrase",
        "pw-confirm": "a brand new passphrase",
    }, form_page="/account")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert service.authenticate(db.session, app.extensions["caseapp"].passwords, user.email,
                                "a brand new passphrase") is not None


def test_password_change_with_wrong_current_password_changes_nothing(client, auth, user, app):
    auth.login()
    response = auth.post("/account/password", {
        "pw-current": "wrong", "pw-new": "a brand new passphrase",
        "pw-confirm": "a brand new passphrase",
    }, form_page="/account")
    assert response.status_code == 422
    assert "current password is wrong" in response.get_data(as_text=True)
    assert service.authenticate(db.session, app.extensions["caseapp"].passwords, user.email,
                                "correct horse battery") is not None


def test_a_refused_password_change_leaves_other_logins_and_api_tokens_working(
    app, client, auth, user
):
    elsewhere = app.test_client()
    type(auth)(elsewhere).login()
    script = tokens.create_token(db.session, user, name="script")
    auth.login()
    response = auth.post("/account/password", {
        "pw-current": PASSWORD, "pw-new": "password", "pw-confirm": "password",
    }, form_page="/account")
    assert response.status_code == 422
    assert elsewhere.get("/").status_code == 200
    assert ApiClient(app.test_client(), script.secret).get("/api/v1/tokens").status_code == 200
    assert service.authenticate(db.session, app.extensions["caseapp"].passwords, user.email,
                                PASSWORD) is not None


def test_the_language_chosen_while_logged_in_is_kept_with_the_account(client, auth, user):
    auth.login()
    response = auth.post("/language/en", {"next": "/account"}, form_page="/account")
    assert response.headers["Location"] == "/account"
    db.session.expire_all()  # what the database holds
    assert user.locale == "en"


def test_post_without_csrf_token_is_refused(client, user):
    response = client.post("/login", data={
        "email": user.email, "password": "correct horse battery",
    })
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth, user):
    response = auth.login()
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("caseapp_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_redirect_never_leaves_the_site(client, auth, user):
    token = auth.token()
    response = client.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": "correct horse battery", "csrf_token": token,
    })
    assert response.headers["Location"] == "/"


def test_settings_change_language_and_zone(client, auth, user):
    auth.login()
    response = auth.post("/account", {
        "display_name": "张伟", "locale": "en", "timezone": "Europe/London",
    })
    assert response.status_code == 302
    assert user.locale == "en"
    assert user.timezone == "Europe/London"
    bad = auth.post("/account", {"display_name": "", "locale": "en", "timezone": "Mars/Olympus"})
    assert "Unknown time zone" in bad.get_data(as_text=True)
    assert user.timezone == "Europe/London"
