"""Share services are units of work: a change and the custody entry that says so are
stored together or not at all, and no route has to commit for them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry
from caseapp.extensions import db
from caseapp.shares import service
from caseapp.shares.models import Share


class CustodyUnavailable(Exception):
    """Stands for the custody log failing to take an entry."""


def _stored() -> tuple[list[str], list[str]]:
    """The shares and custody actions in the database, as another connection sees them."""
    with Session(db.engine) as other:
        shares = list(other.scalars(select(Share.id)))
        actions = list(other.scalars(select(CustodyEntry.action).order_by(CustodyEntry.seq)))
    return shares, actions


def test_a_refused_share_writes_no_custody_entry(case, owner_api):
    before = _stored()
    response = owner_api.post(
        f"/api/v1/cases/{case.id}/shares",
        json={"link": True, "expires_at": "2020-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert _stored() == before


def test_a_refused_share_form_writes_no_custody_entry(case, auth):
    auth.login()
    before = _stored()
    response = auth.post(
        f"/cases/{case.id}/shares",
        {"recipient": "advocate", "advocate_email": "complainant@example.org"},
        form_page=f"/cases/{case.id}/shares/new",
    )
    assert response.status_code == 422
    assert "is your own address" in response.get_data(as_text=True)
    assert _stored() == before


def test_a_share_whose_custody_entry_cannot_be_written_is_not_made(
    app, case, user, monkeypatch
):
    before = _stored()

    def refuse(*_args, **_kwargs):
        raise CustodyUnavailable

    # The share row is already flushed when the entry is refused.
    monkeypatch.setattr(custody, "record", refuse)
    with pytest.raises(CustodyUnavailable):
        service.create_share(
            db.session, app.extensions["caseapp"].head_key, user, case, {"link": True}, "UTC"
        )
    assert _stored() == before
    assert not db.session.new  # nothing left in the session for a later commit to store


def test_a_share_is_stored_without_its_caller_committing(app, case, user):
    created = service.create_share(
        db.session, app.extensions["caseapp"].head_key, user, case, {"link": True}, "UTC"
    )
    db.session.rollback()  # too late: the service committed its own work
    shares, actions = _stored()
    assert shares == [created.share.id]
    assert actions[-1] == "share.created"
