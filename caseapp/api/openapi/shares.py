"""Shares and comments: what a complainant hands to advocates, and what comes back."""

from __future__ import annotations

from typing import Any

from caseapp.api.openapi.common import (
    CASE_ID,
    FORBIDDEN,
    INVALID,
    NULLABLE_STRING,
    PAGING,
    TIME,
    json_content,
    op,
    page,
    ref,
)

SHARE_ID = {"name": "share_id", "in": "path", "required": True, "schema": {"type": "string"}}
_REVIEW = {
    "type": "string",
    "enum": ["new", "in_review", "needs_more_evidence", "accepted", "closed"],
}
_SHARE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "case_id": {"type": "string"},
    "kind": {"type": "string", "enum": ["advocate", "link"]},
    "advocate_email": NULLABLE_STRING,
    "label": {"type": "string"},
    "allow_originals": {"type": "boolean"},
    "evidence_ids": {
        "type": ["array", "null"],
        "items": {"type": "string"},
        "description": "the items chosen (or every item there was, when none were named "
        "and include_later is false); null: every item of the case, whenever added",
    },
    "include_later": {
        "type": "boolean",
        "description": "whether evidence added after the share was made is shown too",
    },
    "review_state": _REVIEW,
    "state": {"type": "string", "enum": ["open", "expired", "revoked", "declined"]},
    "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"},
    "revoked_at": TIME,
    "offer_state": {
        "type": ["string", "null"],
        "enum": ["offered", "accepted", "declined", None],
        "description": "advocate shares: an offer until the advocate accepts it; null for links",
    },
}

SCHEMAS: dict[str, Any] = {
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
                "description": "only these items; omitted: every item there is now",
            },
            "include_later": {
                "type": "boolean",
                "default": False,
                "description": "also show evidence added to the case after the share is "
                "made; with evidence_ids omitted, every item of the case, whenever added",
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
                "description": "advocate shares (with or without an account): the "
                "invitation to accept or decline the offer, or register; shown once",
            },
        },
    },
    "SharePage": page("Share"),
    "SharedCase": {
        "type": "object",
        "required": ["id", "case_id", "case_title", "expires_at", "review_state", "state"],
        "properties": {
            "id": {"type": "string"},
            "case_id": {"type": "string"},
            "case_title": {"type": "string"},
            "counterparty": {"type": ["string", "null"], "description": "null for an offer"},
            "complainant": {"type": "string"},
            "offered_by": {
                "type": "object",
                "required": ["name", "email"],
                "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
            },
            "state": {
                "type": "string",
                "enum": ["offered", "accepted"],
                "description": "an offer shows only its sender, title and expiry until accepted",
            },
            "expires_at": {"type": "string", "format": "date-time"},
            "review_state": _REVIEW,
            "allow_originals": {"type": "boolean"},
            "last_activity_at": {"type": "string", "format": "date-time"},
            "unread_comments": {"type": "integer"},
        },
    },
    "SharedCasePage": page("SharedCase"),
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
            "share_id": NULLABLE_STRING,
            "evidence_id": NULLABLE_STRING,
            "author": NULLABLE_STRING,
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
    "CommentPage": page("Comment"),
}


PATHS: dict[str, Any] = {
    "/cases/{case_id}/shares": {
        "get": op(
            "The case's shares, newest first (owner)",
            {"200": json_content(ref("SharePage")), "403": FORBIDDEN},
            params=[CASE_ID],
            tag="shares",
        ),
        "post": op(
            "Share the case with an advocate or as a link (owner)",
            {"201": json_content(ref("ShareCreated"), "Shared"), "403": FORBIDDEN, **INVALID},
            params=[CASE_ID],
            body="ShareInput",
            tag="shares",
        ),
    },
    "/shares/{share_id}": {
        "patch": op(
            "Set the review state (the advocate the share is for)",
            {"200": json_content(ref("SharedCase")), "403": FORBIDDEN, **INVALID},
            params=[SHARE_ID],
            body="ReviewInput",
            tag="shares",
        ),
        "delete": op(
            "Revoke a share, at once (owner)",
            {"204": {"description": "Revoked"}, "403": FORBIDDEN},
            params=[SHARE_ID],
            tag="shares",
        ),
    },
    "/shares/{share_id}/accept": {
        "post": op(
            "Accept a share offered to me: from now on it opens the case (the advocate)",
            {"200": json_content(ref("SharedCase")), "403": FORBIDDEN},
            params=[SHARE_ID],
            tag="shares",
        ),
    },
    "/shares/{share_id}/decline": {
        "post": op(
            "Decline a share offered to me: it closes (the advocate)",
            {"204": {"description": "Declined"}, "403": FORBIDDEN},
            params=[SHARE_ID],
            tag="shares",
        ),
    },
    "/shared": {
        "get": op(
            "Offers to me (newest first), then the shares I accepted (newest activity first)",
            {"200": json_content(ref("SharedCasePage"))},
            tag="shares",
        ),
    },
    "/cases/{case_id}/comments": {
        "get": op(
            "Comments between the complainant and advocates, oldest first",
            {"200": json_content(ref("CommentPage"))},
            params=[CASE_ID, *PAGING],
            tag="shares",
        ),
        "post": op(
            "Write a comment",
            {"201": json_content(ref("Comment"), "Created"), "403": FORBIDDEN, **INVALID},
            params=[CASE_ID],
            body="CommentInput",
            tag="shares",
        ),
    },
}
