"""Shares to an advocate are offers: nothing of the case opens before they accept, the
sharer's answer tells nothing about who has an account, and a sender can be blocked."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from caseapp.custody import log as custody
from caseapp.extensions import db
from caseapp.shares.models import Share
from tests.shares.conftest import csrf_token, login_client

UNKNOWN = "nobody.yet@association.example.org"
# What differs from one share's page to the next: the invitation link (in the box and
# in its QR code) and the CSRF token.
SECRETS = re.compile(r'(/invite/|src="data:image/svg|name="csrf_token"[^>]*value=")[^"<]+')


def _offer(owner_api, case_id, email):
    return owner_api.post(f"/api/v1/cases/{case_id}/shares", json={"advocate_email": email})


def _actions(case):
    return [entry.action for entry in custody.entries(db.session, case.id)]


def test_the_sharer_gets_the_same_answer_whether_or_not_the_email_has_an_account(
    case, owner_api, advocate
):
    known = _offer(owner_api, case.id, advocate.email)
    unknown = _offer(owner_api, case.id, UNKNOWN)
    assert known.status_code == unknown.status_code == 201
    known_body, unknown_body = known.get_json(), unknown.get_json()
    assert sorted(known_body) == sorted(unknown_body)
    assert "pending_invitation" not in known_body
    for field in ("kind", "state", "offer_state", "review_state", "allow_originals"):
        assert known_body[field] == unknown_body[field], field
    assert known_body["offer_state"] == "offered"
    assert "/invite/" in known_body["invite_url"]
    assert "/invite/" in unknown_body["invite_url"]
    listed = owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json()["items"]
    assert [item["offer_state"] for item in listed] == ["offered", "offered"]
    details = [
        entry.details
        for entry in custody.entries(db.session, case.id)
        if entry.action == "share.offered"
    ]
    assert len(details) == 2
    assert all("invited" not in d for d in details)


def test_the_share_page_reads_the_same_for_a_known_and_an_unknown_email(
    app, dossier_case, auth, advocate
):
    case = dossier_case["case"]
    auth.login()
    pages = []
    for email in (advocate.email, UNKNOWN):
        response = auth.post(
            f"/cases/{case.id}/shares",
            {"recipient": "advocate", "advocate_email": email},
            form_page=f"/cases/{case.id}/shares/new",
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        page = page.replace(email, "EMAIL")
        pages.append(SECRETS.sub(r"\1TOKEN", page))
    assert pages[0] == pages[1]


def test_nothing_of_an_offered_case_opens_before_it_is_accepted(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    offer = _offer(owner_api, case.id, advocate.email).get_json()
    for path in (
        f"/api/v1/cases/{case.id}",
        f"/api/v1/cases/{case.id}/events",
        f"/api/v1/cases/{case.id}/evidence",
        f"/api/v1/cases/{case.id}/custody",
        f"/api/v1/cases/{case.id}/comments",
        f"/api/v1/evidence/{dossier_case['screenshot']['id']}",
    ):
        assert advocate_api.get(path).status_code == 404, path
    review = advocate_api.patch(f"/api/v1/shares/{offer['id']}", json={"review_state": "closed"})
    assert review.status_code == 404

    [listed] = advocate_api.get("/api/v1/shared").get_json()["items"]
    assert listed["state"] == "offered"
    assert listed["case_title"] == case.title
    assert listed["offered_by"] == {"name": case.owner.name, "email": case.owner.email}
    assert listed["counterparty"] is None
    assert listed["unread_comments"] == 0

    accepted = advocate_api.post(f"/api/v1/shares/{offer['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["state"] == "accepted"
    assert advocate_api.get(f"/api/v1/cases/{case.id}").status_code == 200
    [listed] = advocate_api.get("/api/v1/shared").get_json()["items"]
    assert listed["state"] == "accepted"
    assert listed["counterparty"] == case.counterparty
    assert advocate_api.post(f"/api/v1/shares/{offer['id']}/accept").status_code == 404
    assert _actions(case)[-2:] == ["share.accepted", "share.opened"]


def test_a_declined_offer_closes_and_its_invitation_stops_working(
    app, dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    offer = _offer(owner_api, case.id, advocate.email).get_json()
    assert owner_api.post(f"/api/v1/shares/{offer['id']}/accept").status_code == 403
    assert advocate_api.post(f"/api/v1/shares/{offer['id']}/decline").status_code == 204
    assert advocate_api.get("/api/v1/shared").get_json()["items"] == []
    assert advocate_api.get(f"/api/v1/cases/{case.id}").status_code == 404
    [mine] = owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json()["items"]
    assert mine["state"] == "declined"
    assert mine["offer_state"] == "declined"
    assert app.test_client().get(offer["invite_url"]).status_code == 404
    assert _actions(case)[-1] == "share.declined"


def test_an_advocate_accepts_and_declines_offers_from_the_shared_page(
    app, dossier_case, share_with, advocate
):
    case = dossier_case["case"]
    first = share_with(case, accept=False, advocate_email=advocate.email).share
    second = share_with(case, accept=False, advocate_email=advocate.email).share
    browser = login_client(app, advocate.email)
    page = browser.get("/shared").get_data(as_text=True)
    assert f"Offered by {case.owner.name} ({case.owner.email})" in page
    assert case.title in page
    assert case.counterparty not in page
    token = csrf_token(browser, "/shared")

    assert browser.post(f"/shares/{first.id}/accept").status_code == 400  # no CSRF token
    assert db.session.get(Share, first.id).offer_state == "offered"
    accepted = browser.post(f"/shares/{first.id}/accept", data={"csrf_token": token})
    assert accepted.headers["Location"] == f"/cases/{case.id}"
    assert (
        browser.post(f"/shares/{second.id}/decline", data={"csrf_token": token}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Share, first.id).offer_state == "accepted"
    assert db.session.get(Share, second.id).offer_state == "declined"
    assert browser.get(f"/cases/{case.id}").status_code == 200
    assert 'id="offers"' not in browser.get("/shared").get_data(as_text=True)


def test_a_blocked_sender_s_offers_are_silently_not_shown(
    app, dossier_case, owner_api, advocate_api, share_with, advocate
):
    case = dossier_case["case"]
    lure = share_with(case, accept=False, advocate_email=advocate.email).share
    browser = login_client(app, advocate.email)
    token = csrf_token(browser, "/shared")
    assert browser.post(f"/shares/{lure.id}/block", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Share, lure.id).offer_state == "declined"

    before = _offer(owner_api, case.id, UNKNOWN)
    after_block = _offer(owner_api, case.id, advocate.email)
    assert after_block.status_code == before.status_code == 201
    assert sorted(after_block.get_json()) == sorted(before.get_json())
    assert advocate_api.get("/api/v1/shared").get_json()["items"] == []
    hidden = after_block.get_json()["id"]
    assert advocate_api.post(f"/api/v1/shares/{hidden}/accept").status_code == 404
    page = browser.get("/shared").get_data(as_text=True)
    assert 'id="offers"' not in page
    assert case.owner.email in page.split('id="blocked"', 1)[1]

    owner_id = case.owner_id
    unblocked = browser.post(f"/shared/blocked/{owner_id}/unblock", data={"csrf_token": token})
    assert unblocked.status_code == 302
    [shown] = advocate_api.get("/api/v1/shared").get_json()["items"]
    assert shown["id"] == hidden
    assert shown["state"] == "offered"


def test_the_invitation_reads_the_same_for_a_known_and_an_unknown_email(
    app, dossier_case, owner_api, advocate
):
    case = dossier_case["case"]
    pages = []
    for email in (advocate.email, UNKNOWN):
        url = _offer(owner_api, case.id, email).get_json()["invite_url"]
        page = app.test_client().get(url).get_data(as_text=True).replace(email, "EMAIL")
        pages.append(SECRETS.sub(r"\1TOKEN", page))
    assert pages[0] == pages[1]
    assert "Register and accept the offer" in pages[0]
    assert "Already have an account with this email? Log in" in pages[0]


def test_an_advocate_declines_through_the_invitation(app, dossier_case, owner_api, advocate):
    case = dossier_case["case"]
    offer = _offer(owner_api, case.id, advocate.email).get_json()
    browser = login_client(app, advocate.email)
    path = urlsplit(offer["invite_url"]).path
    page = browser.get(path).get_data(as_text=True)
    assert "Accept and open the case" in page
    declined = browser.post(
        path, data={"csrf_token": csrf_token(browser, path), "answer": "decline"}
    )
    assert declined.headers["Location"] == "/shared"
    assert db.session.get(Share, offer["id"]).offer_state == "declined"
