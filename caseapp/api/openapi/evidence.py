"""Evidence: upload, metadata with what was read, the original, the text."""

from __future__ import annotations

from typing import Any

from caseapp.api.openapi.common import (
    CASE_ID,
    EVIDENCE_ID,
    NULLABLE_STRING,
    PAGING,
    TIME,
    UPLOAD_ERRORS,
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
