"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

A test compares it with the app's routes and validates real responses against its
schemas, so it stays true as the API grows.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from caseapp.api import bp
from caseapp.cases.service import CASE_FIELDS, EVENT_FIELDS
from caseapp.fields import FieldSpec

_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def _input_schema(fields: dict[str, FieldSpec]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, spec in fields.items():
        if spec.kind == "choice":
            properties[name] = {"type": "string", "enum": list(spec.choices)}
        elif spec.kind == "time":
            properties[name] = {
                "type": ["string", "null"],
                "description": "ISO 8601; without an offset it is read in the user's zone",
            }
        elif spec.kind == "amount":
            properties[name] = {
                "type": ["string", "number", "null"],
                "description": "decimal, 0 or more",
            }
        elif spec.kind == "bool":
            properties[name] = {"type": "boolean"}
        else:
            properties[name] = {"type": ["string", "null"]}
            if spec.max_length:
                properties[name]["maxLength"] = spec.max_length
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "next_cursor": _NULLABLE_STRING,
        },
    }


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
_INVALID = {"422": {"$ref": "#/components/responses/Invalid"}}
_PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]
_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
_DOSSIER_ID = {"name": "dossier_id", "in": "path", "required": True, "schema": {"type": "string"}}
_EVIDENCE_ID = {"name": "evidence_id", "in": "path", "required": True, "schema": {"type": "string"}}
_UPLOAD_ERRORS = {
    "413": {"$ref": "#/components/responses/TooLarge"},
    "415": {"$ref": "#/components/responses/Unsupported"},
    "422": {"$ref": "#/components/responses/Invalid"},
}
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[Any] | None = None,
    body: str | None = None,
    tag: str = "cases",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {**responses, **_ERRORS},
    }
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


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
            "amount": _NULLABLE_STRING,
            "currency": _NULLABLE_STRING,
            "incident_at": _TIME,
            "desired_outcome": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "CaseInput": {**_input_schema(CASE_FIELDS), "required": ["title", "counterparty", "category"]},
    "CasePatch": _input_schema(CASE_FIELDS),
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
            "follow_up_at": _TIME,
            "follow_up_done": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "EventInput": {
        **_input_schema(EVENT_FIELDS),
        "required": ["occurred_at", "channel", "summary"],
    },
    "EventPatch": _input_schema(EVENT_FIELDS),
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
    "Evidence": {
        "type": "object",
        "required": [
            "id",
            "case_id",
            "number",
            "name",
            "sha256",
            "size",
            "media_type",
            "kind",
            "received_at",
            "children",
        ],
        "properties": {
            "id": {"type": "string"},
            "case_id": {"type": "string"},
            "number": {"type": "integer"},
            "name": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer"},
            "media_type": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": ["email", "mbox", "chat", "image", "pdf", "text", "other"],
            },
            "received_at": {"type": "string", "format": "date-time"},
            "description": {"type": "string"},
            "captured_at": _TIME,
            "source": {"type": "string"},
            "parent_id": _NULLABLE_STRING,
            "duplicate_of": _NULLABLE_STRING,
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}},
            "parsed": {"type": "object", "description": "what was read out of the file, by kind"},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "EvidenceUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "description": {"type": "string"},
            "captured_at": {"type": "string"},
            "source": {"type": "string"},
        },
    },
    "EvidencePage": _page("Evidence"),
    "Dossier": {
        "type": "object",
        "required": ["id", "case_id", "status", "lang", "recipient", "sha256"],
        "properties": {
            "id": {"type": "string"},
            "case_id": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "building", "ready", "failed"]},
            "lang": {"type": "string", "enum": ["zh", "en"]},
            "recipient": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "finished_at": _TIME,
            "sha256": _NULLABLE_STRING,
            "size": {"type": ["integer", "null"]},
            "bundle_sha256": _NULLABLE_STRING,
            "bundle_size": {"type": ["integer", "null"]},
            "evidence_count": {"type": "integer"},
            "custody_head": _NULLABLE_STRING,
            "error": _NULLABLE_STRING,
            "pdf_url": _NULLABLE_STRING,
            "bundle_url": _NULLABLE_STRING,
        },
    },
    "DossierRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "lang": {"type": "string", "enum": ["zh", "en"], "default": "zh"},
            "recipient": {
                "type": "string",
                "default": "consumer_association",
                "enum": [
                    "consumer_association",
                    "financial_regulator",
                    "company_complaints",
                    "lawyer",
                ],
            },
        },
    },
    "DossierPage": _page("Dossier"),
    "CasePage": _page("Case"),
    "EventPage": _page("Event"),
    "CustodyLog": {
        **_page("CustodyEntry"),
        "properties": {
            **_page("CustodyEntry")["properties"],
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
        "get": _op(
            "List my cases, newest first",
            {"200": _json(_ref("CasePage"))},
            params=[
                *_PAGING,
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "status", "in": "query", "schema": {"type": "string"}},
            ],
        ),
        "post": _op(
            "Open a case", {"201": _json(_ref("Case"), "Created"), **_INVALID}, body="CaseInput"
        ),
    },
    "/cases/{case_id}": {
        "get": _op("Read a case", {"200": _json(_ref("Case"))}, params=[_CASE_ID]),
        "patch": _op(
            "Change a case, including its status",
            {"200": _json(_ref("Case")), **_INVALID},
            params=[_CASE_ID],
            body="CasePatch",
        ),
    },
    "/cases/{case_id}/events": {
        "get": _op(
            "The case's contacts, oldest first",
            {"200": _json(_ref("EventPage"))},
            params=[_CASE_ID, *_PAGING],
        ),
        "post": _op(
            "Log a contact",
            {"201": _json(_ref("Event"), "Created"), **_INVALID},
            params=[_CASE_ID],
            body="EventInput",
        ),
    },
    "/cases/{case_id}/events/{event_id}": {
        "get": _op("Read a contact", {"200": _json(_ref("Event"))}, params=[_CASE_ID, _EVENT_ID]),
        "patch": _op(
            "Change a contact",
            {"200": _json(_ref("Event")), **_INVALID},
            params=[_CASE_ID, _EVENT_ID],
            body="EventPatch",
        ),
        "delete": _op(
            "Delete a contact logged by mistake",
            {"204": {"description": "Deleted"}},
            params=[_CASE_ID, _EVENT_ID],
        ),
    },
    "/cases/{case_id}/evidence": {
        "get": _op(
            "The case's evidence, numbered order, children included",
            {"200": _json(_ref("EvidencePage"))},
            params=[_CASE_ID, *_PAGING],
            tag="evidence",
        ),
        "post": {
            **_op(
                "Upload a file (streamed, hashed and encrypted on arrival)",
                {"201": _json(_ref("Evidence"), "Stored"), **_UPLOAD_ERRORS},
                params=[_CASE_ID],
                tag="evidence",
            ),
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": _ref("EvidenceUpload")}},
            },
        },
    },
    "/cases/{case_id}/dossiers": {
        "get": _op(
            "The case's dossiers, newest first",
            {"200": _json(_ref("DossierPage"))},
            params=[_CASE_ID],
            tag="dossiers",
        ),
        "post": _op(
            "Export a dossier; it builds in the background",
            {"202": _json(_ref("Dossier"), "Accepted, building"), **_INVALID},
            params=[_CASE_ID],
            body="DossierRequest",
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}": {
        "get": _op(
            "A dossier's status and, once ready, its SHA-256",
            {"200": _json(_ref("Dossier"))},
            params=[_DOSSIER_ID],
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}/pdf": {
        "get": _op(
            "The signed PDF",
            {
                "200": {
                    "description": "The PDF",
                    "content": {"application/pdf": {"schema": {"type": "string"}}},
                },
                "409": {"$ref": "#/components/responses/NotReady"},
            },
            params=[_DOSSIER_ID],
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}/bundle": {
        "get": _op(
            "The ZIP bundle: PDF, originals, manifest, time stamp, certificates",
            {
                "200": {
                    "description": "The bundle",
                    "content": {"application/zip": {"schema": {"type": "string"}}},
                },
                "409": {"$ref": "#/components/responses/NotReady"},
            },
            params=[_DOSSIER_ID],
            tag="dossiers",
        ),
    },
    "/evidence/{evidence_id}": {
        "get": _op(
            "Metadata, with what was read (parsed), warnings and children",
            {"200": _json(_ref("Evidence"))},
            params=[_EVIDENCE_ID],
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/content": {
        "get": _op(
            "The original bytes, as an attachment",
            {
                "200": {
                    "description": "The original",
                    "content": {
                        "application/octet-stream": {
                            "schema": {
                                "type": "string",
                                "contentMediaType": "application/octet-stream",
                            }
                        }
                    },
                },
                "409": {"$ref": "#/components/responses/NotIntact"},
            },
            params=[_EVIDENCE_ID],
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/text": {
        "get": _op(
            "Everything readable extracted from it, UTF-8 text",
            {
                "200": {
                    "description": "The text",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
            },
            params=[_EVIDENCE_ID],
            tag="evidence",
        ),
    },
    "/cases/{case_id}/custody": {
        "get": _op(
            "The case's chain-of-custody log",
            {"200": _json(_ref("CustodyLog"))},
            params=[_CASE_ID],
            tag="custody",
        ),
    },
}


# -- shares and comments (advocates) ----------------------------------------------

_SHARE_ID = {"name": "share_id", "in": "path", "required": True, "schema": {"type": "string"}}
_FORBIDDEN = _json(_ref("Error"), "Shared with you read-only: not yours to change")
_REVIEW = {
    "type": "string",
    "enum": ["new", "in_review", "needs_more_evidence", "accepted", "closed"],
}
_SHARE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "case_id": {"type": "string"},
    "kind": {"type": "string", "enum": ["advocate", "link"]},
    "advocate_email": _NULLABLE_STRING,
    "label": {"type": "string"},
    "allow_originals": {"type": "boolean"},
    "evidence_ids": {"type": ["array", "null"], "items": {"type": "string"}},
    "review_state": _REVIEW,
    "state": {"type": "string", "enum": ["open", "expired", "revoked"]},
    "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "revoked_at": _TIME,
    "pending_invitation": {"type": "boolean"},
}

SCHEMAS.update(
    {
        "ShareInput": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "advocate_email": {"type": ["string", "null"], "maxLength": 254},
                "link": {"type": "boolean"},
                "expires_at": {
                    "type": ["string", "null"],
                    "description": "ISO 8601; default 30 days from now, at most a year",
                },
                "allow_originals": {"type": "boolean"},
                "evidence_ids": {
                    "type": ["array", "null"],
                    "items": {"type": "string"},
                    "description": "only these items; omitted: every item, future ones too",
                },
                "label": {"type": ["string", "null"], "maxLength": 120},
            },
        },
        "Share": {
            "type": "object",
            "required": ["id", "case_id", "kind", "expires_at", "state"],
            "properties": _SHARE_PROPERTIES,
        },
        "ShareCreated": {
            "type": "object",
            "required": ["id", "case_id", "kind", "expires_at", "state"],
            "properties": {
                **_SHARE_PROPERTIES,
                "url": {
                    "type": "string",
                    "description": "link shares: the address with the token, shown once",
                },
                "invite_url": {
                    "type": "string",
                    "description": "advocates without an account: their invitation, shown once",
                },
            },
        },
        "SharePage": _page("Share"),
        "SharedCase": {
            "type": "object",
            "required": ["id", "case_id", "case_title", "expires_at", "review_state"],
            "properties": {
                "id": {"type": "string"},
                "case_id": {"type": "string"},
                "case_title": {"type": "string"},
                "counterparty": {"type": "string"},
                "complainant": {"type": "string"},
                "expires_at": {"type": "string", "format": "date-time"},
                "review_state": _REVIEW,
                "allow_originals": {"type": "boolean"},
                "last_activity_at": {"type": "string", "format": "date-time"},
                "unread_comments": {"type": "integer"},
            },
        },
        "SharedCasePage": _page("SharedCase"),
        "ReviewInput": {
            "type": "object",
            "required": ["review_state"],
            "additionalProperties": False,
            "properties": {"review_state": _REVIEW},
        },
        "Comment": {
            "type": "object",
            "required": ["id", "case_id", "author_role", "body", "created_at", "unread"],
            "properties": {
                "id": {"type": "string"},
                "case_id": {"type": "string"},
                "share_id": _NULLABLE_STRING,
                "evidence_id": _NULLABLE_STRING,
                "author": _NULLABLE_STRING,
                "author_role": {"type": "string", "enum": ["owner", "advocate"]},
                "body": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "unread": {"type": "boolean"},
            },
        },
        "CommentInput": {
            "type": "object",
            "required": ["body"],
            "additionalProperties": False,
            "properties": {
                "body": {"type": "string", "maxLength": 10000},
                "evidence_id": {"type": ["string", "null"], "description": "comment on this item"},
                "share_id": {
                    "type": ["string", "null"],
                    "description": "owner only: to this advocate's share; omitted: every advocate",
                },
            },
        },
        "CommentPage": _page("Comment"),
    }
)

PATHS.update(
    {
        "/cases/{case_id}/shares": {
            "get": _op(
                "The case's shares, newest first (owner)",
                {"200": _json(_ref("SharePage")), "403": _FORBIDDEN},
                params=[_CASE_ID],
                tag="shares",
            ),
            "post": _op(
                "Share the case with an advocate or as a link (owner)",
                {"201": _json(_ref("ShareCreated"), "Shared"), "403": _FORBIDDEN, **_INVALID},
                params=[_CASE_ID],
                body="ShareInput",
                tag="shares",
            ),
        },
        "/shares/{share_id}": {
            "patch": _op(
                "Set the review state (the advocate the share is for)",
                {"200": _json(_ref("SharedCase")), "403": _FORBIDDEN, **_INVALID},
                params=[_SHARE_ID],
                body="ReviewInput",
                tag="shares",
            ),
            "delete": _op(
                "Revoke a share, at once (owner)",
                {"204": {"description": "Revoked"}, "403": _FORBIDDEN},
                params=[_SHARE_ID],
                tag="shares",
            ),
        },
        "/shared": {
            "get": _op(
                "The shares open to me as an advocate, newest activity first",
                {"200": _json(_ref("SharedCasePage"))},
                tag="shares",
            ),
        },
        "/cases/{case_id}/comments": {
            "get": _op(
                "Comments between the complainant and advocates, oldest first",
                {"200": _json(_ref("CommentPage"))},
                params=[_CASE_ID, *_PAGING],
                tag="shares",
            ),
            "post": _op(
                "Write a comment",
                {"201": _json(_ref("Comment"), "Created"), "403": _FORBIDDEN, **_INVALID},
                params=[_CASE_ID],
                body="CommentInput",
                tag="shares",
            ),
        },
    }
)

# An advocate reads a shared case but any change is 403, as are originals (and dossiers,
# which embed them) that the share does not include.
for _path, _item in PATHS.items():
    for _method, _operation in _item.items():
        if any(f"{{{name}}}" in _path for name in ("case_id", "evidence_id", "dossier_id")) and (
            _method != "get" or _path.endswith(("/content", "/pdf", "/bundle"))
        ):
            _operation["responses"].setdefault("403", _FORBIDDEN)


def _error_response(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "caseapp API",
            "version": "1",
            "description": "Cases, contacts, evidence, dossiers and shares of caseapp.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "BadRequest": _error_response("Bad input"),
                "Unauthorized": _error_response("No or bad token"),
                "NotFound": _error_response("Not found, or not yours"),
                "Invalid": _error_response("Invalid fields"),
                "TooLarge": _error_response("Too large"),
                "Unsupported": _error_response("Unsupported media type"),
                "NotIntact": _error_response("Stored evidence failed its integrity check"),
                "NotReady": _error_response("The dossier is not built yet, or failed"),
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():  # type: ignore[no-untyped-def]
    return jsonify(document())
