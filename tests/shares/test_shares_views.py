"""Sharing in the browser: the share form, the link swap, the advocate's pages,
comments and review state, the invitation, and "who looked at what, when"."""

from __future__ import annotations

import re
from datetime import timedelta

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from caseapp.access.viewer import LINK_COOKIE_PREFIX
from caseapp.accounts import service as accounts
from caseapp.custody import log as custody
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.shares import service
from caseapp.shares.models import Share
from tests.conftest import PASSWORD
from tests.shares.conftest import csrf_token, expire, login_client


def test_opening_a_link_swaps_the_token_for_a_cookie_scoped_to_the_case(
    app, dossier_case, share_with
):
    case = dossier_case["case"]
    created = share_with(case, link=True)
    browser = app.test_client()
    opened = browser.get(f"/s/{created.link_token}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/cases/{case.id}"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    cookie = opened.headers["Set-Cookie"]
    assert cookie.startswith(f"{LINK_COOKIE_PREFIX}{created.share.id}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert f"Path=/cases/{case.id}" in cookie
    assert created.link_token not in cookie

    page = browser.get(f"/cases/{case.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert case.title in body
    assert "客服承诺三个工作日内解冻资产" in body
    assert "冻结截图.png" in body
    assert "Edit case" not in body
    assert 'name="file"' not in body
    assert "Send comment" not in body


def test_a_link_visitor_reads_only_what_is_included_and_no_originals(app, dossier_case, share_with):
    case = dossier_case["case"]
    screenshot, private = dossier_case["screenshot"], dossier_case["private"]
    created = share_with(case, link=True, evidence_ids=[screenshot["id"]])
    browser = app.test_client()
    browser.get(f"/s/{created.link_token}")
    assert "私人笔记" not in browser.get(f"/cases/{case.id}").get_data(as_text=True)
    item = browser.get(f"/cases/{case.id}/evidence/{screenshot['id']}")
    assert item.status_code == 200
    assert "Download original" not in item.get_data(as_text=True)
    assert (
        browser.get(
            f"/cases/{case.id}/evidence/{screenshot['id']}/renditions/thumbnail"
        ).status_code
        == 200
    )
    assert browser.get(f"/cases/{case.id}/evidence/{screenshot['id']}/original").status_code == 403
    assert browser.get(f"/cases/{case.id}/evidence/{private['id']}").status_code == 404
    hits = browser.get(f"/cases/{case.id}/evidence/search?q=笔记").get_data(as_text=True)
    assert "私人笔记" not in hits
    looked = [e for e in custody.entries(db.session, case.id) if e.action == "evidence.viewed"]
    assert [e.actor for e in looked] == [f"link:{created.share.id}"]


def test_a_link_share_is_404_once_revoked_or_expired_and_says_so(
    app, dossier_case, share_with, auth
):
    case = dossier_case["case"]
    created = share_with(case, link=True)
    browser = app.test_client()
    browser.get(f"/s/{created.link_token}")
    assert browser.get(f"/cases/{case.id}").status_code == 200
    auth.login()
    token = csrf_token(auth.client, f"/cases/{case.id}")
    revoked = auth.client.post(
        f"/cases/{case.id}/shares/{created.share.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 302
    screenshot = dossier_case["screenshot"]["id"]
    for path in (f"/cases/{case.id}", f"/cases/{case.id}/evidence/{screenshot}"):
        page = browser.get(path)
        assert page.status_code == 404
        _says_it_ended(page, "This share link has been revoked", case)
    first_visit = app.test_client().get(f"/s/{created.link_token}")
    assert first_visit.status_code == 404
    _says_it_ended(first_visit, "This share link has been revoked", case)

    later = share_with(case, link=True)
    other = app.test_client()
    other.get(f"/s/{later.link_token}")
    expire(later.share)
    _says_it_ended(other.get(f"/cases/{case.id}"), "This share link has expired", case)
    _says_it_ended(other.get(f"/s/{later.link_token}"), "This share link has expired", case)

    never_issued = app.test_client().get("/s/" + "A" * 43)
    assert never_issued.status_code == 404
    assert "share link" not in never_issued.get_data(as_text=True)


def _says_it_ended(page, heading, case):
    """A 404 that says what happened to the share, and nothing of the case."""
    body = page.get_data(as_text=True)
    assert page.status_code == 404
    assert f"<h1>{heading}</h1>" in body
    assert case.title not in body
    assert case.id not in body.replace(f"/cases/{case.id}", "")  # only the address it answers
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_an_advocate_whose_share_ended_is_told_so_in_their_language(
    app, dossier_case, share_with, advocate, make_user
):
    case = dossier_case["case"]
    created = share_with(case, advocate_email=advocate.email)
    browser = login_client(app, advocate.email)
    assert browser.get(f"/cases/{case.id}").status_code == 200
    head_key = app.extensions["caseapp"].head_key
    service.revoke_share(db.session, head_key, case.owner, created.share)
    db.session.commit()
    page = browser.get(f"/cases/{case.id}")
    _says_it_ended(page, "This share has been revoked", case)
    assert "contact the person who shared it with you" in page.get_data(as_text=True)

    advocate.locale = "zh_CN"
    db.session.commit()
    zh = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "此共享已被撤销" in zh
    assert "请联系与您共享此案件的人" in zh

    # An offer that was never accepted opened nothing: a plain 404, as for a stranger.
    offered = make_user("offered@law.example.org", role="advocate")
    offer = share_with(case, accept=False, advocate_email=offered.email)
    service.revoke_share(db.session, head_key, case.owner, offer.share)
    db.session.commit()
    plain = login_client(app, offered.email).get(f"/cases/{case.id}")
    assert plain.status_code == 404
    assert "revoked" not in plain.get_data(as_text=True)


def test_a_forged_or_borrowed_link_cookie_opens_nothing(app, dossier_case, share_with):
    case = dossier_case["case"]
    share_id = share_with(case, link=True).share.id
    forged = app.test_client()
    wrong_key = URLSafeSerializer("not the secret key", salt="caseapp.share-link").dumps(share_id)
    forged.set_cookie(LINK_COOKIE_PREFIX + share_id, wrong_key, path=f"/cases/{case.id}")
    assert forged.get(f"/cases/{case.id}").status_code == 302  # as if no cookie: log in

    advocate_share = share_with(case, advocate_email="x@example.org").share.id
    right_key = URLSafeSerializer(app.config["SECRET_KEY"], salt="caseapp.share-link")
    borrowed = app.test_client()
    borrowed.set_cookie(
        LINK_COOKIE_PREFIX + advocate_share,
        right_key.dumps(advocate_share),
        path=f"/cases/{case.id}",
    )
    assert borrowed.get(f"/cases/{case.id}").status_code == 404  # only link shares open by cookie
    assert app.test_client().get("/s/" + "A" * 43).status_code == 404


def test_the_owner_shares_a_link_and_sees_it_only_once(app, dossier_case, auth):
    case = dossier_case["case"]
    auth.login()
    form = auth.client.get(f"/cases/{case.id}/shares/new").get_data(as_text=True)
    assert "冻结截图.png" in form
    assert "私人笔记.txt" in form
    soon = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = auth.post(
        f"/cases/{case.id}/shares",
        {
            "recipient": "link",
            "expires_at": soon,
            "evidence_ids": [dossier_case["screenshot"]["id"]],
            "label": "消费者协会",
        },
        form_page=f"/cases/{case.id}/shares/new",
    )
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    created = response.get_data(as_text=True)
    url = re.search(r"data-share-link>(http://localhost/s/[^<]+)<", created).group(1)
    assert 'data-copy="share-link"' in created
    assert '<img class="qr-code" src="data:image/svg+xml' in created
    stored = db.session.scalars(select(Share)).one()
    assert stored.kind == "link"
    assert not stored.all_evidence
    assert not stored.include_later
    assert stored.label == "消费者协会"
    assert [item.evidence_id for item in stored.items] == [dossier_case["screenshot"]["id"]]
    page = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "消费者协会" in page
    assert url.rsplit("/", 1)[1] not in page
    assert app.test_client().get(url).status_code == 302


def test_a_share_form_with_everything_ticked_shares_what_there_is_and_nothing_later(
    app, dossier_case, auth, advocate
):
    case = dossier_case["case"]
    auth.login()
    everything = [dossier_case["screenshot"]["id"], dossier_case["private"]["id"]]
    response = auth.post(
        f"/cases/{case.id}/shares",
        {"recipient": "advocate", "advocate_email": advocate.email, "evidence_ids": everything},
        form_page=f"/cases/{case.id}/shares/new",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"The case is offered to {advocate.email}" in page
    assert "data-share-link>http://localhost/invite/" in page
    assert "It shows 2 item(s) of evidence; what you add later stays private." in page
    stored = db.session.scalars(select(Share)).one()
    assert not stored.all_evidence
    assert not stored.include_later
    assert sorted(item.evidence_id for item in stored.items) == sorted(everything)
    assert stored.advocate_id == advocate.id
    assert stored.offer_state == "offered"
    assert not stored.allow_originals


def test_a_share_form_with_everything_ticked_and_later_too_shares_the_whole_case(
    app, dossier_case, auth, advocate
):
    case = dossier_case["case"]
    auth.login()
    everything = [dossier_case["screenshot"]["id"], dossier_case["private"]["id"]]
    response = auth.post(
        f"/cases/{case.id}/shares",
        {"recipient": "link", "evidence_ids": everything, "include_later": "y"},
        form_page=f"/cases/{case.id}/shares/new",
    )
    assert response.status_code == 200
    stored = db.session.scalars(select(Share)).one()
    assert stored.all_evidence
    assert stored.include_later
    assert stored.items == []


def test_the_evidence_picker_shows_a_thumbnail_or_an_icon_and_later_is_off(
    app, dossier_case, auth
):
    case = dossier_case["case"]
    auth.login()
    form = auth.client.get(f"/cases/{case.id}/shares/new").get_data(as_text=True)
    screenshot, private = dossier_case["screenshot"]["id"], dossier_case["private"]["id"]
    assert f'src="/cases/{case.id}/evidence/{screenshot}/renditions/thumbnail"' in form
    assert f"/evidence/{private}/renditions/thumbnail" not in form
    assert '<svg class="pick-icon kind-text"' in form
    assert form.count('class="pick-box" id="evidence_ids-') == 2
    assert form.count("checked") == 3  # both items and the first recipient; not "later"
    assert 'name="include_later" type="checkbox" value="y">' in form
    assert "data-picker-tools hidden" in form  # app.js shows "select all / none"


def test_a_bad_share_form_is_shown_again_with_the_problem(app, case, auth):
    auth.login()
    response = auth.post(
        f"/cases/{case.id}/shares",
        {"recipient": "advocate", "advocate_email": "nobody"},
        form_page=f"/cases/{case.id}/shares/new",
    )
    assert response.status_code == 422
    assert "is not a valid email address" in response.get_data(as_text=True)
    assert db.session.scalars(select(Share)).all() == []


def test_the_advocate_dashboard_lists_shares_with_unread_comments(
    app, dossier_case, share_with, advocate, owner_api
):
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email)
    owner_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": "请看新上传的截图"})
    browser = login_client(app, advocate.email)
    assert browser.get("/").headers["Location"] == "/shared"
    dashboard = browser.get("/shared").get_data(as_text=True)
    assert case.title in dashboard
    assert "张伟" in dashboard
    assert "New" in dashboard
    assert "New comments: 1" in dashboard
    assert "Shared with me" in dashboard
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "请看新上传的截图" in page
    assert "unread" in page
    assert "New comments: 1" not in browser.get("/shared").get_data(as_text=True)


def test_advocate_comments_and_sets_the_review_state_and_the_owner_sees_both(
    app, dossier_case, share_with, advocate, auth
):
    case = dossier_case["case"]
    created = share_with(case, advocate_email=advocate.email)
    browser = login_client(app, advocate.email)
    token = csrf_token(browser, f"/cases/{case.id}")
    sent = browser.post(
        f"/cases/{case.id}/comments", data={"csrf_token": token, "body": "请补充银行流水"}
    )
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith("#comments")
    on_item = browser.post(
        f"/cases/{case.id}/comments",
        data={
            "csrf_token": token,
            "body": "截图不清楚",
            "evidence_id": dossier_case["screenshot"]["id"],
        },
    )
    assert on_item.headers["Location"].endswith(
        f"/evidence/{dossier_case['screenshot']['id']}#comments"
    )
    reviewed = browser.post(
        f"/shares/{created.share.id}/review",
        data={"csrf_token": token, "review_state": "needs_more_evidence"},
    )
    assert reviewed.status_code == 302

    auth.login()
    page = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "请补充银行流水" in page
    assert "截图不清楚" in page
    assert "Needs more evidence" in page
    assert page.count("badge warn unread") == 2
    assert (
        auth.client.get(f"/cases/{case.id}").get_data(as_text=True).count("badge warn unread") == 0
    )


def test_the_owner_sees_who_looked_at_what_and_when(app, dossier_case, share_with, advocate, auth):
    case = dossier_case["case"]
    created = share_with(case, advocate_email=advocate.email, allow_originals=True)
    browser = login_client(app, advocate.email)
    browser.get(f"/cases/{case.id}")
    browser.get(f"/cases/{case.id}/evidence/{dossier_case['screenshot']['id']}")
    assert (
        browser.get(
            f"/cases/{case.id}/evidence/{dossier_case['screenshot']['id']}/original"
        ).status_code
        == 200
    )
    link = share_with(case, link=True, label="律师事务所")
    app.test_client().get(f"/s/{link.link_token}")

    auth.login()
    page = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    looks = page.split("Who looked at what, when", 1)[1].split("Chain-of-custody log", 1)[0]
    assert looks.count(advocate.email) == 4
    assert "accepted the offer" in looks
    assert "opened the case" in looks
    assert "downloaded the original of" in looks
    assert "冻结截图.png" in looks
    assert "Link: 律师事务所" in looks
    shares_panel = page.split('id="shares"', 1)[1].split('id="comments"', 1)[0]
    assert "李娜" in shares_panel
    assert created.share.review_state == "new"


def test_the_owner_sees_when_an_advocate_found_an_original_altered(
    app, dossier_case, share_with, advocate, auth
):
    from caseapp.evidence.models import Evidence
    from caseapp.extensions import db

    case = dossier_case["case"]
    item_id = dossier_case["screenshot"]["id"]
    share_with(case, advocate_email=advocate.email, allow_originals=True)
    with app.app_context():
        blob_id = db.session.get(Evidence, item_id).blob_id
        blob = app.extensions["caseapp"].vault.store._path(blob_id)
    data = bytearray(blob.read_bytes())
    data[120] ^= 1  # inside the first segment: refused before any byte is sent
    blob.write_bytes(bytes(data))

    browser = login_client(app, advocate.email)
    assert browser.get(f"/cases/{case.id}/evidence/{item_id}/original").status_code == 409

    auth.login()
    page = auth.client.get(f"/cases/{case.id}").get_data(as_text=True)
    looks = page.split("Who looked at what, when", 1)[1].split("Chain-of-custody log", 1)[0]
    assert "the stored original failed its integrity check" in looks
    assert "E-001 failed its integrity check" in page.split("Chain-of-custody log", 1)[1]


def test_an_advocate_trying_to_change_the_case_gets_a_403_page(
    app, dossier_case, share_with, advocate
):
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email)
    browser = login_client(app, advocate.email)
    token = csrf_token(browser, f"/cases/{case.id}")
    response = browser.post(f"/cases/{case.id}/edit", data={"csrf_token": token, "title": "篡改"})
    assert response.status_code == 403
    assert "You can look at this but not change it." in response.get_data(as_text=True)
    assert db.session.get(type(case), case.id).title == "钱包资产被冻结"


def test_an_invitation_registers_the_advocate_and_opens_the_case(app, dossier_case, share_with):
    case = dossier_case["case"]
    created = share_with(case, advocate_email="chen@association.example.org")
    browser = app.test_client()
    form = browser.get(f"/invite/{created.invite_token}")
    assert form.status_code == 200
    assert "chen@association.example.org" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    response = browser.post(
        f"/invite/{created.invite_token}",
        data={
            "csrf_token": csrf_token(browser, f"/invite/{created.invite_token}"),
            "display_name": "陈律师",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "zh_CN",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert browser.get(f"/cases/{case.id}").status_code == 200
    newcomer = accounts.find_user(db.session, "chen@association.example.org")
    assert newcomer.role == "advocate"
    assert db.session.get(Share, created.share.id).advocate_id == newcomer.id
    assert browser.get(f"/invite/{created.invite_token}").status_code == 404  # used up
    assert "share.accepted" in [e.action for e in custody.entries(db.session, case.id)]


def test_registering_with_the_invited_email_but_without_the_invitation_opens_nothing(
    app, dossier_case, share_with, make_user, api_for
):
    case = dossier_case["case"]
    share_with(case, advocate_email="chen@association.example.org")
    impostor = make_user("chen@association.example.org")
    assert api_for(impostor).get(f"/api/v1/cases/{case.id}").status_code == 404


def test_an_existing_account_accepts_an_invitation_sent_before_it_existed(
    app, dossier_case, share_with, make_user
):
    case = dossier_case["case"]
    created = share_with(case, advocate_email="chen@association.example.org")
    make_user("chen@association.example.org", role="advocate")
    anonymous = app.test_client().get(f"/invite/{created.invite_token}").get_data(as_text=True)
    assert "Already have an account with this email? Log in" in anonymous
    browser = login_client(app, "chen@association.example.org")
    accepted = browser.post(
        f"/invite/{created.invite_token}",
        data={
            "csrf_token": csrf_token(browser, f"/invite/{created.invite_token}"),
            "answer": "accept",
        },
    )
    assert accepted.status_code == 302
    assert browser.get(f"/cases/{case.id}").status_code == 200
    someone_else = login_client(app, make_user("other@example.org").email)
    later = share_with(case, advocate_email="third@example.org")
    refused = someone_else.post(
        f"/invite/{later.invite_token}",
        data={"csrf_token": csrf_token(someone_else, f"/invite/{later.invite_token}")},
    )
    assert refused.status_code == 200
    assert "This invitation is for third@example.org" in refused.get_data(as_text=True)
    assert someone_else.get(f"/cases/{case.id}").status_code == 404
