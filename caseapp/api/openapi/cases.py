"""Cases, their contacts and their chain-of-custody log."""

from __future__ import annotations

from typing import Any

from caseapp.api.openapi.common import (
    CASE_ID,
    EVENT_ID,
    INVALID,
    NULLABLE_STRING,
    PAGING,
    TIME,
    input_schema,
    json_content,
    op,
    page,
    ref,
)
from caseapp.cases.service import CASE_FIELDS, EVENT_FIELDS


def _with_evidence_ids(schema: dict[str, Any]) -> dict[str, Any]:
    """A contact's input, which may also say exactly which evidence it links."""
    ids = {
        "type": ["array", "null"],
        "items": {"type": "string"},
        "description": "link exactly these evidence items (ids in the case); null or "
        "absent leaves the links as they are",
    }
    return {**schema, "properties": {**schema["properties"], "evidence_ids": ids}}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "Case": {
        "type": "object",
        "required": [
            "id",
            "title",
            "counterparty",
            "category",
            "status",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "counterparty": {"type": "string"},
            "category": {"type": "string"},
            "amount": NULLABLE_STRING,
            "currency": NULLABLE_STRING,
            "incident_at": TIME,
            "desired_outcome": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "CaseInput": {**input_schema(CASE_FIELDS), "required": ["title", "counterparty", "category"]},
    "CasePatch": input_schema(CASE_FIELDS),
    "Event": {
        "type": "object",
        "required": ["id", "case_id", "occurred_at", "channel", "summary"],
        "properties": {
            "id": {"type": "string"},
            "case_id": {"type": "string"},
            "occurred_at": {"type": "string", "format": "date-time"},
            "channel": {"type": "string"},
            "direction": {"type": "string"},
            "reference": {"type": "string"},
            "representative": {"type": "string"},
            "summary": {"type": "string"},
            "outcome": {"type": "string"},
            "follow_up_at": TIME,
            "follow_up_done": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "evidence_ids": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the evidence linked to this contact (that the caller may see)",
            },
        },
    },
    "EventInput": {
        **_with_evidence_ids(input_schema(EVENT_FIELDS)),
        "required": ["occurred_at", "channel", "summary"],
    },
    "EventPatch": _with_evidence_ids(input_schema(EVENT_FIELDS)),
    "CustodyEntry": {
        "type": "object",
        "required": ["seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"],
        "properties": {
            "seq": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "action": {"type": "string"},
            "subject": {"type": "string"},
            "details": {"type": "object"},
            "prev_hash": {"type": "string"},
            "hash": {"type": "string"},
        },
    },
    "CasePage": page("Case"),
    "EventPage": page("Event"),
    "CustodyLog": {
        **page("CustodyEntry"),
        "properties": {
            **page("CustodyEntry")["properties"],
            "head": {
                "type": ["object", "null"],
                "properties": {
                    "seq": {"type": "integer"},
                    "hash": {"type": "string"},
                    "signature": {"type": "string"},
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/cases": {
        "get": op(
            "List my cases, newest first",
            {"200": json_content(ref("CasePage"))},
            params=[
                *PAGING,
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "status", "in": "query", "schema": {"type": "string"}},
            ],
        ),
        "post": op(
            "Open a case",
            {"201": json_content(ref("Case"), "Created"), **INVALID},
            body="CaseInput",
        ),
    },
    "/cases/{case_id}": {
        "get": op("Read a case", {"200": json_content(ref("Case"))}, params=[CASE_ID]),
        "patch": op(
            "Change a case, including its status",
            {"200": json_content(ref("Case")), **INVALID},
            params=[CASE_ID],
            body="CasePatch",
        ),
    },
    "/cases/{case_id}/events": {
        "get": op(
            "The case's contacts, oldest first",
            {"200": json_content(ref("EventPage"))},
            params=[CASE_ID, *PAGING],
        ),
        "post": op(
            "Log a contact",
            {"201": json_content(ref("Event"), "Created"), **INVALID},
            params=[CASE_ID],
            body="EventInput",
        ),
    },
    "/cases/{case_id}/events/{event_id}": {
        "get": op(
            "Read a contact", {"200": json_content(ref("Event"))}, params=[CASE_ID, EVENT_ID]
        ),
        "patch": op(
            "Change a contact",
            {"200": json_content(ref("Event")), **INVALID},
            params=[CASE_ID, EVENT_ID],
            body="EventPatch",
        ),
        "delete": op(
            "Delete a contact logged by mistake",
            {"204": {"description": "Deleted"}},
            params=[CASE_ID, EVENT_ID],
        ),
    },
    "/cases/{case_id}/custody": {
        "get": op(
            "The case's chain-of-custody log",
            {"200": json_content(ref("CustodyLog"))},
            params=[CASE_ID],
            tag="custody",
        ),
    },
}
