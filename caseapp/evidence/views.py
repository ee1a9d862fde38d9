"""Evidence pages: upload into a case, read an item, download the original, search."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from caseapp.access.policy import CaseAccess, visible_evidence
from caseapp.access.viewer import owner_case, viewer_access
from caseapp.cases.models import Case
from caseapp.cases.vocabulary import CHANNELS
from caseapp.custody.looks import look_fields, record_look
from caseapp.evidence import ingest, management
from caseapp.evidence import service as evidence_service
from caseapp.evidence.downloads import original_download
from caseapp.evidence.forms import EvidenceDetailsForm, WithdrawForm
from caseapp.evidence.models import Evidence
from caseapp.evidence.upload import UploadError
from caseapp.extensions import csrf, db
from caseapp.fields import InvalidFields
from caseapp.forms import ActionForm
from caseapp.request_body import upload_stream
from caseapp.runtime import runtime
from caseapp.timezones import format_local, input_value
from caseapp.web import filesize

bp = Blueprint("evidence", __name__)


def load_evidence(case_id: str, evidence_id: str) -> tuple[CaseAccess, Evidence]:
    """An item the visitor may see (owner, advocate or link), with their access; or 404."""
    access = viewer_access(case_id)
    try:
        return access, visible_evidence(db.session, access, evidence_id)
    except evidence_service.EvidenceNotFound:
        abort(404)


def _csrf_valid(token: str) -> bool:
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/cases/<case_id>/evidence", methods=["POST"])
@csrf.exempt  # the token is checked inside the stream, before any file is stored
@login_required
def upload(case_id: str) -> ResponseReturnValue:
    case = owner_case(case_id)
    header_token = request.headers.get("X-CSRFToken")
    if header_token is not None and not _csrf_valid(header_token):
        return _refused(400, _("Your session expired. Reload the page and try again."))
    try:
        added = ingest.take_upload(
            db.session,
            runtime(),
            case,
            current_user,
            upload_stream(),
            request.content_type,
            request.content_length,
            str(get_timezone()),
            csrf_check=None if header_token is not None else _csrf_valid,
        )
    except UploadError as exc:
        return _refused(exc.status, _upload_message(exc))
    except InvalidFields as exc:
        return _refused(422, "; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
    if _wants_json():
        # The page adds `rows` to its evidence table instead of reloading, so the errors
        # of other files in the same batch stay on screen.
        return jsonify(
            {
                "items": [
                    {
                        "id": e.id,
                        "name": e.name,
                        "sha256": e.sha256,
                        "size": e.size,
                        "url": url_for("evidence.show", case_id=case.id, evidence_id=e.id),
                    }
                    for e in added
                ],
                "rows": render_template("evidence/_new_rows.html", case=case, items=added),
            }
        ), 201
    flash(_("%(count)d file(s) added to the vault.", count=len(added)), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="evidence"))


def _refused(status: int, message: str) -> ResponseReturnValue:
    if _wants_json():
        return jsonify({"error": {"code": "upload_refused", "message": message}}), status
    flash(message, "error")
    return redirect(request.referrer or url_for("cases.dashboard")), 303


def _upload_message(exc: UploadError) -> str:
    from caseapp.evidence import upload as up

    limit = filesize(runtime().settings.max_upload_bytes)
    messages = {
        up.UploadTooLarge: _("The file is larger than the %(limit)s limit.", limit=limit),
        up.EmptyFile: _("The file is empty."),
        up.NoFile: _("Choose a file to upload."),
        up.CsrfRequired: _("Your session expired. Reload the page and try again."),
        up.NotMultipart: _("The upload could not be read. Try again."),
    }
    return messages.get(type(exc), _("The upload could not be read. Try again."))


@bp.route("/cases/<case_id>/evidence/<evidence_id>")
def show(case_id: str, evidence_id: str) -> ResponseReturnValue:
    access, item = load_evidence(case_id, evidence_id)
    return _show_page(access, item)


def _show_page(
    access: CaseAccess,
    item: Evidence,
    details: EvidenceDetailsForm | None = None,
    withdrawal: WithdrawForm | None = None,
) -> str:
    """An item's page (the owner's, with the forms that manage it, or a shared view);
    the look goes in the custody log."""
    vault = runtime().vault
    forms = {}
    if access.is_owner:
        forms = {
            "details": details or _details_form(access.case, item),
            "withdrawal": withdrawal or WithdrawForm(formdata=None),
        }
    try:
        text = evidence_service.text_of(vault, item)
        page = render_template(
            "evidence/show.html" if access.is_owner else "evidence/shared.html",
            access=access,
            case=access.case,
            item=item,
            reading=evidence_service.reading_of(vault, item),
            text=evidence_service.email_body(text) if item.kind == "email" else text,
            html=_derived_html(item),
            transcript=evidence_service.transcript_of(vault, item),
            renditions=evidence_service.rendition_roles(item),
            children=[child for child in item.children if access.sees(child)],
            panels=runtime().panels.render("evidence", access, item),
            **forms,
        )
    except evidence_service.EvidenceNotIntact:
        abort(409)
    record_look(db.session, runtime().head_key, look_fields(access, item), "evidence.viewed")
    return page


def _details_form(case: Case, item: Evidence, formdata: bool = False) -> EvidenceDetailsForm:
    """The details form, filled from the item (or from the request when `formdata`)."""
    form = (
        EvidenceDetailsForm()
        if formdata
        else EvidenceDetailsForm(formdata=None, obj=item)
    )
    form.contact_ids.choices = [
        (event.id, f"{format_local(event.occurred_at, str(get_timezone()))} · "
         f"{CHANNELS.get(event.channel, event.channel)}"
         + (f" · #{event.reference}" if event.reference else ""))
        for event in case.events
    ]
    if not formdata:
        form.captured_at.data = input_value(item.captured_at, str(get_timezone()))
        form.contact_ids.data = [event.id for event in item.contacts]
    return form


def _owned_item(case_id: str, evidence_id: str) -> tuple[CaseAccess, Evidence]:
    """An item of the current user's own case, to change it: 404 unseen, 403 only shared."""
    case = owner_case(case_id)
    access = CaseAccess(case=case, role="owner", user=current_user)
    try:
        return access, visible_evidence(db.session, access, evidence_id)
    except evidence_service.EvidenceNotFound:
        abort(404)


@bp.route("/cases/<case_id>/evidence/<evidence_id>/details", methods=["POST"])
@login_required
def change_details(case_id: str, evidence_id: str) -> ResponseReturnValue:
    access, item = _owned_item(case_id, evidence_id)
    form = _details_form(access.case, item, formdata=True)
    if form.validate_on_submit():
        try:
            management.change_evidence(
                db.session,
                runtime().head_key,
                current_user,
                item,
                form.values(),
                str(get_timezone()),
            )
        except InvalidFields as exc:
            form.attach_errors(exc.errors)
        else:
            flash(_("Evidence details saved."), "success")
            return redirect(url_for("evidence.show", case_id=case_id, evidence_id=item.id))
    return _show_page(access, item, details=form), 422


@bp.route("/cases/<case_id>/evidence/<evidence_id>/withdraw", methods=["POST"])
@login_required
def withdraw(case_id: str, evidence_id: str) -> ResponseReturnValue:
    access, item = _owned_item(case_id, evidence_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            management.withdraw(
                db.session, runtime().head_key, current_user, item, form.reason.data
            )
        except InvalidFields as exc:
            form.attach_errors(exc.errors)
        except management.AlreadyWithdrawn:
            flash(_("This item is withdrawn already."), "info")
            return redirect(url_for("evidence.show", case_id=case_id, evidence_id=item.id))
        else:
            flash(
                _("Withdrawn: it is left out of new dossiers and of every share. "
                  "The original and its custody trail are kept."),
                "success",
            )
            return redirect(url_for("evidence.show", case_id=case_id, evidence_id=item.id))
    return _show_page(access, item, withdrawal=form), 422


@bp.route("/cases/<case_id>/evidence/<evidence_id>/restore", methods=["POST"])
@login_required
def restore(case_id: str, evidence_id: str) -> ResponseReturnValue:
    _access, item = _owned_item(case_id, evidence_id)
    if ActionForm().validate_on_submit():
        try:
            management.restore(db.session, runtime().head_key, current_user, item)
            flash(_("Restored: the item is back in dossiers and shares."), "success")
        except management.NotWithdrawn:
            flash(_("This item is not withdrawn."), "info")
    return redirect(url_for("evidence.show", case_id=case_id, evidence_id=item.id))


def _derived_html(item: Evidence) -> str | None:
    raw = evidence_service.derived_bytes(runtime().vault, item, "html")
    return raw.decode("utf-8") if raw is not None else None


@bp.route("/cases/<case_id>/evidence/<evidence_id>/original")
def original(case_id: str, evidence_id: str) -> ResponseReturnValue:
    access, item = load_evidence(case_id, evidence_id)
    if not access.allow_originals:
        abort(403)
    try:
        return original_download(access, item)
    except evidence_service.EvidenceNotIntact:
        abort(409)


@bp.route("/cases/<case_id>/evidence/<evidence_id>/renditions/<role>")
def rendition(case_id: str, evidence_id: str, role: str) -> ResponseReturnValue:
    _access, item = load_evidence(case_id, evidence_id)
    try:
        found = evidence_service.rendition(runtime().vault, item, role)
    except evidence_service.EvidenceNotIntact:
        abort(409)
    if found is None:
        abort(404)
    data, media_type = found
    return Response(data, content_type=media_type)  # no-store, like every case address


@bp.route("/cases/<case_id>/evidence/reading")
def reading_state(case_id: str) -> ResponseReturnValue:
    """How many of the case's items the visitor sees are still waiting to be read."""
    access = viewer_access(case_id)
    unread = evidence_service.unread_count(
        db.session, access.case, only=access.evidence_ids, hidden=access.withdrawn_ids
    )
    return jsonify({"unread": unread, "done": unread == 0})


@bp.route("/cases/<case_id>/evidence/search")
def search(case_id: str) -> ResponseReturnValue:
    access = viewer_access(case_id)
    query = request.args.get("q", "")[:200]
    try:
        hits = evidence_service.search_case(db.session, runtime().vault, access.case, query)
    except evidence_service.EvidenceNotIntact:
        abort(409)
    hits = [hit for hit in hits if access.sees(hit.evidence)]
    return render_template("evidence/search.html", case=access.case, query=query, hits=hits)
