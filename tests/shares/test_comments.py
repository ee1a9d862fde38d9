"""Reading the conversation: listing it to the end is what marks it read, and that mark
is stored by the listing itself (a GET that writes, through comments.finish_reading)."""

from __future__ import annotations

from caseapp.extensions import db
from caseapp.shares import comments


def test_only_listing_the_last_page_marks_the_conversation_read(
    dossier_case, share_with, owner_api, advocate_api, advocate, user
):
    case = dossier_case["case"]
    share_with(case, advocate_email=advocate.email)
    for body in ("请补充截图", "请补充转账记录"):
        advocate_api.post(f"/api/v1/cases/{case.id}/comments", json={"body": body})

    first = owner_api.get(f"/api/v1/cases/{case.id}/comments?limit=1").get_json()
    assert first["next_cursor"] is not None
    db.session.rollback()
    assert comments.read_until(db.session, user, case.id) is None

    last = owner_api.get(
        f"/api/v1/cases/{case.id}/comments?limit=1&cursor={first['next_cursor']}"
    ).get_json()
    assert last["next_cursor"] is None
    db.session.rollback()
    assert comments.read_until(db.session, user, case.id) is not None
