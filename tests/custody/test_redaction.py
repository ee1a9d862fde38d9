"""The custody log on a need-to-know basis: advocates and link visitors see actors by role
and only the entries about what their share shows, the rest redacted in place."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

from caseapp.extensions import db
from caseapp.shares import offers
from caseapp.shares import service as shares
from tests.conftest import PASSWORD, csrf_token_from

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@pytest.fixture
def story(app, case, user, make_user, api_for):
    """Two advocates, one restricted to one item, each commenting; and a link share."""
    head_key = app.extensions["caseapp"].head_key
    owner = api_for(user)
    items = [
        owner.post(
            f"/api/v1/cases/{case.id}/evidence",
            data={"file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        ).get_json()
        for name, body in (("receipt.txt", b"order 1234"), ("private.txt", b"my home address"))
    ]
    people = {}
    for email, data in (
        ("restricted@law.example.org", {"evidence_ids": [items[0]["id"]]}),
        ("other@ngo.example.org", {}),
    ):
        advocate = make_user(email, role="advocate")
        offer = shares.create_share(
            db.session, head_key, user, case, {"advocate_email": email, **data}, "UTC"
        ).share
        offers.accept_offer(db.session, head_key, advocate, offer)
        db.session.commit()
        people[email] = (offer, api_for(advocate))
    secret = "我们建议直接起诉，不要告诉另一位律师"
    people["other@ngo.example.org"][1].post(
        f"/api/v1/cases/{case.id}/comments", json={"body": secret}
    )
    people["restricted@law.example.org"][1].post(
        f"/api/v1/cases/{case.id}/comments", json={"body": "收到"}
    )
    owner.post(f"/api/v1/cases/{case.id}/comments", json={"body": "谢谢两位"})
    link = shares.create_share(db.session, head_key, user, case, {"link": True}, "UTC")
    db.session.commit()
    return {
        "case": case,
        "owner": owner,
        "items": items,
        "restricted": people["restricted@law.example.org"],
        "other": people["other@ngo.example.org"],
        "secret_hash": hashlib.sha256(secret.encode()).hexdigest(),
        "link": link,
    }


def _log(api, case):
    return api.get(f"/api/v1/cases/{case.id}/custody").get_json()


def test_the_owner_sees_every_entry_as_written(story):
    log = _log(story["owner"], story["case"])["items"]
    assert not [e for e in log if e["action"] == "redacted"]
    assert any("other@ngo.example.org" in e["actor"] for e in log)
    assert story["secret_hash"] in str(log)


def test_an_advocate_does_not_see_another_advocates_share_or_comment_hashes(story):
    case = story["case"]
    mine, api = story["restricted"]
    other_share, _ = story["other"]
    body = _log(api, case)
    text = str(body)
    assert other_share.id not in text
    assert "other@ngo.example.org" not in text
    assert story["secret_hash"] not in text
    assert story["items"][1]["id"] not in text, "an item outside the share"
    seen = {e["subject"] for e in body["items"]}
    assert f"share:{mine.id}" in seen
    assert f"evidence:{story['items'][0]['id']}" in seen
    actors = {e["actor"] for e in body["items"]}
    assert actors <= {"complainant", "advocate", "you", "link", "system", ""}
    assert "you" in actors
    assert "complainant" in actors
    redacted = [e for e in body["items"] if e["action"] == "redacted"]
    assert redacted
    assert all(e["actor"] == e["subject"] == "" and e["details"] == {} for e in redacted)


def test_the_chain_still_links_up_to_the_head_for_a_viewer(story):
    _, api = story["restricted"]
    body = _log(api, story["case"])
    entries = body["items"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0]["prev_hash"] == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert body["head"]["hash"] == entries[-1]["hash"]
    assert body["head"]["seq"] == entries[-1]["seq"]


def test_a_link_visitor_sees_no_email_address_in_the_custody_log(app, story):
    case = story["case"]
    browser = app.test_client()
    browser.get(f"/s/{story['link'].link_token}")
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    panel = page.split('id="custody"', 1)[1]
    full_log = browser.get(f"/cases/{case.id}/custody").get_data(as_text=True)
    for custody_part in (panel, full_log):
        assert not EMAIL.search(custody_part)
        assert "@" not in custody_part
        assert story["secret_hash"][:16] not in custody_part
    assert "The complainant opened the case" in panel
    assert "You opened the shared case" in panel
    assert "entries about things not shared with you" in panel
    assert "the complainant" in full_log
    assert ">you<" in full_log
    assert "Withheld" in full_log


def test_an_advocate_reads_roles_in_the_web_custody_log(app, story):
    case = story["case"]
    browser = app.test_client()
    login = browser.get("/login").get_data(as_text=True)
    browser.post(
        "/login",
        data={
            "email": "restricted@law.example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login),
        },
    )
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    panel = page.split('id="custody"', 1)[1]
    full_log = browser.get(f"/cases/{case.id}/custody").get_data(as_text=True)
    for custody_part in (panel, full_log):
        assert "other@ngo.example.org" not in custody_part
        assert story["other"][0].id not in custody_part
    assert "You accepted the shared case" in panel
    assert "The complainant offered the case to restricted@law.example.org" in panel
    assert "You wrote a comment" in panel
    # The other advocate's comment and share are only counted, as withheld.
    assert "5 entries about things not shared with you" in panel
    assert ">you<" in full_log
    assert "the complainant" in full_log
