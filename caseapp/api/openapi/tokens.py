"""API tokens: the caller's own, listed, made and revoked."""

from __future__ import annotations

from typing import Any

from caseapp.accounts.tokens import MAX_LIFETIME_DAYS, MAX_NAME_LENGTH
from caseapp.api.openapi.common import INVALID, PAGING, TIME, json_content, op, page, ref

TOKEN_ID = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}
_TOKEN_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": {**TIME, "description": "noted at most every five minutes"},
    "expires_at": {**TIME, "description": "null: never"},
    "state": {"type": "string", "enum": ["active", "expired"]},
    "current": {"type": "boolean", "description": "the token this request was made with"},
}
_REQUIRED = ["id", "name", "created_at", "last_used_at", "expires_at", "current"]

SCHEMAS: dict[str, Any] = {
    "Token": {"type": "object", "required": _REQUIRED, "properties": _TOKEN_PROPERTIES},
    "TokenPage": page("Token"),
    "TokenInput": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
            "expires_at": {
                "type": ["string", "null"],
                "description": "ISO 8601, in the future; or give expires_in_days; neither: never",
            },
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": MAX_LIFETIME_DAYS},
        },
    },
    "TokenCreated": {
        "type": "object",
        "required": [*_REQUIRED, "token"],
        "properties": {
            **_TOKEN_PROPERTIES,
            "token": {"type": "string", "description": "the bearer secret, shown only this once"},
        },
    },
}

PATHS: dict[str, Any] = {
    "/tokens": {
        "get": op(
            "My API tokens that are not revoked, newest first",
            {"200": json_content(ref("TokenPage"))},
            params=PAGING,
            tag="tokens",
        ),
        "post": op(
            "Make a new API token (its secret is in the answer, once)",
            {"201": json_content(ref("TokenCreated"), "Created"), **INVALID},
            body="TokenInput",
            tag="tokens",
        ),
    },
    "/tokens/{token_id}": {
        "delete": op(
            "Revoke one of my tokens, at once (the current one too)",
            {"204": {"description": "Revoked"}},
            params=[TOKEN_ID],
            tag="tokens",
        ),
    },
}
