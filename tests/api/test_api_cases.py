"""The JSON API for cases and contacts, as an outside program uses it."""

from __future__ import annotations

import pytest

CASE = {
    "title": "钱包冻结", "counterparty": "星链钱包", "category": "assets_frozen", "amount": 5000,
    "currency": "USDT", "incident_at": "2024-03-04T21:15:00+08:00", "desired_outcome": "解冻",
    "description": "转入后被冻结",
}


def test_open_read_and_list_a_chinese_case(api):
    created = api.post("/api/v1/cases", json=CASE)
    assert created.status_code == 201
    body = created.get_json()
    assert body["title"] == "钱包冻结"
    assert body["amount"] == "5000"
    assert body["status"] == "open"
    assert body["incident_at"] == "2024-03-04T13:15:00+00:00"
    assert len(body["id"]) >= 16
    assert not body["id"].isdigit()
    assert created.headers["Location"].endswith(body["id"])
    assert api.get(f"/api/v1/cases/{body['id']}").get_json() == body
    listing = api.get("/api/v1/cases").get_json()
    assert [c["id"] for c in listing["items"]] == [body["id"]]
    assert listing["next_cursor"] is None


def test_naive_times_are_read_in_the_users_zone(api):
    body = api.post("/api/v1/cases", json={**CASE, "incident_at": "2024-03-04T21:15"}).get_json()
    assert body["incident_at"] == "2024-03-04T13:15:00+00:00"


def test_patch_changes_status_and_is_logged(api):
    case_id = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    changed = api.patch(f"/api/v1/cases/{case_id}", json={"status": "escalated"})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "escalated"
    custody = api.get(f"/api/v1/cases/{case_id}/custody").get_json()["items"]
    assert custody[-1]["action"] == "case.changed"
    assert custody[-1]["details"]["status"] == {"from": "open", "to": "escalated"}


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": ""}, "title"),
    ({"category": "weather"}, "category"),
    ({"amount": "-3"}, "amount"),
    ({"amount": "many"}, "amount"),
    ({"incident_at": "last tuesday"}, "incident_at"),
    ({"currency": "$$"}, "currency"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_fields_answer_422_with_each_field(api, payload, field):
    response = api.post("/api/v1/cases", json={**CASE, **payload})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert field in error["fields"]
    assert api.get("/api/v1/cases").get_json()["items"] == []


def test_patch_with_bad_status_is_422_and_changes_nothing(api):
    case_id = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    response = api.patch(f"/api/v1/cases/{case_id}", json={"status": "won"})
    assert response.status_code == 422
    assert api.get(f"/api/v1/cases/{case_id}").get_json()["status"] == "open"


@pytest.mark.parametrize("body", ["not json", "[1, 2]", ""])
def test_body_that_is_not_a_json_object_is_400(api, body):
    response = api.client.post("/api/v1/cases", data=body,
                               headers={**api.headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_missing_or_wrong_token_is_401(client):
    assert client.get("/api/v1/cases").status_code == 401
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_events_timeline_in_order_with_follow_up(api):
    case_id = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    later = api.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2024-03-06T10:00:00+08:00", "channel": "online_chat",
        "direction": "outbound",
        "reference": "CHAT-1", "representative": "Amy", "summary": "客服称加急处理",
        "outcome": "", "follow_up_at": "2024-03-08",
    })
    assert later.status_code == 201
    earlier = api.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2024-03-05T09:00:00+08:00", "channel": "hotline", "summary": "第一次致电",
    })
    assert earlier.get_json()["direction"] == "outbound"
    timeline = api.get(f"/api/v1/cases/{case_id}/events").get_json()["items"]
    assert [e["summary"] for e in timeline] == ["第一次致电", "客服称加急处理"]
    assert timeline[1]["follow_up_at"] == "2024-03-07T16:00:00+00:00"


def test_event_needs_channel_summary_and_time(api):
    case_id = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    response = api.post(f"/api/v1/cases/{case_id}/events", json={"channel": "pigeon"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"occurred_at", "channel", "summary"}


def test_event_can_be_changed_and_deleted(api):
    case_id = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    event = api.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2024-03-05T09:00:00Z", "channel": "hotline", "summary": "x"}).get_json()
    path = f"/api/v1/cases/{case_id}/events/{event['id']}"
    assert api.patch(path, json={"outcome": "已回电"}).get_json()["outcome"] == "已回电"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_five_cases_paged_two_at_a_time(api):
    ids = [api.post("/api/v1/cases", json={**CASE, "title": f"case {n}"}).get_json()["id"]
           for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/api/v1/cases{query}").get_json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))


@pytest.mark.parametrize("query", ["?limit=abc", "?limit=0", "?cursor=garbage!!"])
def test_bad_paging_arguments_are_400(api, query):
    assert api.get(f"/api/v1/cases{query}").status_code == 400


def test_search_and_status_filter(api):
    api.post("/api/v1/cases", json={**CASE, "title": "提现失败", "category": "transaction_failed"})
    other = api.post("/api/v1/cases", json=CASE).get_json()["id"]
    api.patch(f"/api/v1/cases/{other}", json={"status": "resolved"})
    assert [c["title"] for c in api.get("/api/v1/cases?q=提现").get_json()["items"]] == ["提现失败"]
    resolved = api.get("/api/v1/cases?status=resolved").get_json()["items"]
    assert [c["id"] for c in resolved] == [other]


def test_chinese_comes_back_as_utf8_not_escapes(api):
    response = api.post("/api/v1/cases", json=CASE)
    assert "钱包冻结".encode() in response.data
    assert response.headers["Content-Type"].startswith("application/json")
