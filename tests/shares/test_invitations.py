"""Registering through an invitation is one unit of work: the account, the accepted
offer and the first login session are stored together, or none of them is."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseapp.accounts import service as accounts
from caseapp.accounts.models import LoginSession, User
from caseapp.custody import log as custody
from caseapp.extensions import db
from caseapp.shares import invitations
from tests.conftest import PASSWORD

INVITED = "chen@association.example.org"


class SessionStoreDown(Exception):
    """Stands for the login session failing to start."""


def _register(app, token):
    rt = app.extensions["caseapp"]
    return invitations.register_advocate(
        db.session, rt.passwords, rt.head_key, token, password=PASSWORD, display_name="陈律师"
    )


def test_registering_through_an_invitation_accepts_it_and_starts_a_session(
    app, case, share_with
):
    created = share_with(case, advocate_email=INVITED)
    advocate = _register(app, created.invite_token)
    db.session.rollback()  # nothing left for the caller to commit
    with Session(db.engine) as other:
        stored = other.scalar(select(User).where(User.email == INVITED))
        assert stored is not None
        assert stored.role == "advocate"
        sessions = list(other.scalars(select(LoginSession).filter_by(user_id=stored.id)))
    assert len(sessions) == 1
    assert advocate.current_session_id  # what the login cookie will carry
    assert "share.accepted" in [e.action for e in custody.entries(db.session, case.id)]


def test_a_registration_failing_at_its_last_step_leaves_no_account_and_the_offer_open(
    app, case, share_with, monkeypatch
):
    created = share_with(case, advocate_email=INVITED)

    def refuse(*_args, **_kwargs):
        raise SessionStoreDown

    monkeypatch.setattr(accounts, "start_session", refuse)
    with pytest.raises(SessionStoreDown):
        _register(app, created.invite_token)
    assert accounts.find_user(db.session, INVITED) is None
    assert invitations.invitation(db.session, created.invite_token).accepted_at is None
    assert "share.accepted" not in [e.action for e in custody.entries(db.session, case.id)]
