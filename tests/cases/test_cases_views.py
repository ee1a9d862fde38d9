"""A complainant keeps the record of a case through the pages."""

from __future__ import annotations

import re

from caseapp.cases.models import Case, Event
from caseapp.extensions import db


def _open_case(auth, **overrides):
    data = {
        "title": "钱包冻结 5000 USDT", "counterparty": "星链钱包", "category": "assets_frozen",
        "amount": "5,000.50", "currency": "usdt", "incident_at": "2024-03-04T21:15",
        "desired_outcome": "解冻资产", "description": "转入后被风控冻结。", **overrides,
    }
    return auth.post("/cases/new", data)


def test_complainant_opens_a_case_and_finds_it_again(client, auth, user):
    auth.login()
    response = _open_case(auth)
    assert response.status_code == 302
    case = db.session.query(Case).one()
    assert case.amount == "5000.5"
    assert case.currency == "USDT"
    # Entered in the user's zone (Asia/Shanghai): stored in UTC.
    assert case.incident_at.isoformat() == "2024-03-04T13:15:00+00:00"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "钱包冻结 5000 USDT" in page
    assert "2024-03-04 21:15 +08:00" in page
    assert "The freeze notice" in page  # the category's checklist
    listing = client.get("/cases?q=星链").get_data(as_text=True)
    assert "钱包冻结 5000 USDT" in listing
    assert "钱包冻结" not in client.get("/cases?q=nothing-like-it").get_data(as_text=True)


def test_invalid_case_form_keeps_what_was_typed_and_says_why(client, auth, user):
    auth.login()
    response = _open_case(auth, title="", amount="lots")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is required" in html
    assert "must be a number" in html
    assert "星链钱包" in html
    assert db.session.query(Case).count() == 0


def test_complainant_logs_a_chinese_contact_and_sees_it_on_the_timeline(client, auth, case):
    auth.login()
    response = auth.post(f"/cases/{case.id}/contacts/new", {
        "occurred_at": "2024-03-05T09:12", "channel": "hotline", "direction": "outbound",
        "reference": "SLW-0042", "representative": "工号 1037",
        "summary": "客服承诺三个工作日内解冻资产", "outcome": "等待回电",
        "follow_up_at": "2024-03-08T10:00",
    })
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "客服承诺三个工作日内解冻资产" in page
    assert "SLW-0042" in page
    assert "2024-03-05 09:12 +08:00" in page
    event = db.session.query(Event).one()
    assert event.follow_up_at.isoformat() == "2024-03-08T02:00:00+00:00"


def test_edit_and_delete_a_contact(client, auth, case):
    auth.login()
    auth.post(f"/cases/{case.id}/contacts/new", {
        "occurred_at": "2024-03-05T09:12", "channel": "email", "direction": "inbound",
        "summary": "first",
    })
    event = db.session.query(Event).one()
    auth.post(f"/cases/{case.id}/contacts/{event.id}/edit", {
        "occurred_at": "2024-03-05T09:12", "channel": "email", "direction": "inbound",
        "summary": "changed",
    })
    assert db.session.get(Event, event.id).summary == "changed"
    auth.post(f"/cases/{case.id}/contacts/{event.id}/delete", {}, form_page=f"/cases/{case.id}")
    assert db.session.query(Event).count() == 0
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "You deleted the contact Email 2024-03-05" in page  # the custody panel says so


def test_status_change_shows_on_the_case_and_filters_the_list(client, auth, case):
    auth.login()
    response = auth.post(f"/cases/{case.id}/status", {"status": "escalated"},
                         form_page=f"/cases/{case.id}")
    assert response.status_code == 302
    assert db.session.get(Case, case.id).status == "escalated"
    assert case.title in client.get("/cases?status=escalated").get_data(as_text=True)
    assert case.title not in client.get("/cases?status=open").get_data(as_text=True)


def test_dashboard_lists_overdue_follow_ups_and_marks_them_done(client, auth, case):
    auth.login()
    auth.post(f"/cases/{case.id}/contacts/new", {
        "occurred_at": "2024-03-05T09:12", "channel": "hotline", "direction": "outbound",
        "summary": "说好回电", "follow_up_at": "2024-03-08T10:00",
    })
    page = client.get("/").get_data(as_text=True)
    assert "Overdue" in page
    assert "说好回电" in page
    event = db.session.query(Event).one()
    auth.post(f"/cases/{case.id}/contacts/{event.id}/follow-up-done", {}, form_page="/")
    assert "说好回电" not in client.get("/").get_data(as_text=True)


def test_someone_elses_case_is_a_404_page(client, auth, make_user, make_case):
    stranger_case = make_case(make_user("stranger@example.org"), title="别人的案件")
    make_user("complainant@example.org")
    auth.login()
    for path in (f"/cases/{stranger_case.id}", f"/cases/{stranger_case.id}/edit",
                 f"/cases/{stranger_case.id}/contacts/new"):
        response = client.get(path)
        assert response.status_code == 404
        assert "别人的案件" not in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_pages_need_login(client):
    for path in ("/", "/cases", "/cases/new", "/account"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_case_list_pages_through_many_cases(client, auth, user, make_case):
    for n in range(25):
        make_case(user, title=f"case {n:02d}")
    auth.login()
    first = client.get("/cases").get_data(as_text=True)
    assert first.count("case ") >= 20
    cursor = re.search(r'cursor=([^"&]+)', first).group(1)
    second = client.get(f"/cases?cursor={cursor}").get_data(as_text=True)
    assert "case 00" in second
    assert "case 24" not in second


def test_required_fields_are_marked_before_anything_is_sent(client, auth, case):
    auth.login()
    form = client.get("/cases/new").get_data(as_text=True)
    for name in ("title", "counterparty", "category"):
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', form).group(0)
        assert " required" in tag, tag
        assert 'aria-required="true"' in tag, tag
    assert re.search(r'<label class="required" for="title">', form)
    assert "Fields marked * are required." in form
    amount = re.search(r'<input[^>]*name="amount"[^>]*>', form).group(0)
    assert "required" not in amount
    # The problem type is chosen on purpose: the list starts empty.
    category = re.search(r'<select[^>]*name="category".*?</select>', form, re.S).group(0)
    assert '><option value="">Please choose</option>' in category
    assert "selected" not in category
    # The date picker offers nothing past tomorrow.
    incident = re.search(r'<input[^>]*name="incident_at"[^>]*>', form).group(0)
    assert re.search(r'max="\d{4}-\d\d-\d\dT\d\d:\d\d"', incident)
    contact = client.get(f"/cases/{case.id}/contacts/new").get_data(as_text=True)
    channel = re.search(r'<select[^>]*name="channel"[^>]*>', contact).group(0)
    assert "required" in channel


def test_a_future_incident_is_refused_on_the_page(client, auth, user):
    auth.login()
    response = _open_case(auth, incident_at="2099-01-01T10:00")
    assert response.status_code == 200
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert db.session.query(Case).count() == 0


def test_the_status_changes_in_one_step_and_its_history_shows_on_the_timeline(
    client, auth, case
):
    auth.login()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/status"' in page
    auth.post(f"/cases/{case.id}/status", {"status": "waiting_on_company"},
              form_page=f"/cases/{case.id}")
    response = auth.post(f"/cases/{case.id}/status", {"status": "resolved"},
                         form_page=f"/cases/{case.id}")
    assert response.headers["Location"] == f"/cases/{case.id}"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Status changed to “Resolved”." in page
    timeline = page.split('id="chronology"', 1)[1].split("</section>", 1)[0]
    assert timeline.count('class="status-change"') == 2
    assert "status-waiting_on_company" in timeline
    assert "status-resolved" in timeline
    refused = auth.post(f"/cases/{case.id}/status", {"status": "won"},
                        form_page=f"/cases/{case.id}")
    assert db.session.get(Case, case.id).status == "resolved"
    assert "Choose one of the statuses." in client.get(refused.headers["Location"]).get_data(
        as_text=True)


def test_only_the_owner_changes_the_status(client, auth, case, make_user):
    make_user("stranger@example.org")
    auth.login("stranger@example.org")
    response = auth.post(f"/cases/{case.id}/status", {"status": "closed"}, form_page="/")
    assert response.status_code == 404
    assert db.session.get(Case, case.id).status == "open"


def test_the_api_refuses_future_times_with_422_and_its_error_code(api, case):
    response = api.post(f"/api/v1/cases/{case.id}/events", json={
        "occurred_at": "2099-03-05T09:00:00Z", "channel": "hotline", "summary": "x",
        "follow_up_at": "2024-01-01T00:00:00Z",
    })
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert error["fields"] == {"occurred_at": "cannot be in the future"}
    response = api.patch(f"/api/v1/cases/{case.id}", json={"incident_at": "2099-01-01"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"incident_at": "cannot be in the future"}
