"""Someone else's case is a 404 on every route, for every method: ids cannot be probed.
And the API answers to bearer tokens alone: a browser halfway through a two-factor login
gets 401, a token works the same with two-factor on or still to be enrolled."""

from __future__ import annotations

import pyotp
import pytest

from caseapp.accounts import two_factor
from caseapp.extensions import db

ROUTES = [
    ("GET", "/api/v1/cases/{case}"),
    ("PATCH", "/api/v1/cases/{case}"),
    ("GET", "/api/v1/cases/{case}/events"),
    ("POST", "/api/v1/cases/{case}/events"),
    ("GET", "/api/v1/cases/{case}/events/{event}"),
    ("PATCH", "/api/v1/cases/{case}/events/{event}"),
    ("DELETE", "/api/v1/cases/{case}/events/{event}"),
    ("GET", "/api/v1/cases/{case}/custody"),
]


@pytest.fixture
def strangers_case(api_for, make_user):
    owner = api_for(make_user("owner@example.org"))
    case_id = owner.post(
        "/api/v1/cases", json={"title": "私人案件", "counterparty": "X", "category": "other"}
    ).get_json()["id"]
    event_id = owner.post(
        f"/api/v1/cases/{case_id}/events",
        json={
            "occurred_at": "2024-01-01T00:00:00Z",
            "channel": "email",
            "summary": "秘密",
        },
    ).get_json()["id"]
    return case_id, event_id


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_other_users_case_is_404(api, strangers_case, method, route):
    case_id, event_id = strangers_case
    path = route.format(case=case_id, event=event_id)
    response = api.client.open(
        path, method=method, headers=api.headers, json={"summary": "hijack", "status": "closed"}
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "私人案件" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_unknown_ids_are_404_too(api, method, route):
    path = route.format(case="doesnotexist000000000", event="nope")
    response = api.client.open(path, method=method, headers=api.headers, json={})
    assert response.status_code == 404


def test_event_of_another_case_is_404_through_my_case(api, strangers_case):
    my_case = api.post(
        "/api/v1/cases",
        json={
            "title": "t",
            "counterparty": "c",
            "category": "other",
        },
    ).get_json()["id"]
    _, event_id = strangers_case
    assert api.get(f"/api/v1/cases/{my_case}/events/{event_id}").status_code == 404


# -- the second factor: the API answers to tokens, never to a half-finished login ----


@pytest.fixture
def own_case_with_two_factor(api, user):
    """The complainant's own case; they have two-factor on."""
    case_id = api.post(
        "/api/v1/cases", json={"title": "我的案件", "counterparty": "X", "category": "other"}
    ).get_json()["id"]
    event_id = api.post(
        f"/api/v1/cases/{case_id}/events",
        json={"occurred_at": "2024-01-01T00:00:00Z", "channel": "email", "summary": "记录"},
    ).get_json()["id"]
    secret = two_factor.start_enrolment(db.session, user)
    two_factor.confirm_enrolment(db.session, user, pyotp.TOTP(secret).now())
    return case_id, event_id


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_a_browser_between_password_and_code_gets_401(
    client, auth, own_case_with_two_factor, method, route
):
    case_id, event_id = own_case_with_two_factor
    assert auth.login().headers["Location"] == "/login/code"
    response = client.open(route.format(case=case_id, event=event_id), method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_token_works_the_same_with_two_factor_on(api, own_case_with_two_factor):
    case_id, _ = own_case_with_two_factor
    assert api.get(f"/api/v1/cases/{case_id}").status_code == 200
    assert api.get("/api/v1/cases").status_code == 200


@pytest.mark.settings(two_factor_required_roles=("user",), two_factor_enforce_enrolment=True)
def test_a_token_works_before_the_required_enrolment(client, auth, api, user):
    assert auth.login().headers["Location"] == "/account/two-factor"
    assert client.get("/cases").headers["Location"] == "/account/two-factor"
    assert api.get("/api/v1/cases").status_code == 200
