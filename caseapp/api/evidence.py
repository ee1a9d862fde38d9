"""Evidence over JSON: upload (streamed into the vault), list, metadata (read and
changed), withdrawal, original, text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue

from caseapp.access.policy import (
    ReadOnlyAccess,
    case_access,
    evidence_access,
    owned_case,
    require_originals,
)
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.api.cases import page_args, page_json, user_zone
from caseapp.api.errors import json_body, json_error
from caseapp.custody.looks import look_fields, record_look
from caseapp.evidence import ingest, management
from caseapp.evidence import service as evidence_service
from caseapp.evidence.downloads import original_download
from caseapp.evidence.models import Evidence
from caseapp.extensions import db
from caseapp.request_body import upload_stream
from caseapp.runtime import runtime
from caseapp.timezones import utc_iso


def evidence_json(
    item: Evidence, *, with_reading: bool = False, visible: Callable[[Evidence], bool] | None = None
) -> dict[str, Any]:
    """An evidence item as the API shows it; children nested (those `visible` to the caller)."""
    body: dict[str, Any] = {
        "id": item.id,
        "case_id": item.case_id,
        "number": item.number,
        "name": item.name,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "kind": item.kind,
        "received_at": utc_iso(item.received_at),
        "description": item.description,
        "captured_at": utc_iso(item.captured_at),
        "source": item.source,
        "parent_id": item.parent_id,
        "duplicate_of": item.duplicate_of_id,
        "read_state": item.read_state,
        "contact_ids": [event.id for event in item.contacts],
        "withdrawn_at": utc_iso(item.withdrawn_at),
        "withdrawn_reason": item.withdrawn_reason or None,
        "children": [
            evidence_json(child, visible=visible)
            for child in item.children
            if visible is None or visible(child)
        ],
    }
    if with_reading:
        reading = evidence_service.reading_of(runtime().vault, item)
        body["parsed"] = reading.parsed
        body["warnings"] = reading.warnings
        body["warning_details"] = [
            {"code": note.code, "severity": note.severity, "message": note.message}
            for note in reading.notes
        ]
    return body


@bp.post("/cases/<case_id>/evidence")
def add_evidence(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    added = ingest.take_upload(
        db.session,
        runtime(),
        case,
        api_user(),
        upload_stream(),
        request.content_type,
        request.content_length,
        user_zone(),
    )
    if len(added) == 1:
        return jsonify(evidence_json(added[0], with_reading=True)), 201
    return jsonify({"items": [evidence_json(item, with_reading=True) for item in added]}), 201


@bp.get("/cases/<case_id>/evidence")
def list_case_evidence(case_id: str) -> ResponseReturnValue:
    access = case_access(db.session, case_id, user=api_user())
    limit, cursor = page_args()
    page = evidence_service.list_evidence(
        db.session,
        access.case,
        limit=limit,
        cursor=cursor,
        only=access.evidence_ids,
        hidden=access.withdrawn_ids,
    )
    return jsonify(page_json(page, lambda item: evidence_json(item, visible=access.sees)))


@bp.get("/evidence/<evidence_id>")
def get_evidence(evidence_id: str) -> ResponseReturnValue:
    access, item = evidence_access(db.session, evidence_id, user=api_user())
    body = evidence_json(item, with_reading=True, visible=access.sees)
    record_look(db.session, runtime().head_key, look_fields(access, item), "evidence.viewed")
    return jsonify(body)


def _owned_evidence(evidence_id: str) -> Evidence:
    """An item of one of the caller's own cases, to change it (403 when only shared)."""
    access, item = evidence_access(db.session, evidence_id, user=api_user())
    if not access.is_owner:
        raise ReadOnlyAccess(item.case_id)
    return item


@bp.patch("/evidence/<evidence_id>")
def change_evidence(evidence_id: str) -> ResponseReturnValue:
    item = _owned_evidence(evidence_id)
    management.change_evidence(
        db.session, runtime().head_key, api_user(), item, json_body(), user_zone()
    )
    return jsonify(evidence_json(item, with_reading=True))


@bp.post("/evidence/<evidence_id>/withdraw")
def withdraw_evidence(evidence_id: str) -> ResponseReturnValue:
    item = _owned_evidence(evidence_id)
    reason = json_body().get("reason")
    management.withdraw(db.session, runtime().head_key, api_user(), item, reason)
    return jsonify(evidence_json(item))


@bp.post("/evidence/<evidence_id>/restore")
def restore_evidence(evidence_id: str) -> ResponseReturnValue:
    item = _owned_evidence(evidence_id)
    management.restore(db.session, runtime().head_key, api_user(), item)
    return jsonify(evidence_json(item))


@bp.get("/evidence/<evidence_id>/content")
def evidence_content(evidence_id: str) -> ResponseReturnValue:
    access, item = evidence_access(db.session, evidence_id, user=api_user())
    require_originals(access)
    return original_download(access, item)


@bp.get("/evidence/<evidence_id>/text")
def evidence_text(evidence_id: str) -> ResponseReturnValue:
    _access, item = evidence_access(db.session, evidence_id, user=api_user())
    text = evidence_service.text_of(runtime().vault, item)
    if not text:
        return json_error(404, "not_found", "nothing readable was extracted from this evidence")
    return Response(text, content_type="text/plain; charset=utf-8")
