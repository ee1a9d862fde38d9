"""Dossier pages: choose recipient and language, follow the build, download, verify."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.access.policy import (
    CaseAccess,
    OriginalsNotShared,
    may_download_dossiers,
    require_dossier_files,
)
from caseapp.access.viewer import viewer_access
from caseapp.custody.looks import record_dossier_download
from caseapp.export import service as dossiers
from caseapp.export.context import LANGS, RECIPIENT_KINDS
from caseapp.export.downloads import dossier_response
from caseapp.export.models import Dossier
from caseapp.extensions import db
from caseapp.fields import InvalidFields
from caseapp.forms import ActionForm
from caseapp.runtime import runtime

bp = Blueprint("export", __name__)


def load_dossier(case_id: str, dossier_id: str) -> tuple[CaseAccess, Dossier]:
    """A dossier of a case the visitor may read (owner, advocate, link), and their access."""
    access = viewer_access(case_id)
    try:
        return access, dossiers.dossier_in_case(db.session, access.case, dossier_id)
    except dossiers.DossierNotFound:
        abort(404)


@bp.route("/cases/<case_id>/dossiers", methods=["GET", "POST"])
def index(case_id: str) -> ResponseReturnValue:
    access = viewer_access(case_id)
    if not access.is_owner:
        if request.method == "POST":
            abort(403)
        return render_template(
            "export/shared.html",
            access=access,
            case=access.case,
            dossiers=dossiers.list_dossiers(db.session, access.case),
            may_download=may_download_dossiers(access),
        )
    case = access.case
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            dossiers.request_dossier(
                db.session,
                case,
                current_user,
                request.form.get("lang"),
                request.form.get("recipient"),
            )
        except InvalidFields:
            flash(_("Choose a recipient and a language."), "error")
        else:
            flash(_("The dossier is being built. It takes a few seconds to a minute."), "info")
            return redirect(url_for("export.index", case_id=case.id))
    return render_template(
        "export/index.html",
        case=case,
        dossiers=dossiers.list_dossiers(db.session, case),
        recipients=RECIPIENT_KINDS,
        langs=LANGS,
    )


@bp.route("/cases/<case_id>/dossiers/<dossier_id>/status")
def status(case_id: str, dossier_id: str) -> ResponseReturnValue:
    _access, dossier = load_dossier(case_id, dossier_id)
    return jsonify({"id": dossier.id, "status": dossier.status, "sha256": dossier.sha256})


@bp.route("/cases/<case_id>/dossiers/<dossier_id>/<any(pdf, bundle):which>")
def download(case_id: str, dossier_id: str, which: str) -> ResponseReturnValue:
    access, dossier = load_dossier(case_id, dossier_id)
    try:
        require_dossier_files(access)
    except OriginalsNotShared:
        abort(403)
    try:
        chunks = dossiers.open_file(runtime().vault, dossier, which)
    except (dossiers.DossierNotReady, dossiers.DossierNotIntact):
        abort(409)
    record_dossier_download(db.session, runtime().head_key, access, dossier, which)
    return dossier_response(
        chunks, dossier, which, case_title=access.case.title, zone_name=str(get_timezone())
    )


@bp.route("/cases/<case_id>/dossiers/<dossier_id>/verify", methods=["POST"])
def verify(case_id: str, dossier_id: str) -> ResponseReturnValue:
    access, dossier = load_dossier(case_id, dossier_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        report = dossiers.verify_stored(runtime().vault, dossier, runtime().settings.keys_path)
    except (dossiers.DossierNotReady, dossiers.DossierNotIntact):
        abort(409)
    return render_template("export/verified.html", case=access.case, dossier=dossier, report=report)
