"""The OpenAPI document is valid, covers every route, and real answers match its schemas."""

from __future__ import annotations

import io
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_described_and_nothing_else(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == described


def _check(document, schema_name, instance):
    schema = {**document, "$ref": f"#/components/schemas/{schema_name}"}
    Draft202012Validator(schema).validate(instance)


def test_real_answers_match_the_schemas(api, document, samples):
    case = api.post("/api/v1/cases", json={
        "title": "t", "counterparty": "c", "category": "other",
    }).get_json()
    _check(document, "Case", case)
    _check(document, "CasePage", api.get("/api/v1/cases").get_json())
    event = api.post(f"/api/v1/cases/{case['id']}/events", json={
        "occurred_at": "2024-01-01T00:00:00Z", "channel": "email", "summary": "s"}).get_json()
    _check(document, "Event", event)
    _check(document, "EventPage", api.get(f"/api/v1/cases/{case['id']}/events").get_json())
    _check(document, "CustodyLog", api.get(f"/api/v1/cases/{case['id']}/custody").get_json())
    message = (samples / "msg" / "msgInMsgInMsg.msg").read_bytes()
    evidence = api.post(f"/api/v1/cases/{case['id']}/evidence", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(message), "m.msg")}).get_json()
    _check(document, "Evidence", evidence)
    _check(document, "EvidencePage", api.get(f"/api/v1/cases/{case['id']}/evidence").get_json())
    dossier = api.post(f"/api/v1/cases/{case['id']}/dossiers", json={"lang": "en"})
    assert dossier.status_code == 202
    _check(document, "Dossier", dossier.get_json())
    _check(document, "DossierPage", api.get(f"/api/v1/cases/{case['id']}/dossiers").get_json())
    _check(document, "Error", api.get("/api/v1/cases/nope").get_json())
    _check(document, "Error", api.post("/api/v1/cases", json={}).get_json())
