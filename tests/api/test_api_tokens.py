"""/api/v1/tokens: a user lists, makes and revokes their own tokens; a revoked, expired or
pre-password-change token is 401 on its next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from caseapp.accounts import service, tokens
from caseapp.accounts.models import ApiToken
from caseapp.database import utcnow
from caseapp.extensions import db
from tests.conftest import ApiClient


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def check(document, schema_name, instance):
    Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema_name}"}).validate(
        instance
    )


def test_the_list_marks_the_token_in_use_and_pages_like_every_list(api, user, document):
    for n in range(3):
        tokens.create_token(db.session, user, name=f"script {n}")
    db.session.commit()
    first = api.get("/api/v1/tokens?limit=2").get_json()
    check(document, "TokenPage", first)
    rest = api.get(f"/api/v1/tokens?limit=2&cursor={first['next_cursor']}").get_json()
    items = first["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert len(items) == 4
    assert [item["name"] for item in items if item["current"]] == ["tests"]
    assert {"id", "name", "created_at", "last_used_at", "expires_at", "current"} <= set(items[0])
    assert "token" not in items[0]
    assert "token_hash" not in items[0]


def test_a_new_token_is_answered_once_and_works(api, client, document):
    response = api.post("/api/v1/tokens", json={"name": "phone app", "expires_in_days": 30})
    assert response.status_code == 201
    created = response.get_json()
    check(document, "TokenCreated", created)
    assert created["current"] is False
    assert created["state"] == "active"
    new = ApiClient(client, created["token"])
    listed = new.get("/api/v1/tokens").get_json()["items"]
    assert [item["name"] for item in listed if item["current"]] == ["phone app"]
    assert all("token" not in item for item in listed)


def test_bad_token_input_is_422(api, document):
    response = api.post("/api/v1/tokens", json={"name": "", "expires_in_days": 0})
    assert response.status_code == 422
    check(document, "Error", response.get_json())
    assert set(response.get_json()["error"]["fields"]) == {"name", "expires_in_days"}


def test_a_revoked_token_is_401_on_its_next_request(api, api_for, user):
    other = api_for(user)
    other_id = [i for i in api.get("/api/v1/tokens").get_json()["items"] if not i["current"]][0][
        "id"
    ]
    assert other.get("/api/v1/cases").status_code == 200
    assert api.delete(f"/api/v1/tokens/{other_id}").status_code == 204
    refused = other.get("/api/v1/cases")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert api.delete(f"/api/v1/tokens/{other_id}").status_code == 404  # gone from the list


def test_a_token_can_revoke_itself(api):
    mine = api.get("/api/v1/tokens").get_json()["items"][0]
    assert api.delete(f"/api/v1/tokens/{mine['id']}").status_code == 204
    assert api.get("/api/v1/tokens").status_code == 401


def test_another_users_token_is_404_and_stays_alive(api, api_for, make_user):
    stranger = api_for(make_user())
    theirs = stranger.get("/api/v1/tokens").get_json()["items"][0]["id"]
    response = api.delete(f"/api/v1/tokens/{theirs}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert stranger.get("/api/v1/cases").status_code == 200


def test_an_expired_token_is_401(app, client, user):
    issued = tokens.create_token(
        db.session, user, name="short", expires_at=utcnow() + timedelta(days=1)
    )
    db.session.commit()
    api = ApiClient(client, issued.secret)
    assert api.get("/api/v1/cases").status_code == 200
    db.session.get(ApiToken, issued.token.id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/cases").status_code == 401


def test_a_token_made_before_a_password_change_is_401_after_it(app, api, user):
    assert api.get("/api/v1/cases").status_code == 200
    service.change_password(
        db.session,
        app.extensions["caseapp"].passwords,
        user,
        "correct horse battery",
        "a brand new passphrase",
    )
    db.session.commit()
    assert api.get("/api/v1/cases").status_code == 401
