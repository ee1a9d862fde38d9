"""Someone else's case is a 404 on every route, for every method: ids cannot be probed."""

from __future__ import annotations

import pytest

ROUTES = [
    ("GET", "/api/v1/cases/{case}"),
    ("PATCH", "/api/v1/cases/{case}"),
    ("GET", "/api/v1/cases/{case}/events"),
    ("POST", "/api/v1/cases/{case}/events"),
    ("GET", "/api/v1/cases/{case}/events/{event}"),
    ("PATCH", "/api/v1/cases/{case}/events/{event}"),
    ("DELETE", "/api/v1/cases/{case}/events/{event}"),
    ("GET", "/api/v1/cases/{case}/custody"),
]


@pytest.fixture
def strangers_case(api_for, make_user):
    owner = api_for(make_user("owner@example.org"))
    case_id = owner.post("/api/v1/cases", json={
        "title": "私人案件", "counterparty": "X", "category": "other"}).get_json()["id"]
    event_id = owner.post(f"/api/v1/cases/{case_id}/events", json={
        "occurred_at": "2024-01-01T00:00:00Z", "channel": "email", "summary": "秘密",
    }).get_json()["id"]
    return case_id, event_id


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_other_users_case_is_404(api, strangers_case, method, route):
    case_id, event_id = strangers_case
    path = route.format(case=case_id, event=event_id)
    response = api.client.open(path, method=method, headers=api.headers,
                               json={"summary": "hijack", "status": "closed"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "私人案件" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_unknown_ids_are_404_too(api, method, route):
    path = route.format(case="doesnotexist000000000", event="nope")
    response = api.client.open(path, method=method, headers=api.headers, json={})
    assert response.status_code == 404


def test_event_of_another_case_is_404_through_my_case(api, strangers_case):
    my_case = api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other",
    }).get_json()["id"]
    _, event_id = strangers_case
    assert api.get(f"/api/v1/cases/{my_case}/events/{event_id}").status_code == 404
