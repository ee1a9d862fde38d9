"""Dossiers over JSON: request an export, follow it, download the PDF and the bundle."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from flask.typing import ResponseReturnValue

from caseapp.access.policy import CaseAccess, case_access, owned_case, require_dossier_files
from caseapp.api import bp
from caseapp.api.auth import api_user
from caseapp.api.cases import user_zone
from caseapp.api.errors import json_body
from caseapp.custody.looks import record_dossier_download
from caseapp.export import service as dossiers
from caseapp.export.downloads import dossier_response
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.timezones import utc_iso


def dossier_json(dossier: Dossier) -> dict[str, Any]:
    """A dossier as the API shows it."""
    ready = dossier.status == "ready"
    return {
        "id": dossier.id,
        "case_id": dossier.case_id,
        "status": dossier.status,
        "lang": dossier.lang,
        "recipient": dossier.recipient,
        "created_at": utc_iso(dossier.created_at),
        "finished_at": utc_iso(dossier.finished_at),
        "sha256": dossier.sha256,
        "size": dossier.size,
        "bundle_sha256": dossier.bundle_sha256,
        "bundle_size": dossier.bundle_size,
        "evidence_count": dossier.evidence_count,
        "custody_head": dossier.custody_head,
        "error": dossier.error or None,
        "pdf_url": url_for("api.dossier_pdf", dossier_id=dossier.id) if ready else None,
        "bundle_url": url_for("api.dossier_bundle", dossier_id=dossier.id) if ready else None,
    }


def _load(dossier_id: str) -> tuple[CaseAccess, Dossier]:
    # Owners and advocates with an open share read through the same access check.
    dossier = db.session.get(Dossier, dossier_id) if dossier_id else None
    if dossier is None:
        raise dossiers.DossierNotFound(dossier_id)
    access = case_access(db.session, dossier.case_id, user=api_user())
    return access, dossiers.dossier_in_case(db.session, access.case, dossier_id)


@bp.post("/cases/<case_id>/dossiers")
def request_dossier(case_id: str) -> ResponseReturnValue:
    case = owned_case(db.session, api_user(), case_id)
    body = json_body()
    dossier = dossiers.request_dossier(
        db.session,
        case,
        api_user(),
        body.get("lang", "zh"),
        body.get("recipient", "consumer_association"),
    )
    response = jsonify(dossier_json(dossier))
    response.headers["Location"] = url_for("api.get_dossier", dossier_id=dossier.id)
    return response, 202


@bp.get("/cases/<case_id>/dossiers")
def list_case_dossiers(case_id: str) -> ResponseReturnValue:
    case = case_access(db.session, case_id, user=api_user()).case
    return jsonify(
        {
            "items": [dossier_json(d) for d in dossiers.list_dossiers(db.session, case)],
            "next_cursor": None,
        }
    )


@bp.get("/dossiers/<dossier_id>")
def get_dossier(dossier_id: str) -> ResponseReturnValue:
    return jsonify(dossier_json(_load(dossier_id)[1]))


def _download(dossier_id: str, which: str) -> Response:
    access, dossier = _load(dossier_id)
    require_dossier_files(access)
    chunks = dossiers.open_file(runtime().vault, dossier, which)
    record_dossier_download(db.session, runtime().head_key, access, dossier, which)
    return dossier_response(
        chunks, dossier, which, case_title=access.case.title, zone_name=user_zone()
    )


@bp.get("/dossiers/<dossier_id>/pdf")
def dossier_pdf(dossier_id: str) -> ResponseReturnValue:
    return _download(dossier_id, "pdf")


@bp.get("/dossiers/<dossier_id>/bundle")
def dossier_bundle(dossier_id: str) -> ResponseReturnValue:
    return _download(dossier_id, "bundle")
