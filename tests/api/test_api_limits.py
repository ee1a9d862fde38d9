"""Malformed or oversized API input is a clear 4xx, never a 500, and nothing is stored."""

from __future__ import annotations

import json

import pytest

from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.conftest import post_chunked

CASE = {"title": "冻结", "counterparty": "星链钱包", "category": "assets_frozen"}
TOO_BIG = 2 * 1024 * 1024  # max_body_bytes is 1 MiB by default


def big_case() -> bytes:
    return json.dumps({**CASE, "description": "x" * TOO_BIG}).encode()


def post_raw(api, body: bytes, content_type: str = "application/json"):
    return api.client.post("/api/v1/cases", data=body, content_type=content_type,
                           headers=api.headers)


def test_json_body_over_max_body_bytes_is_413_and_stores_nothing(api):
    response = post_raw(api, big_case())
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert db.session.query(Case).count() == 0


@pytest.mark.parametrize("extra", [1, TOO_BIG])
def test_chunked_json_body_over_max_body_bytes_is_413_and_stores_nothing(
    api, app, live_server, extra
):
    # Chunked: no Content-Length to refuse up front, so the body is counted as it is read;
    # one byte over is refused, not parsed cut short.
    limit = app.extensions["caseapp"].settings.max_body_bytes
    body = json.dumps({**CASE, "description": "x" * limit}).encode()[: limit + extra]
    status, answer = post_chunked(live_server, "/api/v1/cases", body,
                                  {**api.headers, "Content-Type": "application/json"})
    assert status == 413
    assert json.loads(answer)["error"]["code"] == "too_large"
    assert db.session.query(Case).count() == 0


def test_chunked_json_body_within_the_limit_is_read(api, live_server):
    status, answer = post_chunked(live_server, "/api/v1/cases", json.dumps(CASE).encode(),
                                  {**api.headers, "Content-Type": "application/json"}, piece=7)
    assert status == 201
    assert json.loads(answer)["title"] == "冻结"


@pytest.mark.parametrize("body", [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}",
])
def test_deeply_nested_json_is_400(api, body):
    response = post_raw(api, body.encode())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("body", [
    '{"title": "caf\xe9", "counterparty": "x", "category": "other"}'.encode("latin-1"),
    b'{"title": "\xed\xa0\x80", "counterparty": "x", "category": "other"}',  # an encoded surrogate
    b'{"title": "\\ud800", "counterparty": "x", "category": "other"}',  # an escaped one
    "{}".encode("utf-16"),
    b"\xff\xfe\xfd",
])
def test_body_that_is_not_utf8_text_is_400(api, body):
    response = post_raw(api, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert db.session.query(Case).count() == 0


def test_json_with_a_utf8_bom_is_still_read(api):
    response = post_raw(api, b"\xef\xbb\xbf" + json.dumps(CASE).encode())
    assert response.status_code == 201


@pytest.mark.parametrize("value", [
    "Bearer é",
    "Bearer caf\xe9",  # latin-1 bytes as the WSGI server hands them over
    "Bearer cat_\x01\x02",
    "Bearer ",
    "Bearer    ",
    "Bearer " + "a" * 100_000,
    "Bearer cat_" + "é" * 40,
    "Basic dXNlcjpwYXNz",
    "é",
])
def test_malformed_authorization_is_401(client, value):
    response = client.get("/api/v1/cases", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_non_ascii_authorization_bytes_on_the_wire_are_401(user, live_server):
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(live_server)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.putrequest("GET", "/api/v1/cases")
        connection.putheader("Authorization", b"Bearer \xc3\xa9\xff")
        connection.endheaders()
        assert connection.getresponse().status == 401
    finally:
        connection.close()
