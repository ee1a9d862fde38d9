"""An advocate checks a shared case's dossier where it is stored, without taking the
originals away unless the share allows it."""

from __future__ import annotations

import hashlib

import pytest

from caseapp.export import service as dossiers
from caseapp.export.models import Dossier
from caseapp.extensions import db
from tests.shares.conftest import csrf_token, login_client


@pytest.fixture
def dossier(app, dossier_case, user):
    """A built, signed dossier of the case (built by its job when the request commits)."""
    queued = dossiers.request_dossier(
        db.session, dossier_case["case"], user, "zh", "consumer_association"
    )
    db.session.commit()
    db.session.expire_all()
    built = db.session.get(Dossier, queued.id)
    assert built.status == "ready", built.error
    return built


def test_an_advocate_verifies_a_dossier_in_place_but_cannot_take_it_away(
    app, dossier_case, dossier, share_with, advocate, advocate_api
):
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email)
    browser = login_client(app, advocate.email)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert dossier.sha256 in page
    assert "Verify integrity" in page
    assert f"/dossiers/{dossier.id}/pdf" not in page

    verified = browser.post(
        f"/cases/{case.id}/dossiers/{dossier.id}/verify",
        data={"csrf_token": csrf_token(browser, f"/cases/{case.id}")},
    )
    assert verified.status_code == 200
    assert "✓ Intact" in verified.get_data(as_text=True)

    assert browser.get(f"/cases/{case.id}/dossiers/{dossier.id}/pdf").status_code == 403
    assert advocate_api.get(f"/api/v1/dossiers/{dossier.id}").get_json()["sha256"] == dossier.sha256
    assert advocate_api.get(f"/api/v1/dossiers/{dossier.id}/pdf").status_code == 403
    assert advocate_api.post(f"/api/v1/cases/{case.id}/dossiers", json={}).status_code == 403


def test_a_whole_case_share_with_originals_lets_the_advocate_download_it(
    dossier_case, dossier, share_with, advocate, advocate_api, owner_api
):
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email, allow_originals=True, include_later=True)
    pdf = advocate_api.get(f"/api/v1/dossiers/{dossier.id}/pdf")
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.data).hexdigest() == dossier.sha256
    log = owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    assert log[-1]["action"] == "dossier.downloaded"
    assert log[-1]["actor"].endswith(f"<{advocate.email}>")


def test_a_share_of_every_item_there_is_now_does_not_let_a_dossier_go(
    dossier_case, dossier, share_with, advocate, advocate_api
):
    # A dossier embeds every original of the case, those added after the share too:
    # only a share that shows them takes one away.
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email, allow_originals=True)
    assert advocate_api.get(f"/api/v1/dossiers/{dossier.id}").status_code == 200
    assert advocate_api.get(f"/api/v1/dossiers/{dossier.id}/pdf").status_code == 403


def test_a_link_visitor_verifies_until_the_share_is_revoked(
    app, dossier_case, dossier, share_with, owner_api
):
    case = dossier_case["case"]
    created = share_with(case, link=True, allow_originals=True, include_later=True)
    browser = app.test_client()
    browser.get(f"/s/{created.link_token}")
    listing = browser.get(f"/cases/{case.id}/dossiers")
    assert listing.status_code == 200
    assert "Download PDF" in listing.get_data(as_text=True)
    token = csrf_token(browser, "/login")
    verify = f"/cases/{case.id}/dossiers/{dossier.id}/verify"
    assert browser.post(verify, data={"csrf_token": token}).status_code == 200
    download = browser.get(f"/cases/{case.id}/dossiers/{dossier.id}/bundle")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == dossier.bundle_sha256
    log = owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    assert (log[-1]["actor"], log[-1]["details"]["via"]) == (
        f"link:{created.share.id}",
        f"share:{created.share.id}",
    )

    owner_api.delete(f"/api/v1/shares/{created.share.id}")
    assert browser.post(verify, data={"csrf_token": token}).status_code == 404
    assert browser.get(f"/cases/{case.id}/dossiers").status_code == 404
