"""`caseapp token create|list|revoke`: what an operator types, and what scripts read."""

from __future__ import annotations

import json
from datetime import timedelta

from caseapp.accounts import tokens
from caseapp.database import utcnow
from caseapp.extensions import db
from tests.conftest import ApiClient


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_prints_the_token_alone_on_stdout(app, client, user):
    result = run(
        app, "token", "create", user.email, "--name", "nightly backup", "--expires-days", "30"
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("cat_")
    assert "\n" not in secret
    assert "shown once" in result.stderr
    token = tokens.token_for_secret(db.session, secret)
    assert token.name == "nightly backup"
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    assert ApiClient(client, secret).get("/api/v1/cases").status_code == 200


def test_create_refuses_an_unknown_email_and_a_silly_expiry(app, user):
    unknown = run(app, "token", "create", "nobody@example.org")
    assert unknown.exit_code == 1
    assert "no user with email" in unknown.stderr
    assert unknown.stdout == ""
    silly = run(app, "token", "create", user.email, "--expires-days", "0")
    assert silly.exit_code != 0
    assert silly.stdout == ""


def test_list_shows_every_token_with_its_state(app, user):
    kept = tokens.create_token(db.session, user, name="kept").token
    ended = tokens.create_token(
        db.session, user, name="ended", expires_at=utcnow() + timedelta(days=1)
    ).token
    tokens.revoke_token(db.session, ended)
    db.session.commit()
    table = run(app, "token", "list", user.email)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert len(lines) == 2
    assert any(
        line.startswith(f"{kept.id}\tactive\t") and "expires never" in line for line in lines
    )
    assert any(line.startswith(f"{ended.id}\trevoked\t") for line in lines)
    listed = json.loads(run(app, "token", "list", user.email, "--json").stdout)
    assert listed["email"] == user.email
    by_id = {row["id"]: row for row in listed["tokens"]}
    assert by_id[kept.id]["state"] == "active"
    assert by_id[kept.id]["last_used_at"] is None
    assert by_id[ended.id]["state"] == "revoked"
    assert by_id[ended.id]["revoked_at"]
    assert set(by_id[kept.id]) == {
        "id",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "state",
    }


def test_revoke_ends_the_token_for_the_api_at_once(app, client, user):
    issued = tokens.create_token(db.session, user, name="leaked")
    db.session.commit()
    api = ApiClient(client, issued.secret)
    assert api.get("/api/v1/cases").status_code == 200
    result = run(app, "token", "revoke", issued.token.id)
    assert result.exit_code == 0, result.output
    assert api.get("/api/v1/cases").status_code == 401
    again = run(app, "token", "revoke", issued.token.id)
    assert again.exit_code == 0
    assert "already revoked" in again.stderr


def test_revoke_of_an_unknown_id_is_one_line_and_exit_1(app):
    result = run(app, "token", "revoke", "no-such-token")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no API token with id no-such-token" in result.stderr
    assert "Traceback" not in result.output
