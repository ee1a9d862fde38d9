"""The "API tokens" section of /account: make one (shown once), see them, revoke one."""

from __future__ import annotations

import re

import pytest

from caseapp.accounts import tokens
from caseapp.extensions import db
from tests.conftest import PASSWORD, ApiClient


def new_token_on(page: str) -> str | None:
    match = re.search(r'value="([^"]+)" aria-label="New API token" data-api-token', page)
    return match.group(1) if match else None


def test_a_token_made_on_the_page_is_shown_once_and_works(client, auth, user):
    auth.login()
    response = auth.post(
        "/account/tokens",
        {"token-name": "backup script", "token-expires": "30"},
        form_page="/account",
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = new_token_on(page)
    assert secret
    assert secret.startswith("cat_")
    assert "backup script" in page
    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 200
    again = client.get("/account").get_data(as_text=True)
    assert new_token_on(again) is None
    assert secret not in again
    assert "backup script" in again
    assert "Never used" not in again


def test_each_row_says_when_made_used_and_ending(client, auth, user):
    tokens.create_token(db.session, user, name="forever")
    tokens.create_token(db.session, user, name="yearly", expires_at=tokens.expiry_after(365))
    db.session.commit()
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert page.count('data-token-id="') == 2
    assert "Never expires" in page
    assert "Expires " in page
    assert "Never used" in page
    assert page.count(">Revoke</button>") == 2


def test_a_token_needs_a_name_and_a_known_expiry(client, auth, user):
    auth.login()
    nameless = auth.post(
        "/account/tokens", {"token-name": "", "token-expires": "30"}, form_page="/account"
    )
    assert nameless.status_code == 422
    odd = auth.post(
        "/account/tokens", {"token-name": "x", "token-expires": "7"}, form_page="/account"
    )
    assert odd.status_code == 422
    assert tokens.every_token(db.session, user) == []


def test_revoke_button_ends_the_token(client, auth, user):
    issued = tokens.create_token(db.session, user, name="old laptop")
    db.session.commit()
    auth.login()
    response = auth.post(f"/account/tokens/{issued.token.id}/revoke", {}, form_page="/account")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account#tokens")
    assert ApiClient(client, issued.secret).get("/api/v1/cases").status_code == 401
    assert 'data-token-id="' not in client.get("/account").get_data(as_text=True)


def test_revoke_needs_the_csrf_token(client, auth, user):
    issued = tokens.create_token(db.session, user, name="kept")
    db.session.commit()
    auth.login()
    assert client.post(f"/account/tokens/{issued.token.id}/revoke").status_code == 400
    assert tokens.token_for_secret(db.session, issued.secret) is not None


def test_someone_elses_token_cannot_be_revoked_from_my_page(client, auth, user, make_user):
    theirs = tokens.create_token(db.session, make_user(), name="theirs")
    db.session.commit()
    auth.login()
    response = auth.post(f"/account/tokens/{theirs.token.id}/revoke", {}, form_page="/account")
    assert response.status_code == 404
    assert tokens.token_for_secret(db.session, theirs.secret) is not None


def test_changing_the_password_on_the_page_revokes_tokens(client, auth, user):
    secret = tokens.create_token(db.session, user, name="ci").secret
    db.session.commit()
    auth.login()
    response = auth.post(
        "/account/password",
        {
            "pw-current": PASSWORD,
            "pw-new": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
        form_page="/account",
    )
    assert response.status_code == 302
    assert "every API token too" in client.get("/account").get_data(as_text=True)
    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 401


@pytest.mark.settings(password_change_revokes_tokens=False)
def test_an_operator_can_keep_tokens_across_password_changes(client, auth, user):
    secret = tokens.create_token(db.session, user, name="ci").secret
    db.session.commit()
    auth.login()
    auth.post(
        "/account/password",
        {
            "pw-current": PASSWORD,
            "pw-new": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
        form_page="/account",
    )
    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 200


@pytest.mark.browser
def test_the_token_section_works_on_a_360_px_phone(live_server, page, console_errors, user):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/account#tokens")
    page.get_by_label("Name", exact=True).fill("a script with a rather long name, to see it wrap")
    page.get_by_label("Expires").select_option("365")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-api-token]").input_value()
    assert secret.startswith("cat_")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    revoke = page.get_by_role("button", name="Revoke")
    assert revoke.is_visible()
    box = revoke.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 360
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    page.wait_for_url(re.compile(r"/account#tokens$"))
    assert page.locator("[data-token-id]").count() == 0
    assert console_errors == []
