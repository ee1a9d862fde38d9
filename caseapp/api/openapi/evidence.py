"""Evidence: upload, metadata with what was read, the original, the text."""

from __future__ import annotations

from typing import Any

from caseapp.api.openapi.common import (
    CASE_ID,
    EVIDENCE_ID,
    FORBIDDEN,
    INVALID,
    NULLABLE_STRING,
    PAGING,
    TIME,
    UPLOAD_ERRORS,
    error_response,
    json_content,
    op,
    page,
    ref,
)

SCHEMAS: dict[str, Any] = {
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
            "read_state",
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
            "captured_at": TIME,
            "source": {"type": "string"},
            "parent_id": NULLABLE_STRING,
            "duplicate_of": NULLABLE_STRING,
            "read_state": {
                "type": "string",
                "enum": ["pending", "reading", "read", "failed"],
                "description": "reading happens after the upload has answered",
            },
            "contact_ids": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the contacts (timeline events) this item belongs to",
            },
            "withdrawn_at": {
                **TIME,
                "description": "when the owner withdrew it (only the owner sees withdrawn items)",
            },
            "withdrawn_reason": NULLABLE_STRING,
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}},
            "parsed": {"type": "object", "description": "what was read out of the file, by kind"},
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "what the readers said, as written (English)",
            },
            "warning_details": {
                "type": "array",
                "description": "the same warnings, in order, with a stable code and a severity",
                "items": {
                    "type": "object",
                    "required": ["code", "severity", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "severity": {"type": "string", "enum": ["unreadable", "note"]},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "EvidencePatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": ["string", "null"], "maxLength": 5000},
            "source": {"type": ["string", "null"], "maxLength": 255},
            "captured_at": {
                "type": ["string", "null"],
                "description": "ISO 8601; without an offset it is read in the user's zone",
            },
            "contact_ids": {
                "type": "array",
                "items": {"type": "string"},
                "description": "link exactly these contacts of the case",
            },
        },
    },
    "EvidenceWithdrawal": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
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
    "EvidencePage": page("Evidence"),
}

PATHS: dict[str, Any] = {
    "/cases/{case_id}/evidence": {
        "get": op(
            "The case's evidence, numbered order, children included",
            {"200": json_content(ref("EvidencePage"))},
            params=[CASE_ID, *PAGING],
            tag="evidence",
        ),
        "post": {
            **op(
                "Upload a file (streamed, hashed and encrypted on arrival)",
                {"201": json_content(ref("Evidence"), "Stored"), **UPLOAD_ERRORS},
                params=[CASE_ID],
                tag="evidence",
            ),
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": ref("EvidenceUpload")}},
            },
        },
    },
    "/evidence/{evidence_id}": {
        "get": op(
            "Metadata, with what was read (parsed), warnings and children",
            {"200": json_content(ref("Evidence"))},
            params=[EVIDENCE_ID],
            tag="evidence",
        ),
        "patch": op(
            "Change the description, source, capture time or linked contacts (owner only)",
            {"200": json_content(ref("Evidence")), "403": FORBIDDEN, **INVALID},
            params=[EVIDENCE_ID],
            body="EvidencePatch",
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/withdraw": {
        "post": op(
            "Withdraw it from dossiers and shares, with a reason; the original is kept",
            {
                "200": json_content(ref("Evidence")),
                "403": FORBIDDEN,
                "409": error_response("Withdrawn already"),
                **INVALID,
            },
            params=[EVIDENCE_ID],
            body="EvidenceWithdrawal",
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/restore": {
        "post": op(
            "Undo a withdrawal",
            {
                "200": json_content(ref("Evidence")),
                "403": FORBIDDEN,
                "409": error_response("Not withdrawn"),
            },
            params=[EVIDENCE_ID],
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/content": {
        "get": op(
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
            params=[EVIDENCE_ID],
            tag="evidence",
        ),
    },
    "/evidence/{evidence_id}/text": {
        "get": op(
            "Everything readable extracted from it, UTF-8 text",
            {
                "200": {
                    "description": "The text",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
            },
            params=[EVIDENCE_ID],
            tag="evidence",
        ),
    },
}
