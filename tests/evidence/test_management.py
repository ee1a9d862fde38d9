"""Managing evidence once stored: details changed afterwards, items linked to the
contacts they belong to, withdrawn (and restored) with a reason. Every change is a
custody entry; the original file never changes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from caseapp.custody.models import CustodyEntry
from caseapp.extensions import db
from caseapp.shares import offers
from caseapp.shares import service as shares
from tests.conftest import PASSWORD
from tests.shares.conftest import png_bytes, upload


def _entries(case_id: str, action: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(CustodyEntry)
        .where(CustodyEntry.case_id == case_id, CustodyEntry.action == action)
        .order_by(CustodyEntry.seq)
    )
    return [{"subject": row.subject, **json.loads(row.details)} for row in rows]


def _contact(api: Any, case_id: str, summary: str = "客服承诺三个工作日内解冻") -> dict[str, Any]:
    response = api.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2026-03-05T14:20:00+08:00", "channel": "online_chat", "summary": summary,
    })
    assert response.status_code == 201
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def advocate(make_user):
    return make_user("li.na@consumer.example.org", role="advocate")


@pytest.fixture
def shared_with_advocate(app, case, user, advocate):
    """The case shared with the advocate (whole case, later items too, originals allowed),
    accepted."""
    head_key = app.extensions["caseapp"].head_key
    created = shares.create_share(
        db.session, head_key, user, case,
        {"advocate_email": advocate.email, "allow_originals": True, "include_later": True},
        "Asia/Shanghai",
    )
    offers.accept_offer(db.session, head_key, advocate, created.share)
    db.session.commit()
    return created.share


# -- details -----------------------------------------------------------------


def test_owner_changes_the_details_and_the_log_names_the_fields(api, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    response = api.patch(f"/api/v1/evidence/{item['id']}", json={
        "description": "客服拒绝解冻的截图", "captured_at": "2026-03-05T14:25:00+08:00",
    })
    assert response.status_code == 200
    body = response.get_json()
    assert body["description"] == "客服拒绝解冻的截图"
    assert body["captured_at"] == "2026-03-05T06:25:00+00:00"
    assert body["sha256"] == item["sha256"]
    assert _entries(case.id, "evidence.changed") == [
        {"subject": f"evidence:{item['id']}", "number": item["number"],
         "fields": ["captured_at", "description"]},
    ]


def test_saving_the_same_details_again_logs_nothing(api, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    api.patch(f"/api/v1/evidence/{item['id']}", json={"source": "手机截屏"})
    api.patch(f"/api/v1/evidence/{item['id']}", json={"source": "手机截屏"})
    assert len(_entries(case.id, "evidence.changed")) == 1


def test_bad_details_are_refused_with_every_field_named(api, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    response = api.patch(f"/api/v1/evidence/{item['id']}", json={
        "captured_at": "yesterday-ish", "colour": "red",
    })
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"captured_at", "colour"}


def test_advocate_may_read_but_not_change_an_item(
    api, api_for, case, advocate, shared_with_advocate
):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    advocate_api = api_for(advocate)
    assert advocate_api.get(f"/api/v1/evidence/{item['id']}").status_code == 200
    assert advocate_api.patch(
        f"/api/v1/evidence/{item['id']}", json={"description": "x"}
    ).status_code == 403
    assert advocate_api.post(
        f"/api/v1/evidence/{item['id']}/withdraw", json={"reason": "x"}
    ).status_code == 403


def test_someone_else_learns_nothing_of_the_item(api, api_for, case, make_user):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    stranger = api_for(make_user("stranger@example.org"))
    assert stranger.patch(f"/api/v1/evidence/{item['id']}", json={}).status_code == 404
    assert stranger.post(f"/api/v1/evidence/{item['id']}/restore").status_code == 404


# -- contacts ----------------------------------------------------------------


def test_item_linked_to_a_contact_shows_on_both_sides(api, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    contact = _contact(api, case.id)
    body = api.patch(
        f"/api/v1/evidence/{item['id']}", json={"contact_ids": [contact["id"]]}
    ).get_json()
    assert body["contact_ids"] == [contact["id"]]
    event = api.get(f"/api/v1/cases/{case.id}/events/{contact['id']}").get_json()
    assert event["evidence_ids"] == [item["id"]]
    assert _entries(case.id, "evidence.linked") == [
        {"subject": f"evidence:{item['id']}", "number": item["number"], "contact": contact["id"]},
    ]

    api.patch(f"/api/v1/evidence/{item['id']}", json={"contact_ids": []})
    assert api.get(f"/api/v1/cases/{case.id}/events").get_json()["items"][0]["evidence_ids"] == []
    assert len(_entries(case.id, "evidence.unlinked")) == 1


def test_a_contact_says_which_evidence_it_links(api, case):
    first = upload(api, case.id, png_bytes(), "截图一.png")
    second = upload(api, case.id, png_bytes("blue"), "截图二.png")
    contact = _contact(api, case.id)
    response = api.patch(f"/api/v1/cases/{case.id}/events/{contact['id']}", json={
        "evidence_ids": [second["id"], first["id"]],
    })
    assert response.status_code == 200
    assert response.get_json()["evidence_ids"] == [first["id"], second["id"]]
    assert api.get(f"/api/v1/evidence/{first['id']}").get_json()["contact_ids"] == [contact["id"]]

    logged = api.post(f"/api/v1/cases/{case.id}/events", json={
        "occurred_at": "2026-03-06T09:00:00+08:00", "channel": "hotline", "summary": "再次致电",
        "evidence_ids": [second["id"]],
    }).get_json()
    assert logged["evidence_ids"] == [second["id"]]


def test_links_to_another_case_are_refused(api, case, make_case, user):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    other = make_case(user, title="另一个案件")
    foreign_contact = _contact(api, other.id)
    foreign_item = upload(api, other.id, png_bytes("green"), "别的.png")
    own_contact = _contact(api, case.id)

    response = api.patch(
        f"/api/v1/evidence/{item['id']}", json={"contact_ids": [foreign_contact["id"]]}
    )
    assert response.status_code == 422
    assert "contact_ids" in response.get_json()["error"]["fields"]
    response = api.patch(
        f"/api/v1/cases/{case.id}/events/{own_contact['id']}",
        json={"evidence_ids": [foreign_item["id"]]},
    )
    assert response.status_code == 422
    assert api.get(f"/api/v1/evidence/{item['id']}").get_json()["contact_ids"] == []


# -- withdrawal --------------------------------------------------------------


def test_withdrawn_item_leaves_the_share_and_comes_back_when_restored(
    api, api_for, case, advocate, shared_with_advocate
):
    kept = upload(api, case.id, png_bytes(), "冻结截图.png")
    private = upload(api, case.id, "家庭住址：……".encode(), "私人笔记.txt")
    advocate_api = api_for(advocate)

    response = api.post(
        f"/api/v1/evidence/{private['id']}/withdraw", json={"reason": "误传的私人文件"}
    )
    assert response.status_code == 200
    assert response.get_json()["withdrawn_reason"] == "误传的私人文件"

    listed = advocate_api.get(f"/api/v1/cases/{case.id}/evidence").get_json()["items"]
    assert [item["id"] for item in listed] == [kept["id"]]
    assert advocate_api.get(f"/api/v1/evidence/{private['id']}").status_code == 404
    assert advocate_api.get(f"/api/v1/evidence/{private['id']}/content").status_code == 404
    # The owner keeps it, marked, with the original unchanged.
    owner_view = api.get(f"/api/v1/evidence/{private['id']}").get_json()
    assert owner_view["withdrawn_at"] is not None
    assert api.get(f"/api/v1/evidence/{private['id']}/content").data == "家庭住址：……".encode()

    assert api.post(f"/api/v1/evidence/{private['id']}/restore").status_code == 200
    assert advocate_api.get(f"/api/v1/evidence/{private['id']}").status_code == 200
    assert [e["reason"] for e in _entries(case.id, "evidence.withdrawn")] == ["误传的私人文件"]
    assert len(_entries(case.id, "evidence.restored")) == 1


def test_withdrawing_needs_a_reason_and_happens_once(api, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    path = f"/api/v1/evidence/{item['id']}"
    response = api.post(f"{path}/withdraw", json={"reason": "  "})
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]
    assert api.post(f"{path}/restore").status_code == 409
    assert api.post(f"{path}/withdraw", json={"reason": "重复上传"}).status_code == 200
    assert api.post(f"{path}/withdraw", json={"reason": "again"}).get_json()["error"]["code"] == (
        "already_withdrawn"
    )


def test_files_inside_a_withdrawn_email_leave_the_share_with_it(
    api, api_for, case, advocate, shared_with_advocate, samples
):
    message = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    email = upload(api, case.id, message, "m.msg")
    assert email["children"], "the sample carries attachments"
    api.post(f"/api/v1/evidence/{email['id']}/withdraw", json={"reason": "私人邮件"})
    listed = api_for(advocate).get(f"/api/v1/cases/{case.id}/evidence").get_json()["items"]
    assert listed == []


def test_advocate_reads_no_custody_detail_of_a_withdrawn_item(
    api, api_for, case, advocate, shared_with_advocate
):
    private = upload(api, case.id, "家庭住址".encode(), "私人笔记.txt")
    api.post(f"/api/v1/evidence/{private['id']}/withdraw", json={"reason": "私人文件"})
    log = api_for(advocate).get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    assert not [e for e in log if e.get("subject") == f"evidence:{private['id']}"]
    assert "私人文件" not in json.dumps(log, ensure_ascii=False)


# -- on the web ---------------------------------------------------------------


def test_owner_edits_details_and_contacts_from_the_evidence_page(api, auth, client, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    contact = _contact(api, case.id)
    auth.login()
    page = f"/cases/{case.id}/evidence/{item['id']}"
    response = auth.post(f"{page}/details", {
        "description": "客服拒绝解冻", "source": "手机截屏", "captured_at": "2026-03-05T14:25",
        "contact_ids": [contact["id"]],
    }, form_page=page)
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "客服拒绝解冻" in html
    assert f'href="/cases/{case.id}#contact-{contact["id"]}"' in html
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    link = f'href="/cases/{case.id}/evidence/{item["id"]}">#{item["number"]} 冻结截图.png'
    assert link in timeline


def test_bad_capture_time_is_shown_next_to_its_field(api, auth, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    auth.login()
    page = f"/cases/{case.id}/evidence/{item['id']}"
    response = auth.post(f"{page}/details", {"captured_at": "not a time"}, form_page=page)
    assert response.status_code == 422
    assert 'class="field has-error"' in response.get_data(as_text=True)


def test_owner_withdraws_from_the_page_and_the_case_list_greys_it(api, auth, client, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    auth.login()
    page = f"/cases/{case.id}/evidence/{item['id']}"
    assert auth.post(f"{page}/withdraw", {"reason": ""}, form_page=page).status_code == 422
    assert auth.post(f"{page}/withdraw", {"reason": "拍错了"}, form_page=page).status_code == 302
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'class=" withdrawn"' in case_page
    assert "拍错了" in case_page
    assert auth.post(f"{page}/restore", {}, form_page=page).status_code == 302
    assert "拍错了" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_contact_form_links_the_chosen_evidence(api, auth, client, case):
    item = upload(api, case.id, png_bytes(), "冻结截图.png")
    auth.login(password=PASSWORD)
    response = auth.post(f"/cases/{case.id}/contacts/new", {
        "occurred_at": "2026-03-05T14:20", "channel": "online_chat", "direction": "outbound",
        "summary": "客服说会解冻", "evidence_ids": [item["id"]],
    })
    assert response.status_code == 302
    contact = api.get(f"/api/v1/cases/{case.id}/events").get_json()["items"][0]
    assert contact["evidence_ids"] == [item["id"]]
    edit = client.get(f"/cases/{case.id}/contacts/{contact['id']}/edit").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*name="evidence_ids"[^>]*value="{item["id"]}"', edit)
