"""Request bodies on the web side: bounded by max_body_bytes, refused with a readable page."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.conftest import post_chunked

TOO_BIG = 2 * 1024 * 1024  # max_body_bytes is 1 MiB by default
FORM = "application/x-www-form-urlencoded"


def new_case_form(token: str, size: int) -> bytes:
    return urlencode({"csrf_token": token, "title": "冻结", "counterparty": "星链钱包",
                      "category": "assets_frozen", "description": "x" * size}).encode()


def test_form_over_max_body_bytes_is_413_page_and_stores_nothing(client, auth, user):
    auth.login()
    body = new_case_form(auth.token("/cases/new"), TOO_BIG)
    response = client.post("/cases/new", data=body, content_type=FORM)
    assert response.status_code == 413
    assert "<h1>413</h1>" in response.get_data(as_text=True)
    assert db.session.query(Case).count() == 0


@pytest.mark.parametrize(("language", "text"), [
    ("en", "What you sent is larger than this instance accepts."),
    ("zh-CN", "提交的内容超出了本站的上限。"),
])
def test_413_page_is_in_the_visitors_language(client, language, text):
    response = client.post("/login", data=b"email=" + b"x" * TOO_BIG,
                           content_type=FORM,
                           headers={"Accept-Language": language})
    assert response.status_code == 413
    assert text in response.get_data(as_text=True)


def test_chunked_form_over_max_body_bytes_is_413_and_stores_nothing(
    client, auth, user, live_server
):
    # No Content-Length to refuse up front: Werkzeug counts the body as it is read.
    auth.login()
    body = new_case_form(auth.token("/cases/new"), TOO_BIG)
    cookie = client.get_cookie("caseapp_session")  # after the token: it lives in the session
    assert cookie is not None
    status, page = post_chunked(live_server, "/cases/new", body,
                                {"Content-Type": FORM,
                                 "Cookie": f"caseapp_session={cookie.value}"})
    assert status == 413
    assert b"larger than this instance accepts" in page
    assert db.session.query(Case).count() == 0


def test_form_within_max_body_bytes_still_works(client, auth, user):
    auth.login()
    body = new_case_form(auth.token("/cases/new"), 1000)
    response = client.post("/cases/new", data=body, content_type=FORM)
    assert response.status_code == 302
    assert db.session.query(Case).count() == 1
