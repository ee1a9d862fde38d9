"""API tokens below the pages: named, stored hashed, ended at once by revocation, expiry or
a password change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.accounts import service, tokens
from caseapp.accounts.models import ApiToken
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.fields import InvalidFields


def test_token_is_shown_once_and_only_its_hash_is_stored(app, user):
    issued = tokens.create_token(db.session, user, name="backup script")
    db.session.commit()
    stored = db.session.query(ApiToken).one()
    assert issued.secret.startswith("cat_")
    assert len(issued.secret) >= 40
    assert issued.secret not in stored.token_hash
    assert stored.name == "backup script"
    assert tokens.token_for_secret(db.session, issued.secret).user == user
    assert tokens.token_for_secret(db.session, issued.secret + "x") is None


@pytest.mark.parametrize("junk", ["", "cat_é", "cat_\x00", "x" * 10_000])
def test_junk_in_the_header_is_simply_not_a_token(app, junk):
    assert tokens.token_for_secret(db.session, junk) is None


def test_revoked_token_stops_working_at_once(app, user):
    issued = tokens.create_token(db.session, user, name="laptop")
    db.session.commit()
    assert tokens.token_for_secret(db.session, issued.secret) is not None
    assert tokens.revoke_token(db.session, issued.token) is True
    db.session.commit()
    assert tokens.token_for_secret(db.session, issued.secret) is None
    assert issued.token.state(utcnow()) == "revoked"
    assert tokens.revoke_token(db.session, issued.token) is False  # already revoked


def test_token_expires_on_time(app, user):
    now = utcnow()
    issued = tokens.create_token(
        db.session, user, name="30 days", expires_at=tokens.expiry_after(30, now), now=now
    )
    db.session.commit()
    just_before = now + timedelta(days=30) - timedelta(seconds=1)
    assert tokens.token_for_secret(db.session, issued.secret, now=just_before) is not None
    assert tokens.token_for_secret(db.session, issued.secret, now=now + timedelta(days=30)) is None
    assert issued.token.state(now + timedelta(days=31)) == "expired"


def test_password_change_revokes_every_token(app, user):
    secrets = [tokens.create_token(db.session, user, name=f"t{n}").secret for n in range(3)]
    db.session.commit()
    service.change_password(
        db.session,
        app.extensions["caseapp"].passwords,
        user,
        "correct horse battery",
        "a brand new passphrase",
    )
    db.session.commit()
    assert [tokens.token_for_secret(db.session, s) for s in secrets] == [None, None, None]
    assert {t.state(utcnow()) for t in tokens.every_token(db.session, user)} == {"revoked"}


def test_password_change_can_leave_tokens_alone(app, user):
    secret = tokens.create_token(db.session, user, name="kept").secret
    db.session.commit()
    service.change_password(
        db.session,
        app.extensions["caseapp"].passwords,
        user,
        "correct horse battery",
        "a brand new passphrase",
        revoke_tokens=False,
    )
    db.session.commit()
    assert tokens.token_for_secret(db.session, secret) is not None


def test_lists_hide_revoked_tokens_from_the_owner_but_not_from_the_operator(app, user, make_user):
    kept = tokens.create_token(db.session, user, name="kept").token
    ended = tokens.create_token(db.session, user, name="ended").token
    tokens.create_token(db.session, make_user(), name="someone else's")
    tokens.revoke_token(db.session, ended)
    db.session.commit()
    assert tokens.user_tokens(db.session, user, limit=20, cursor=None).items == [kept]
    assert {t.name for t in tokens.every_token(db.session, user)} == {"kept", "ended"}


def test_the_owner_pages_through_their_tokens_newest_first(app, user):
    start = utcnow()
    for n in range(5):
        tokens.create_token(db.session, user, name=f"t{n}", now=start + timedelta(seconds=n))
    db.session.commit()
    first = tokens.user_tokens(db.session, user, limit=3, cursor=None)
    second = tokens.user_tokens(db.session, user, limit=3, cursor=first.next_cursor)
    assert [t.name for t in first.items + second.items] == ["t4", "t3", "t2", "t1", "t0"]
    assert second.next_cursor is None


def test_another_users_token_is_not_found(app, user, make_user):
    theirs = tokens.create_token(db.session, make_user(), name="theirs").token
    db.session.commit()
    with pytest.raises(tokens.TokenNotFound):
        tokens.owned_token(db.session, user, theirs.id)


def test_api_input_takes_a_date_or_a_number_of_days(app, user):
    now = utcnow()
    by_days = tokens.create_token_from_input(
        db.session, user, {"name": "ci", "expires_in_days": 90}, "UTC", now=now
    )
    assert by_days.token.expires_at == now + timedelta(days=90)
    year = now.year + 2
    by_date = tokens.create_token_from_input(
        db.session,
        user,
        {"name": "ci", "expires_at": f"{year}-01-01T08:00:00+08:00"},
        "UTC",
        now=now,
    )
    assert by_date.token.expires_at.isoformat() == f"{year}-01-01T00:00:00+00:00"
    forever = tokens.create_token_from_input(db.session, user, {"name": "ci"}, "UTC", now=now)
    assert forever.token.expires_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "ci", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ci", "expires_in_days": "30"}, "expires_in_days"),
        ({"name": "ci", "expires_in_days": 4000}, "expires_in_days"),
        ({"name": "ci", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "ci", "expires_at": "soon"}, "expires_at"),
        ({"name": "ci", "expires_at": "2099-01-01", "expires_in_days": 3}, "expires_in_days"),
        ({"name": "ci", "expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "ci", "scopes": ["all"]}, "scopes"),
    ],
)
def test_api_input_is_checked(app, user, data, field):
    with pytest.raises(InvalidFields) as invalid:
        tokens.create_token_from_input(db.session, user, data, "UTC")
    assert field in invalid.value.errors
    assert db.session.query(ApiToken).count() == 0
