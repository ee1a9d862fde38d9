"""Every route that touches a case, for every kind of visitor: the exact status.

The route list comes from the app's url_map, so a route added later without a row
here fails `test_every_route_about_a_case_is_in_the_matrix` until someone decides
who may use it.

Visitors, in the order each row lists them: someone with no account and no link,
someone who typed the owner's password but not the code of their second factor
("pending": they must get exactly what the first visitor gets), a browser holding an
open link share, an advocate nothing is shared with, an admin who has not enrolled the
second factor their role requires ("unenrolled": every page sends them to enrolment,
the API answers their token as anyone's), an advocate whose share expired, one whose
share was revoked, one offered a share they have not accepted yet (everything 404 but
the offer's own actions), the advocate with an open share (originals not allowed), and
the complainant who owns the case (with two-factor on). They take their turn in that
order, so the owner's own changes (delete, revoke) come last, and the offer's actions
name the offered advocate's share.

The two-factor routes are in the matrix too: only the pending visitor reaches the
code step, and only accounts reach enrolment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseapp.accounts import service as accounts
from caseapp.accounts import tokens, two_factor
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import service
from tests.conftest import PASSWORD
from tests.shares.conftest import csrf_token, expire, login_client

ROLES = (
    "anonymous", "pending", "link", "stranger", "unenrolled", "expired", "revoked", "offered",
    "advocate", "owner",
)
# Admins must enrol a second factor here; the advocates in this matrix need not.
pytestmark = pytest.mark.settings(
    two_factor_required_roles=("admin",), two_factor_enforce_enrolment=True
)

# Routes that never name a case, a share or an item of one.
NOT_ABOUT_A_CASE = {
    ("GET", "static"),
    ("GET", "pki.ca_pem"),  # the instance CA and its CRL: public by design
    ("GET", "pki.crl"),
    ("GET", "pki.summary"),
    ("GET", "cases.dashboard"),
    ("GET", "cases.index"),
    ("GET", "cases.new"),
    ("POST", "cases.new"),
    ("GET", "accounts.settings"),
    ("POST", "accounts.settings"),
    ("POST", "accounts.change_password"),
    ("POST", "accounts.choose_language"),
    ("GET", "accounts.login"),
    ("POST", "accounts.login"),
    ("POST", "accounts.logout"),
    ("GET", "accounts.register"),
    ("POST", "accounts.register"),
    ("GET", "api.list_cases"),
    ("POST", "api.open_case"),
    ("GET", "api.openapi_document"),
    # API tokens are the user's own (tests/accounts, tests/api/test_api_tokens.py).
    ("POST", "accounts.create_token"),
    ("POST", "accounts.revoke_token"),
    ("GET", "api.list_tokens"),
    ("POST", "api.create_token"),
    ("DELETE", "api.revoke_token"),
}

L = 302  # sent to log in
# fmt: off
#                                         anon pend link strg unen expd rvkd offr advc ownr
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    # the case and its contacts, on the web
    ("GET", "cases.show"):              (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "cases.custody_log"):       (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "cases.edit"):              (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("POST", "cases.edit"):             (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    ("GET", "cases.new_contact"):       (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("POST", "cases.new_contact"):      (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("GET", "cases.edit_contact"):      (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("POST", "cases.edit_contact"):     (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("POST", "cases.change_status"):    (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    ("POST", "cases.follow_up_done"):   (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    ("POST", "cases.delete_contact"):   (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    # evidence, on the web
    ("POST", "evidence.upload"):        (  L,   L,   L, 404,   L, 404, 404, 404, 403, 303),
    ("GET", "evidence.show"):           (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "evidence.original"):       (  L,   L, 403, 404,   L, 404, 404, 404, 403, 200),
    ("GET", "evidence.rendition"):      (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "evidence.search"):         (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "evidence.reading_state"):  (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("POST", "evidence.change_details"): (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    ("POST", "evidence.withdraw"):      (  L,   L,   L, 404,   L, 404, 404, 404, 403, 422),
    ("POST", "evidence.restore"):       (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    # sharing, comments, review, on the web
    ("GET", "shares.new"):              (  L,   L,   L, 404,   L, 404, 404, 404, 403, 200),
    ("POST", "shares.create"):          (  L,   L,   L, 404,   L, 404, 404, 404, 403, 422),
    ("POST", "shares.revoke"):          (  L,   L,   L, 404,   L, 404, 404, 404, 403, 302),
    ("POST", "shares.comment"):         (  L,   L,   L, 404,   L, 404, 404, 404, 302, 302),
    ("POST", "shares.review"):          (  L,   L,   L, 404,   L, 404, 404, 404, 302, 403),
    ("POST", "shares.accept"):          (  L,   L,   L, 404,   L, 404, 404, 302, 404, 403),
    ("POST", "shares.decline"):         (  L,   L,   L, 404,   L, 404, 404, 302, 404, 403),
    ("POST", "shares.block"):           (  L,   L,   L, 404,   L, 404, 404, 302, 404, 403),
    ("POST", "shares.unblock"):         (  L,   L,   L, 302,   L, 302, 302, 302, 302, 302),
    ("GET", "shares.dashboard"):        (  L,   L,   L, 200,   L, 200, 200, 200, 200, 200),
    ("GET", "shares.open_link"):        (302, 302, 302, 302,   L, 302, 302, 302, 302, 302),
    ("GET", "shares.invite"):           (200, 200, 200, 200,   L, 200, 200, 200, 200, 200),
    ("POST", "shares.invite"):          (200, 200, 200, 200,   L, 200, 200, 200, 200, 200),
    # the API: no bearer token is 401, whatever cookie the browser holds
    ("GET", "api.get_case"):            (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("PATCH", "api.change_case"):       (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("GET", "api.list_events"):         (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("POST", "api.log_event"):          (401, 401, 401, 404, 404, 404, 404, 404, 403, 201),
    ("GET", "api.get_event"):           (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("PATCH", "api.change_event"):      (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("DELETE", "api.delete_event"):     (401, 401, 401, 404, 404, 404, 404, 404, 403, 204),
    ("POST", "api.add_evidence"):       (401, 401, 401, 404, 404, 404, 404, 404, 403, 415),
    ("GET", "api.list_case_evidence"):  (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("GET", "api.get_evidence"):        (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("GET", "api.evidence_content"):    (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("GET", "api.evidence_text"):       (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("PATCH", "api.change_evidence"):   (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("POST", "api.withdraw_evidence"):  (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("POST", "api.restore_evidence"):   (401, 401, 401, 404, 404, 404, 404, 404, 403, 409),
    ("GET", "api.case_custody"):        (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("GET", "api.list_comments"):       (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("POST", "api.add_comment"):        (401, 401, 401, 404, 404, 404, 404, 404, 201, 201),
    ("GET", "api.list_shares"):         (401, 401, 401, 404, 404, 404, 404, 404, 403, 200),
    ("POST", "api.create_share"):       (401, 401, 401, 404, 404, 404, 404, 404, 403, 201),
    ("PATCH", "api.review_share"):      (401, 401, 401, 404, 404, 404, 404, 404, 200, 403),
    ("DELETE", "api.revoke_share"):     (401, 401, 401, 404, 404, 404, 404, 404, 403, 204),
    ("POST", "api.accept_share"):       (401, 401, 401, 404, 404, 404, 404, 200, 404, 403),
    ("POST", "api.decline_share"):      (401, 401, 401, 404, 404, 404, 404, 204, 404, 403),
    ("GET", "api.shared_with_me"):      (401, 401, 401, 200, 200, 200, 200, 200, 200, 200),
    # dossiers (a queued one: downloads wait for the build, advocates may not take one away)
    ("GET", "export.index"):            (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("POST", "export.index"):           (  L,   L, 403, 404,   L, 404, 404, 404, 403, 200),
    ("GET", "export.status"):           (  L,   L, 200, 404,   L, 404, 404, 404, 200, 200),
    ("GET", "export.download"):         (  L,   L, 403, 404,   L, 404, 404, 404, 403, 409),
    ("POST", "export.verify"):          (  L,   L, 409, 404,   L, 404, 404, 404, 409, 409),
    ("POST", "api.request_dossier"):    (401, 401, 401, 404, 404, 404, 404, 404, 403, 422),
    ("GET", "api.list_case_dossiers"):  (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("GET", "api.get_dossier"):         (401, 401, 401, 404, 404, 404, 404, 404, 200, 200),
    ("GET", "api.dossier_pdf"):         (401, 401, 401, 404, 404, 404, 404, 404, 403, 409),
    ("GET", "api.dossier_bundle"):      (401, 401, 401, 404, 404, 404, 404, 404, 403, 409),
    # the second factor: the code step, enrolment, new recovery codes, turning it off
    ("GET", "accounts.login_code"):     (  L, 200,   L,   L,   L,   L,   L,   L,   L,   L),
    ("POST", "accounts.login_code"):    (  L, 200,   L,   L,   L,   L,   L,   L,   L,   L),
    ("GET", "accounts.two_factor"):     (  L,   L,   L, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "accounts.two_factor"):    (  L,   L,   L, 422, 422, 422, 422, 422, 422, 200),
    ("POST", "accounts.regenerate_recovery_codes"):
                                        (  L,   L,   L, 302, 302, 302, 302, 302, 302, 422),
    ("POST", "accounts.disable_two_factor"): (  L,   L,   L, 302, 302, 302, 302, 302, 302, 422),
}
# fmt: on

JSON_BODIES: dict[str, Any] = {
    "api.change_case": {"status": "escalated"},
    "api.log_event": {
        "occurred_at": "2026-03-06T10:00:00+08:00",
        "channel": "hotline",
        "summary": "再次致电",
    },
    "api.change_event": {"outcome": "仍未解冻"},
    "api.change_evidence": {"description": "客服拒绝解冻的截图"},
    "api.withdraw_evidence": {"reason": "误传的私人文件"},
    "api.add_comment": {"body": "请补充提现记录"},
    "api.create_share": {"link": True},
    "api.review_share": {"review_state": "in_review"},
    "api.request_dossier": {"lang": "xx"},
}


@dataclass
class Visitor:
    """One kind of visitor: a browser (with its CSRF token) and, for accounts, an API token."""

    client: FlaskClient
    csrf: str
    bearer: str | None


@dataclass
class World:
    """A shared case seen by every kind of visitor."""

    args: dict[str, str]
    visitors: dict[str, Visitor]
    args_for: dict[str, dict[str, str]]


def _account(app: Flask, email: str, form_page: str = "/account") -> Visitor:
    user = accounts.find_user(db.session, email)
    assert user is not None
    bearer = tokens.create_token(db.session, user, name="tests").secret
    db.session.commit()
    client = login_client(app, email)
    return Visitor(client, csrf_token(client, form_page), bearer)


def _enrolled_owner(app: Flask, email: str) -> tuple[Visitor, Visitor]:
    """The owner, enrolled in two-factor and fully logged in; and a browser that typed
    the owner's password but not yet a code."""
    owner = accounts.find_user(db.session, email)
    assert owner is not None
    secret = two_factor.start_enrolment(db.session, owner)
    totp = pyotp.TOTP(secret)
    two_factor.confirm_enrolment(db.session, owner, totp.now())
    bearer = tokens.create_token(db.session, owner, name="tests").secret
    db.session.commit()

    def password_step() -> FlaskClient:
        client = app.test_client()
        answer = client.post("/login", data={
            "email": email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login"),
        })
        assert answer.headers["Location"] == "/login/code"
        return client

    logged_in = password_step()
    answer = logged_in.post("/login/code", data={
        "code": totp.at(time.time() + totp.interval),  # the next step's: enrolment took this one
        "csrf_token": csrf_token(logged_in, "/login/code"),
    })
    assert answer.status_code == 302, "code step failed"
    pending = password_step()
    return (
        Visitor(logged_in, csrf_token(logged_in, "/account"), bearer),
        Visitor(pending, csrf_token(pending, "/login/code"), None),
    )


@pytest.fixture
def world(app, dossier_case, share_with, make_user, advocate) -> World:
    case = dossier_case["case"]
    for email in (
        "stranger@ngo.example.org",
        "expired@law.example.org",
        "revoked@law.example.org",
        "offered@law.example.org",
    ):
        make_user(email, role="advocate")
    make_user("admin@caseapp.example.org", role="admin")
    open_share = share_with(case, advocate_email=advocate.email).share
    expire(share_with(case, advocate_email="expired@law.example.org").share)
    revoked = share_with(case, advocate_email="revoked@law.example.org").share
    service.revoke_share(db.session, runtime().head_key, case.owner, revoked)
    db.session.commit()
    offer = share_with(case, accept=False, advocate_email="offered@law.example.org").share
    link_token = share_with(case, link=True).link_token
    invite_token = share_with(case, advocate_email="newcomer@association.example.org").invite_token
    assert link_token
    assert invite_token

    dossier = Dossier(case_id=case.id, lang="zh", recipient="consumer_association")
    db.session.add(dossier)
    db.session.commit()

    link_browser = app.test_client()
    assert link_browser.get(f"/s/{link_token}").status_code == 302
    anonymous = app.test_client()
    owner, pending = _enrolled_owner(app, case.owner.email)
    visitors = {
        "anonymous": Visitor(anonymous, csrf_token(anonymous, "/login"), None),
        "pending": pending,
        "link": Visitor(link_browser, csrf_token(link_browser, "/login"), None),
        "stranger": _account(app, "stranger@ngo.example.org"),
        "unenrolled": _account(app, "admin@caseapp.example.org", form_page="/account/two-factor"),
        "expired": _account(app, "expired@law.example.org"),
        "revoked": _account(app, "revoked@law.example.org"),
        "offered": _account(app, "offered@law.example.org"),
        "advocate": _account(app, advocate.email),
        "owner": owner,
    }
    args = {
        "case_id": case.id,
        "event_id": dossier_case["event"]["id"],
        "evidence_id": dossier_case["screenshot"]["id"],
        "role": "thumbnail",
        "share_id": open_share.id,
        "dossier_id": dossier.id,
        "which": "pdf",
    }
    args_for = {
        "api.evidence_text": {"evidence_id": dossier_case["private"]["id"]},
        "shares.open_link": {"token": link_token},
        "shares.invite": {"token": invite_token},
        "shares.unblock": {"sender_id": case.owner_id},
        **{
            endpoint: {"share_id": offer.id}
            for endpoint in (
                "shares.accept",
                "shares.decline",
                "shares.block",
                "api.accept_share",
                "api.decline_share",
            )
        },
    }
    return World(args, visitors, args_for)


def _path(app: Flask, endpoint: str, world: World) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {**world.args, **world.args_for.get(endpoint, {})}
    _, path = rule.build({name: values[name] for name in rule.arguments})  # type: ignore[misc]
    return path


def _status(visitor: Visitor, method: str, endpoint: str, path: str) -> int:
    if endpoint.startswith("api."):
        headers = {"Authorization": f"Bearer {visitor.bearer}"} if visitor.bearer else {}
        return visitor.client.open(
            path, method=method, headers=headers, json=JSON_BODIES.get(endpoint, {})
        ).status_code
    data = {"csrf_token": visitor.csrf} if method == "POST" else None
    return visitor.client.open(path, method=method, data=data).status_code


def test_every_route_about_a_case_is_in_the_matrix(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - NOT_ABOUT_A_CASE == set(EXPECTED)


@pytest.mark.parametrize(("method", "endpoint"), sorted(EXPECTED))
def test_each_visitor_gets_exactly_the_expected_status(app, world, method, endpoint):
    path = _path(app, endpoint, world)
    seen = {role: _status(world.visitors[role], method, endpoint, path) for role in ROLES}
    assert seen == dict(zip(ROLES, EXPECTED[(method, endpoint)], strict=True))
