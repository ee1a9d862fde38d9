"""The custody panel tells a case's log in sentences, repeats grouped, by kind and by page;
the full log, every entry with its hash, stays one click away."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from caseapp.custody import log as custody
from caseapp.custody.models import CustodyEntry
from caseapp.custody.panel import PAGE_SIZE, Line, kind_of, panel_page
from caseapp.extensions import db

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def _line(seq, action, at=NOW, who="you", subject="", **details):
    return Line(seq, at, action, subject, details, who)


def test_repeated_looks_on_one_day_read_as_one_sentence_with_their_count():
    log = [_line(1, "case.created", NOW - timedelta(days=3))]
    log += [_line(n, "evidence.viewed", NOW + timedelta(minutes=n), subject="evidence:a",
                  number=3) for n in range(2, 7)]
    log += [_line(7, "evidence.viewed", NOW + timedelta(minutes=9), subject="evidence:b",
                  number=4)]
    page = panel_page(log, {}, "UTC", now=NOW + timedelta(hours=1))
    assert [(g.sentence, g.count) for g in page.groups] == [
        ("You viewed E-004", 1),
        ("You viewed E-003 5 times", 5),
        ("You opened the case", 1),
    ]
    viewed = page.groups[1]
    assert (viewed.day, viewed.times, viewed.first_seq, viewed.last_seq) == (
        "today", "12:02–12:06", 2, 6)
    assert page.groups[2].day == "2024-03-07"


def test_looks_on_different_days_or_by_different_people_stay_apart():
    log = [
        _line(1, "evidence.viewed", NOW - timedelta(days=1), subject="evidence:a", number=1),
        _line(2, "evidence.viewed", NOW, subject="evidence:a", number=1),
        _line(3, "evidence.viewed", NOW, who="li@example.org", subject="evidence:a", number=1),
    ]
    sentences = [g.sentence for g in panel_page(log, {}, "UTC", now=NOW).groups]
    assert sentences == ["li@example.org viewed E-001", "You viewed E-001", "You viewed E-001"]
    assert panel_page(log, {}, "UTC", now=NOW).groups[2].day == "yesterday"


def test_status_changes_never_merge_and_name_both_statuses():
    log = [
        _line(n, "case.changed", status={"from": a, "to": b}, fields=["status"])
        for n, (a, b) in enumerate([("open", "escalated"), ("escalated", "open"),
                                    ("open", "escalated")], start=1)
    ]
    groups = panel_page(log, {}, "UTC", now=NOW).groups
    assert [g.sentence for g in groups] == [
        "You changed the status from “Open” to “Escalated”",
        "You changed the status from “Escalated” to “Open”",
        "You changed the status from “Open” to “Escalated”",
    ]


def test_the_panel_filters_by_kind_and_pages_by_twenty_groups():
    log = [_line(n, "contact.logged", NOW + timedelta(minutes=n), subject=f"contact:{n}",
                 channel="hotline", occurred_at="2024-03-01T09:00:00+00:00")
           for n in range(1, PAGE_SIZE + 6)]
    log.append(_line(len(log) + 1, "evidence.viewed", subject="evidence:a", number=1))
    first = panel_page(log, {}, "UTC", now=NOW)
    assert (first.page, first.pages, len(first.groups)) == (1, 2, PAGE_SIZE)
    second = panel_page(log, {}, "UTC", page=2, now=NOW)
    assert len(second.groups) == 6
    assert second.groups[-1].sentence == "You logged a contact: Hotline 2024-03-01"
    views = panel_page(log, {}, "UTC", kind="views", now=NOW)
    assert [g.sentence for g in views.groups] == ["You viewed E-001"]
    assert panel_page(log, {}, "UTC", page=99, now=NOW).page == 2  # past the end: the last
    assert panel_page(log, {}, "UTC", kind="nonsense", now=NOW).kind == ""


@pytest.mark.parametrize(("action", "kind"), [
    ("evidence.viewed", "views"), ("dossier.downloaded", "views"), ("share.opened", "views"),
    ("evidence.added", "evidence"), ("comment.added", "shares"), ("contact.deleted", "contacts"),
    ("dossier.exported", "dossiers"), ("case.changed", "case"),
])
def test_each_action_belongs_to_one_kind(action, kind):
    assert kind_of(action) == kind


def test_every_action_the_log_knows_reads_as_a_sentence_not_a_code():
    for n, action in enumerate(custody.ACTIONS, start=1):
        (group,) = panel_page([_line(n, action, subject="x:1", number=1, advocate="a@b.org")],
                              {}, "UTC", now=NOW).groups
        assert action not in group.sentence
        assert not re.search(r"\b[a-z]+\.[a-z_]+\b", group.sentence.replace("b.org", ""))


def _view(client, case_id, item_id, times):
    for _ in range(times):
        assert client.get(f"/cases/{case_id}/evidence/{item_id}").status_code == 200


def test_the_case_page_groups_the_owners_looks_and_links_the_full_log(client, auth, case, api):
    item = api.post(f"/api/v1/cases/{case.id}/evidence",
                    data={"file": (io.BytesIO(b"order 1234"), "receipt.txt")},
                    content_type="multipart/form-data").get_json()
    auth.login()
    _view(client, case.id, item["id"], 5)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    panel = page.split('id="custody"', 1)[1]
    assert "You viewed E-001 5 times" in panel
    assert "evidence.viewed" not in panel
    assert f'href="/cases/{case.id}/custody"' in panel
    views = client.get(f"/cases/{case.id}?custody_kind=views").get_data(as_text=True)
    assert "You viewed E-001 5 times" in views
    assert "You opened the case" not in views

    full = client.get(f"/cases/{case.id}/custody").get_data(as_text=True)
    entries = db.session.query(CustodyEntry).filter_by(case_id=case.id).all()
    assert len(entries) == 7  # opened, added, five looks: every one listed
    for entry in entries:
        assert f'id="seq-{entry.seq}"' in full
        assert entry.hash in full


def test_the_api_still_answers_every_entry(api, case, client, auth):
    auth.login()
    client.get(f"/cases/{case.id}")
    body = api.get(f"/api/v1/cases/{case.id}/custody").get_json()
    assert [e["action"] for e in body["items"]] == ["case.created"]
    assert {"seq", "at", "actor", "subject", "details", "prev_hash", "hash"} <= set(
        body["items"][0])


def test_the_full_log_is_a_404_for_someone_elses_case(client, auth, case, make_user):
    make_user("stranger@example.org")
    auth.login("stranger@example.org")
    assert client.get(f"/cases/{case.id}/custody").status_code == 404
