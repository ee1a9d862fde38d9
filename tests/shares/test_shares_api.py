"""Sharing a case over the API: what an advocate sees before, during and after a share."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from caseapp.accounts import service as accounts
from caseapp.custody.verify import verify_chain
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import offers
from caseapp.shares.models import Share
from tests.shares.conftest import expire, png_bytes, upload


def share(owner_api, case_id, accept=True, **body):
    """Share through the API; an advocate with an account accepts the offer unless told not to."""
    response = owner_api.post(f"/api/v1/cases/{case_id}/shares", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    advocate = accounts.find_user(db.session, body.get("advocate_email") or "")
    if accept and advocate is not None:
        offers.accept_offer(
            db.session, runtime().head_key, advocate, db.session.get(Share, created["id"])
        )
        db.session.commit()
    return created


def case_routes(case_id, item_id):
    return [
        f"/api/v1/cases/{case_id}",
        f"/api/v1/cases/{case_id}/events",
        f"/api/v1/cases/{case_id}/evidence",
        f"/api/v1/cases/{case_id}/custody",
        f"/api/v1/cases/{case_id}/comments",
        f"/api/v1/evidence/{item_id}",
    ]


def test_advocate_sees_nothing_before_a_share(dossier_case, advocate_api):
    case = dossier_case["case"]
    for path in case_routes(case.id, dossier_case["screenshot"]["id"]):
        response = advocate_api.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert advocate_api.get("/api/v1/shared").get_json()["items"] == []


def test_advocate_reads_a_shared_case_and_can_change_nothing(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    share(owner_api, case.id, advocate_email=advocate.email)
    for path in case_routes(case.id, dossier_case["screenshot"]["id"]):
        assert advocate_api.get(path).status_code == 200, path
    assert advocate_api.get(f"/api/v1/cases/{case.id}").get_json()["title"] == case.title
    text = advocate_api.get(f"/api/v1/evidence/{dossier_case['private']['id']}/text")
    assert text.status_code == 200
    assert text.get_data(as_text=True) == "我的私人笔记：家庭住址"
    event_id = dossier_case["event"]["id"]
    attempts = [
        advocate_api.patch(f"/api/v1/cases/{case.id}", json={"status": "closed"}),
        advocate_api.post(
            f"/api/v1/cases/{case.id}/events",
            json={"occurred_at": "2026-03-06T10:00:00Z", "channel": "email", "summary": "伪造"},
        ),
        advocate_api.patch(f"/api/v1/cases/{case.id}/events/{event_id}", json={"summary": "改写"}),
        advocate_api.delete(f"/api/v1/cases/{case.id}/events/{event_id}"),
        advocate_api.post(f"/api/v1/cases/{case.id}/shares", json={"link": True}),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert owner_api.get(f"/api/v1/cases/{case.id}").get_json()["status"] == "open"
    assert len(owner_api.get(f"/api/v1/cases/{case.id}/events").get_json()["items"]) == 1


def test_originals_are_refused_unless_the_share_allows_them(
    app, dossier_case, owner_api, advocate_api, advocate, make_user, api_for
):
    case = dossier_case["case"]
    item_id = dossier_case["screenshot"]["id"]
    share(owner_api, case.id, advocate_email=advocate.email)
    refused = advocate_api.get(f"/api/v1/evidence/{item_id}/content")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"

    lawyer = make_user("wang@law.example.org", role="advocate")
    share(owner_api, case.id, advocate_email=lawyer.email, allow_originals=True)
    allowed = api_for(lawyer).get(f"/api/v1/evidence/{item_id}/content")
    assert allowed.status_code == 200
    assert allowed.data == png_bytes()
    log = owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    download = [e for e in log if e["action"] == "evidence.downloaded"]
    assert len(download) == 1
    assert download[0]["actor"].endswith(f"<{lawyer.email}>")
    assert download[0]["details"]["via"].startswith("share:")


def test_another_advocate_sees_nothing_of_a_case_shared_with_someone_else(
    dossier_case, owner_api, advocate, make_user, api_for
):
    case = dossier_case["case"]
    share(owner_api, case.id, advocate_email=advocate.email)
    other = api_for(make_user("zhao@ngo.example.org", role="advocate"))
    for path in case_routes(case.id, dossier_case["screenshot"]["id"]):
        assert other.get(path).status_code == 404, path
    assert other.patch(f"/api/v1/cases/{case.id}", json={"status": "closed"}).status_code == 404
    assert other.get("/api/v1/shared").get_json()["items"] == []


def test_the_complainant_can_leave_private_evidence_out(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    screenshot, private = dossier_case["screenshot"], dossier_case["private"]
    share(owner_api, case.id, advocate_email=advocate.email, evidence_ids=[screenshot["id"]])
    listed = advocate_api.get(f"/api/v1/cases/{case.id}/evidence").get_json()["items"]
    assert [item["id"] for item in listed] == [screenshot["id"]]
    assert advocate_api.get(f"/api/v1/evidence/{private['id']}").status_code == 404
    assert advocate_api.get(f"/api/v1/evidence/{private['id']}/text").status_code == 404
    log = advocate_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    assert not [e for e in log if e["subject"] == f"evidence:{private['id']}"]
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), "no entry dropped"
    assert any(e["action"] == "redacted" for e in log)
    assert private["id"] not in str(log)
    assert "私人笔记" not in str(log)


def test_evidence_uploaded_after_a_share_is_shared_only_when_asked(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    screenshot, private = dossier_case["screenshot"], dossier_case["private"]
    as_now = share(owner_api, case.id, advocate_email=advocate.email)
    assert as_now["include_later"] is False
    assert as_now["evidence_ids"] == sorted([screenshot["id"], private["id"]])
    receipt = upload(owner_api, case.id, png_bytes("blue"), "转账回执.png")
    listed = advocate_api.get(f"/api/v1/cases/{case.id}/evidence").get_json()["items"]
    assert receipt["id"] not in [item["id"] for item in listed]
    assert advocate_api.get(f"/api/v1/evidence/{receipt['id']}").status_code == 404

    with_later = share(
        owner_api,
        case.id,
        advocate_email=advocate.email,
        evidence_ids=[screenshot["id"]],
        include_later=True,
    )
    assert (with_later["include_later"], with_later["evidence_ids"]) == (True, [screenshot["id"]])
    later = upload(owner_api, case.id, png_bytes("green"), "第二张回执.png")
    assert advocate_api.get(f"/api/v1/evidence/{later['id']}").status_code == 200
    listed = owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json()["items"]
    assert [item["include_later"] for item in listed] == [True, False]
    log = owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    offered = [e["details"] for e in log if e["action"] == "share.offered"]
    assert [d["include_later"] for d in offered] == [False, True]

    whole = share(owner_api, case.id, link=True, include_later=True)
    assert (whole["evidence_ids"], whole["include_later"]) == (None, True)


def test_children_of_a_shared_item_stay_out_unless_included(
    dossier_case, owner_api, advocate_api, advocate, samples
):
    case = dossier_case["case"]
    mail = upload(
        owner_api, case.id, (samples / "msg" / "msgInMsgInMsg.msg").read_bytes(), "邮件.msg"
    )
    assert mail["children"]
    share(owner_api, case.id, advocate_email=advocate.email, evidence_ids=[mail["id"]])
    seen = advocate_api.get(f"/api/v1/evidence/{mail['id']}").get_json()
    assert seen["children"] == []
    assert advocate_api.get(f"/api/v1/evidence/{mail['children'][0]['id']}").status_code == 404


def test_comments_reach_the_complainant_with_an_unread_marker(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    share(owner_api, case.id, advocate_email=advocate.email)
    posted = advocate_api.post(
        f"/api/v1/cases/{case.id}/comments", json={"body": "请补充提现失败的截图"}
    )
    assert posted.status_code == 201
    assert posted.get_json()["author_role"] == "advocate"

    first = owner_api.get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    assert [(c["body"], c["author"], c["unread"]) for c in first] == [
        ("请补充提现失败的截图", "李娜", True)
    ]
    again = owner_api.get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    assert again[0]["unread"] is False

    reply = owner_api.post(
        f"/api/v1/cases/{case.id}/comments",
        json={"body": "已上传", "evidence_id": dossier_case["screenshot"]["id"]},
    )
    assert reply.status_code == 201
    seen = advocate_api.get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    assert [(c["body"], c["unread"]) for c in seen] == [
        ("请补充提现失败的截图", False),
        ("已上传", True),
    ]
    assert seen[1]["evidence_id"] == dossier_case["screenshot"]["id"]


def test_an_advocate_does_not_read_another_advocates_conversation(
    dossier_case, owner_api, advocate_api, advocate, make_user, api_for
):
    case = dossier_case["case"]
    mine = share(owner_api, case.id, advocate_email=advocate.email)
    lawyer = api_for(make_user("wang@law.example.org", role="advocate"))
    share(owner_api, case.id, advocate_email="wang@law.example.org")
    lawyer.post(f"/api/v1/cases/{case.id}/comments", json={"body": "律师的意见"})
    owner_api.post(
        f"/api/v1/cases/{case.id}/comments", json={"body": "只给李娜", "share_id": mine["id"]}
    )
    owner_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": "给所有人"})
    bodies = [
        c["body"] for c in advocate_api.get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    ]
    assert bodies == ["只给李娜", "给所有人"]
    everything = [
        c["body"] for c in owner_api.get(f"/api/v1/cases/{case.id}/comments").get_json()["items"]
    ]
    assert everything == ["律师的意见", "只给李娜", "给所有人"]


def test_comment_needs_a_body(dossier_case, owner_api, advocate_api, advocate):
    case = dossier_case["case"]
    share(owner_api, case.id, advocate_email=advocate.email)
    response = advocate_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": "  "})
    assert response.status_code == 422
    assert "body" in response.get_json()["error"]["fields"]


def test_review_state_is_the_advocates_and_the_complainant_sees_it(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    created = share(owner_api, case.id, advocate_email=advocate.email)
    path = f"/api/v1/shares/{created['id']}"
    assert advocate_api.patch(path, json={"review_state": "bogus"}).status_code == 422
    assert advocate_api.patch(path, json={"expires_at": "2099-01-01T00:00:00Z"}).status_code == 422
    changed = advocate_api.patch(path, json={"review_state": "needs_more_evidence"})
    assert changed.status_code == 200
    assert changed.get_json()["review_state"] == "needs_more_evidence"
    assert owner_api.patch(path, json={"review_state": "accepted"}).status_code == 403
    listed = owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json()["items"]
    assert listed[0]["review_state"] == "needs_more_evidence"
    log = owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    review = [e for e in log if e["action"] == "share.review_changed"]
    assert review[0]["details"] == {"from": "new", "to": "needs_more_evidence"}


def test_shared_list_shows_newest_activity_first(
    make_case, user, owner_api, advocate_api, advocate
):
    quiet = make_case(user, title="旧案件")
    busy = make_case(user, title="新动态")
    share(owner_api, busy.id, advocate_email=advocate.email)
    share(owner_api, quiet.id, advocate_email=advocate.email)
    owner_api.post(f"/api/v1/cases/{busy.id}/comments", json={"body": "有新证据"})
    items = advocate_api.get("/api/v1/shared").get_json()["items"]
    assert [i["case_title"] for i in items] == ["新动态", "旧案件"]
    assert items[0]["complainant"] == "张伟"
    assert items[0]["unread_comments"] == 1
    assert set(items[0]) >= {"id", "case_id", "case_title", "expires_at", "review_state"}


def test_link_share_token_is_long_random_and_stored_hashed(dossier_case, owner_api):
    case = dossier_case["case"]
    created = share(owner_api, case.id, link=True)
    token = created["url"].rsplit("/s/", 1)[1]
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    stored = db.session.get(Share, created["id"])
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json())
    assert token not in str(owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json())
    other = share(owner_api, case.id, link=True)
    assert other["url"] != created["url"]


def test_after_revocation_or_expiry_everything_is_404_again(
    dossier_case, owner_api, advocate_api, advocate, make_user, api_for
):
    case = dossier_case["case"]
    item_id = dossier_case["screenshot"]["id"]
    created = share(owner_api, case.id, advocate_email=advocate.email)
    assert advocate_api.get(f"/api/v1/cases/{case.id}").status_code == 200
    assert owner_api.delete(f"/api/v1/shares/{created['id']}").status_code == 204
    for path in case_routes(case.id, item_id):
        assert advocate_api.get(path).status_code == 404, path
    assert (
        advocate_api.patch(f"/api/v1/cases/{case.id}", json={"status": "closed"}).status_code == 404
    )
    assert (
        advocate_api.patch(
            f"/api/v1/shares/{created['id']}", json={"review_state": "closed"}
        ).status_code
        == 404
    )
    assert advocate_api.get("/api/v1/shared").get_json()["items"] == []
    assert (
        owner_api.delete(f"/api/v1/shares/{created['id']}").status_code == 204
    )  # twice: no change

    lawyer = make_user("wang@law.example.org", role="advocate")
    later = share(owner_api, case.id, advocate_email=lawyer.email)
    assert api_for(lawyer).get(f"/api/v1/cases/{case.id}").status_code == 200
    expire(db.session.get(Share, later["id"]))
    assert api_for(lawyer).get(f"/api/v1/cases/{case.id}").status_code == 404


def test_someone_elses_share_cannot_be_revoked_or_probed(
    dossier_case, owner_api, advocate, make_user, api_for
):
    created = share(owner_api, dossier_case["case"].id, advocate_email=advocate.email)
    stranger = api_for(make_user("x@example.org"))
    assert stranger.delete(f"/api/v1/shares/{created['id']}").status_code == 404
    assert stranger.delete("/api/v1/shares/doesnotexist").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/cases/{dossier_case['case'].id}/shares", json={"link": True}
        ).status_code
        == 404
    )


def test_custody_log_holds_shares_and_revocations_and_still_verifies(
    dossier_case, owner_api, advocate_api, advocate
):
    case = dossier_case["case"]
    created = share(owner_api, case.id, advocate_email=advocate.email)
    advocate_api.get(f"/api/v1/cases/{case.id}")
    advocate_api.get(f"/api/v1/evidence/{dossier_case['screenshot']['id']}")
    advocate_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": "收到"})
    owner_api.delete(f"/api/v1/shares/{created['id']}")
    actions = [
        e["action"] for e in owner_api.get(f"/api/v1/cases/{case.id}/custody").get_json()["items"]
    ]
    assert actions[-6:] == [
        "share.offered",
        "share.accepted",
        "share.opened",
        "evidence.viewed",
        "comment.added",
        "share.revoked",
    ]
    assert verify_chain(db.session, runtime().head_key, case.id).intact


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"link": True, "advocate_email": "a@example.org"}, "link"),
        ({}, "advocate_email"),
        ({"advocate_email": "not-an-email"}, "advocate_email"),
        ({"advocate_email": "complainant@example.org"}, "advocate_email"),
        ({"link": True, "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"link": True, "expires_at": (utcnow() + timedelta(days=400)).isoformat()}, "expires_at"),
        ({"link": True, "evidence_ids": "all"}, "evidence_ids"),
        ({"link": True, "evidence_ids": ["not-in-this-case"]}, "evidence_ids"),
        ({"link": True, "colour": "red"}, "colour"),
        ({"link": True, "include_later": "maybe"}, "include_later"),
    ],
)
def test_share_requests_are_checked(case, owner_api, body, field):
    response = owner_api.post(f"/api/v1/cases/{case.id}/shares", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalars(select(Share)).all() == []


def test_an_advocate_without_an_account_gets_an_invitation(case, owner_api):
    created = share(owner_api, case.id, advocate_email="New.Person@Association.example.org")
    assert created["advocate_email"] == "new.person@association.example.org"
    assert created["offer_state"] == "offered"
    assert "/invite/" in created["invite_url"]
    assert "url" not in created


def test_share_answers_match_the_openapi_schemas(
    client, dossier_case, owner_api, advocate_api, advocate
):
    document = client.get("/api/v1/openapi.json").get_json()

    def check(schema_name, instance):
        Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema_name}"}).validate(
            instance
        )

    case = dossier_case["case"]
    check("ShareCreated", share(owner_api, case.id, link=True))
    check(
        "ShareCreated",
        share(
            owner_api,
            case.id,
            advocate_email=advocate.email,
            evidence_ids=[dossier_case["screenshot"]["id"]],
        ),
    )
    check("SharePage", owner_api.get(f"/api/v1/cases/{case.id}/shares").get_json())
    check("SharedCasePage", advocate_api.get("/api/v1/shared").get_json())
    check(
        "Comment",
        advocate_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": "好"}).get_json(),
    )
    check("CommentPage", owner_api.get(f"/api/v1/cases/{case.id}/comments").get_json())
    check("Error", advocate_api.patch(f"/api/v1/cases/{case.id}", json={}).get_json())
