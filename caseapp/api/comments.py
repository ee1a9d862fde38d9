"""Comments between the complainant and advocates over JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from caseapp.access.policy import case_access
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.api.cases import page_args
from caseapp.api.errors import json_body
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import comments
from caseapp.shares.models import Comment
from caseapp.timezones import utc_iso


def comment_json(comment: Comment, read_at: datetime | None = None) -> dict[str, Any]:
    """A comment as the API shows it; `unread` from the reader's point of view."""
    return {
        "id": comment.id,
        "case_id": comment.case_id,
        "share_id": comment.share_id,
        "evidence_id": comment.evidence_id,
        "author": comment.author.name if comment.author else None,
        "author_role": comment.author_role,
        "body": comment.body,
        "created_at": utc_iso(comment.created_at),
        "unread": comments.is_unread(comment, api_user(), read_at),
    }


@bp.get("/cases/<case_id>/comments")
def list_comments(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    limit, cursor = page_args()
    read_at = comments.read_until(db.session, api_user(), case_id)
    page = comments.list_comments(db.session, access, limit=limit, cursor=cursor)
    body = {
        "items": [comment_json(c, read_at) for c in page.items],
        "next_cursor": page.next_cursor,
    }
    if page.next_cursor is None:
        comments.finish_reading(db.session, api_user(), case_id)
    return jsonify(body)


@bp.post("/cases/<case_id>/comments")
def add_comment(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    comment = comments.add_comment(db.session, runtime().head_key, access, json_body())
    return jsonify(comment_json(comment)), 201
