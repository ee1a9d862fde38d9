"""Dossiers: export, follow the build, download."""

from __future__ import annotations

from typing import Any

from caseapp.api.openapi.common import (
    CASE_ID,
    DOSSIER_ID,
    INVALID,
    NULLABLE_STRING,
    TIME,
    json_content,
    op,
    page,
    ref,
)

SCHEMAS: dict[str, Any] = {
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
            "finished_at": TIME,
            "sha256": NULLABLE_STRING,
            "size": {"type": ["integer", "null"]},
            "bundle_sha256": NULLABLE_STRING,
            "bundle_size": {"type": ["integer", "null"]},
            "evidence_count": {"type": "integer"},
            "custody_head": NULLABLE_STRING,
            "error": NULLABLE_STRING,
            "pdf_url": NULLABLE_STRING,
            "bundle_url": NULLABLE_STRING,
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
    "DossierPage": page("Dossier"),
}

PATHS: dict[str, Any] = {
    "/cases/{case_id}/dossiers": {
        "get": op(
            "The case's dossiers, newest first",
            {"200": json_content(ref("DossierPage"))},
            params=[CASE_ID],
            tag="dossiers",
        ),
        "post": op(
            "Export a dossier; it builds in the background",
            {"202": json_content(ref("Dossier"), "Accepted, building"), **INVALID},
            params=[CASE_ID],
            body="DossierRequest",
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}": {
        "get": op(
            "A dossier's status and, once ready, its SHA-256",
            {"200": json_content(ref("Dossier"))},
            params=[DOSSIER_ID],
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}/pdf": {
        "get": op(
            "The signed PDF",
            {
                "200": {
                    "description": "The PDF",
                    "content": {"application/pdf": {"schema": {"type": "string"}}},
                },
                "409": {"$ref": "#/components/responses/NotReady"},
            },
            params=[DOSSIER_ID],
            tag="dossiers",
        ),
    },
    "/dossiers/{dossier_id}/bundle": {
        "get": op(
            "The ZIP bundle: PDF, originals, manifest, time stamp, certificates",
            {
                "200": {
                    "description": "The bundle",
                    "content": {"application/zip": {"schema": {"type": "string"}}},
                },
                "409": {"$ref": "#/components/responses/NotReady"},
            },
            params=[DOSSIER_ID],
            tag="dossiers",
        ),
    },
}
