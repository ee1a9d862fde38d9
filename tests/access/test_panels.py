"""The panel registry: capabilities add parts to a case's pages without being imported."""

from __future__ import annotations

import pytest

from caseapp.access.panels import Panel, PanelRegistry, UnknownPage
from caseapp.access.policy import case_access
from caseapp.extensions import db


def test_a_page_shows_its_providers_panels_in_order_and_by_place(app, case, user):
    registry = PanelRegistry()
    registry.add("case", lambda access, item: [Panel("shares/_review.html", place="side")])
    registry.add("case", lambda access, item: [] if access.is_owner else [Panel("x.html")])
    access = case_access(db.session, case.id, user=user)
    assert [p.template for p in registry.panels("case", access)] == ["shares/_review.html"]
    assert registry.panels("evidence", access) == []


def test_only_known_pages_take_panels():
    with pytest.raises(UnknownPage):
        PanelRegistry().add("dashboard", lambda access, item: [])


def test_the_owners_case_page_carries_the_sharing_panels(client, auth, case):
    auth.login()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="shares"' in page
    assert 'id="comments"' in page
    assert 'id="looks"' in page
