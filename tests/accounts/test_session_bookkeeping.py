"""When a login was last seen and a token last used: noted at most every few minutes, in a
transaction of its own, so a GET's own session never writes and never holds a lock."""

from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.request
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseapp.accounts import service, tokens
from caseapp.accounts.models import ApiToken, LoginSession
from caseapp.database import utcnow
from caseapp.extensions import db

LATER = service.BOOKKEEPING_INTERVAL + timedelta(minutes=1)


def committed(column, row_id):
    """The value as another connection sees it: only what was committed."""
    with Session(db.engine) as fresh:
        return fresh.scalar(select(column).where(column.class_.id == row_id))


def assert_session_wrote_nothing():
    assert not db.session.new
    assert not db.session.dirty
    assert not db.session.deleted


def test_aged_login_is_noted_and_committed_without_touching_the_session(app, user):
    secret = service.start_session(db.session, user)
    db.session.commit()
    login = db.session.scalars(select(LoginSession)).one()
    first_seen = login.last_seen_at
    now = first_seen + LATER
    assert service.load_session_user(db.session, secret, now=now) == user
    assert_session_wrote_nothing()
    assert committed(LoginSession.last_seen_at, login.id) == now
    assert login.last_seen_at == now  # the loaded object agrees, with nothing pending


def test_login_seen_again_within_the_interval_is_not_written(app, user):
    secret = service.start_session(db.session, user)
    db.session.commit()
    login = db.session.scalars(select(LoginSession)).one()
    first_seen = login.last_seen_at
    soon = first_seen + service.BOOKKEEPING_INTERVAL - timedelta(seconds=30)
    assert service.load_session_user(db.session, secret, now=soon) == user
    assert committed(LoginSession.last_seen_at, login.id) == first_seen


def test_a_get_with_an_aged_login_moves_last_seen(client, auth, user):
    auth.login()
    aged = utcnow() - LATER
    db.session.execute(update(LoginSession).values(last_seen_at=aged))
    db.session.commit()
    login_id = db.session.scalars(select(LoginSession.id)).one()
    assert client.get("/").status_code == 200
    assert committed(LoginSession.last_seen_at, login_id) > aged + LATER - timedelta(seconds=5)


def test_token_last_used_moves_at_most_once_per_interval(app, user):
    secret = tokens.create_token(db.session, user, name="sync").secret
    db.session.commit()
    row_id = db.session.scalars(select(ApiToken.id)).one()
    t0 = utcnow()
    later = tokens.LAST_USED_INTERVAL + timedelta(minutes=1)
    assert tokens.token_for_secret(db.session, secret, now=t0).user == user
    assert_session_wrote_nothing()
    assert committed(ApiToken.last_used_at, row_id) == t0  # the first use is always noted
    assert tokens.token_for_secret(db.session, secret, now=t0 + timedelta(minutes=2)).user == user
    assert committed(ApiToken.last_used_at, row_id) == t0
    assert tokens.token_for_secret(db.session, secret, now=t0 + later).user == user
    assert_session_wrote_nothing()
    assert committed(ApiToken.last_used_at, row_id) == t0 + later


def test_api_request_notes_token_use_without_committing_its_own_session(api, user):
    assert api.get("/api/v1/cases").status_code == 200
    row_id = db.session.scalars(select(ApiToken.id)).one()
    assert committed(ApiToken.last_used_at, row_id) is not None


def test_locked_database_skips_the_bookkeeping_and_still_answers(app, user, instance_path):
    secret = service.start_session(db.session, user)
    db.session.commit()
    login = db.session.scalars(select(LoginSession)).one()
    first_seen = login.last_seen_at
    writer = sqlite3.connect(instance_path / "caseapp.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
        assert service.load_session_user(db.session, secret, now=first_seen + LATER) == user
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert committed(LoginSession.last_seen_at, login.id) == first_seen


def test_many_clients_on_an_aged_login_never_see_a_500(client, auth, user, live_server):
    auth.login()
    cookie = client.get_cookie("caseapp_session")
    assert cookie is not None
    db.session.execute(update(LoginSession).values(last_seen_at=utcnow() - LATER))
    db.session.commit()
    statuses: list[int] = []
    start = threading.Barrier(8)

    def browse() -> None:
        start.wait()
        for _ in range(4):
            request = urllib.request.Request(  # noqa: S310 - the local test server
                live_server + "/", headers={"Cookie": f"caseapp_session={cookie.value}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

    threads = [threading.Thread(target=browse) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 32
