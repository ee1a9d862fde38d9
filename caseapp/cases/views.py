"""Pages for cases and their contacts: dashboard, list, case page, forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

from caseapp.access.viewer import owner_case, viewer_access
from caseapp.cases import service
from caseapp.cases.forms import CaseForm, ContactForm, ServiceForm, StatusForm
from caseapp.cases.models import Case, Event
from caseapp.cases.vocabulary import CATEGORY_BY_CODE, CHANNELS, DIRECTIONS, STATUSES
from caseapp.custody import log as custody
from caseapp.custody import looks, panel
from caseapp.custody.log import ACTION_LABELS
from caseapp.custody.redaction import need_to_know
from caseapp.evidence import management
from caseapp.evidence import service as evidence_service
from caseapp.evidence.vocabulary import KIND_LABELS
from caseapp.extensions import db
from caseapp.fields import InvalidFields
from caseapp.forms import ActionForm
from caseapp.pagination import BadCursor
from caseapp.runtime import runtime
from caseapp.timezones import input_value

bp = Blueprint("cases", __name__)


@bp.app_context_processor
def _vocabulary() -> dict[str, object]:
    return {
        "STATUSES": STATUSES,
        "CHANNELS": CHANNELS,
        "DIRECTIONS": DIRECTIONS,
        "CATEGORY_BY_CODE": CATEGORY_BY_CODE,
        "ACTION_LABELS": ACTION_LABELS,
        "KIND_LABELS": KIND_LABELS,
        # Only ever rendered for its CSRF token: never read the request body for it (an
        # error page for a body refused as too large would read it again).
        "action_form": lambda: ActionForm(formdata=None),
    }


def load_case(case_id: str) -> Case:
    """The current user's own case, to change it: 404 when not theirs, 403 when only shared."""
    return owner_case(case_id)


def load_contact(case: Case, event_id: str) -> Event:
    """A contact of the case, or 404."""
    try:
        return service.get_event(db.session, case, event_id)
    except service.EventNotFound:
        abort(404)


def submit(form: ServiceForm, action: Callable[[dict[str, Any]], str], saved: str) -> Any:
    """Run `action` (a service call) with a valid form's values and go where it says.

    Returns None (show the form again) when the form was not sent, or when the service
    refused the values: then nothing is stored and each error sits next to its field.
    """
    if not form.validate_on_submit():
        return None
    try:
        target = action(form.values())
    except InvalidFields as exc:
        form.attach_errors(exc.errors)
        return None
    flash(saved, "success")
    return redirect(target)


def _tz() -> str:
    return str(get_timezone())


@bp.route("/")
@login_required
def dashboard() -> ResponseReturnValue:
    if current_user.role == "advocate":
        return redirect(url_for("shares.dashboard"))
    recent = service.list_cases(db.session, current_user, limit=5, cursor=None)
    return render_template(
        "cases/dashboard.html",
        recent=recent.items,
        follow_ups=service.follow_ups(db.session, current_user),
    )


@bp.route("/cases")
@login_required
def index() -> ResponseReturnValue:
    query = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    try:
        page = service.list_cases(
            db.session,
            current_user,
            query=query,
            status=status,
            limit=20,
            cursor=request.args.get("cursor"),
        )
    except BadCursor:
        abort(400)
    return render_template("cases/index.html", page=page, query=query, status=status)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    form = CaseForm()
    form.not_after(("incident_at",), _tz())

    def open_case(values: dict[str, Any]) -> str:
        case = service.open_case(db.session, runtime().head_key, current_user, values, _tz())
        return url_for("cases.show", case_id=case.id)

    done = submit(
        form, open_case, _("Case opened. Log each contact with the company as it happens.")
    )
    return done or render_template("cases/form.html", form=form, case=None)


@bp.route("/cases/<case_id>")
def show(case_id: str) -> ResponseReturnValue:
    """The case page: everything for its owner, what their share shows for anyone else.

    Other capabilities add their panels (sharing: comments, reviews); a viewer's visit
    is logged. The custody panel is filtered and paged by `custody_kind` and
    `custody_page`.
    """
    access = viewer_access(case_id)
    case = access.case
    evidence = [
        item for item in evidence_service.all_evidence(db.session, case) if access.sees(item)
    ]
    log = panel.lines(access, custody.entries(db.session, case.id))
    page = render_template(
        "cases/show.html" if access.is_owner else "cases/shared.html",
        access=access,
        case=case,
        category=CATEGORY_BY_CODE.get(case.category),
        timeline=service.timeline(db.session, case),
        status_form=StatusForm(formdata=None, obj=case) if access.is_owner else None,
        custody_panel=panel.panel_page(
            log,
            panel.subject_names(case.events, evidence, _tz()),
            _tz(),
            kind=request.args.get("custody_kind", ""),
            page=request.args.get("custody_page", 1, type=int) or 1,
        ),
        custody_kinds=panel.KINDS,
        custody_head=custody.head_of(db.session, case.id),
        evidence=evidence,
        contact_evidence=management.case_evidence_by_contact(db.session, case),
        max_upload_bytes=runtime().settings.max_upload_bytes,
        panels=runtime().panels.render("case", access),
    )
    looks.note_visit(db.session, runtime().head_key, access)
    return page


@bp.route("/cases/<case_id>/custody")
def custody_log(case_id: str) -> ResponseReturnValue:
    """The full chain-of-custody log, every entry with its seq and hash.

    What the case page's panel tells in sentences, as written: the owner reads every
    entry, anyone else reads it through custody.redaction, as in the API.
    """
    access = viewer_access(case_id)
    entries = custody.entries(db.session, access.case.id)
    page = render_template(
        "cases/custody_log.html",
        access=access,
        case=access.case,
        custody_entries=entries if access.is_owner else need_to_know(access, entries),
        custody_head=custody.head_of(db.session, access.case.id),
    )
    looks.note_visit(db.session, runtime().head_key, access)
    return page


@bp.route("/cases/<case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: str) -> ResponseReturnValue:
    case = load_case(case_id)
    form = CaseForm(obj=case)
    form.not_after(("incident_at",), _tz())
    if request.method == "GET":
        form.incident_at.data = input_value(case.incident_at, _tz())

    def change_case(values: dict[str, Any]) -> str:
        service.change_case(db.session, runtime().head_key, current_user, case, values, _tz())
        return url_for("cases.show", case_id=case.id)

    done = submit(form, change_case, _("Case saved."))
    return done or render_template("cases/form.html", form=form, case=case)


@bp.route("/cases/<case_id>/status", methods=["POST"])
@login_required
def change_status(case_id: str) -> ResponseReturnValue:
    """The case page's one-step status change; the timeline shows it from then on."""
    case = load_case(case_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            service.change_case(
                db.session, runtime().head_key, current_user, case, form.values(), _tz()
            )
        except InvalidFields:
            flash(_("Choose one of the statuses."), "error")
        else:
            flash(_("Status changed to “%(status)s”.", status=STATUSES[case.status]), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def _with_evidence_choices(form: ContactForm, case: Case) -> ContactForm:
    """The contact form with the case's evidence to pick from (withdrawn ones marked, so
    saving the form keeps their links as they are)."""
    form.evidence_ids.choices = [
        (
            item.id,
            f"#{item.number} {item.name}" + (f" ({_('withdrawn')})" if item.withdrawn else ""),
        )
        for item in evidence_service.all_evidence(db.session, case)
    ]
    return form


@bp.route("/cases/<case_id>/contacts/new", methods=["GET", "POST"])
@login_required
def new_contact(case_id: str) -> ResponseReturnValue:
    case = load_case(case_id)
    form = _with_evidence_choices(ContactForm(), case)
    form.not_after(("occurred_at",), _tz())

    def log_contact(values: dict[str, Any]) -> str:
        service.log_contact(db.session, runtime().head_key, current_user, case, values, _tz())
        return url_for("cases.show", case_id=case.id, _anchor="chronology")

    done = submit(form, log_contact, _("Contact logged."))
    return done or render_template("cases/contact_form.html", form=form, case=case, event=None)


@bp.route("/cases/<case_id>/contacts/<event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_contact(case_id: str, event_id: str) -> ResponseReturnValue:
    case = load_case(case_id)
    event = load_contact(case, event_id)
    form = _with_evidence_choices(ContactForm(obj=event), case)
    form.not_after(("occurred_at",), _tz())
    if request.method == "GET":
        form.occurred_at.data = input_value(event.occurred_at, _tz())
        form.follow_up_at.data = input_value(event.follow_up_at, _tz())
        linked = management.linked_evidence(db.session, [event.id]).get(event.id, [])
        form.evidence_ids.data = [item.id for item in linked]

    def change_contact(values: dict[str, Any]) -> str:
        service.change_contact(db.session, runtime().head_key, current_user, event, values, _tz())
        return url_for("cases.show", case_id=case.id, _anchor=f"contact-{event.id}")

    done = submit(form, change_contact, _("Contact saved."))
    return done or render_template("cases/contact_form.html", form=form, case=case, event=event)


@bp.route("/cases/<case_id>/contacts/<event_id>/delete", methods=["POST"])
@login_required
def delete_contact(case_id: str, event_id: str) -> ResponseReturnValue:
    case = load_case(case_id)
    event = load_contact(case, event_id)
    if ActionForm().validate_on_submit():
        service.delete_contact(db.session, runtime().head_key, current_user, event)
        flash(_("Contact deleted. The custody log keeps a record that it existed."), "info")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="chronology"))


@bp.route("/cases/<case_id>/contacts/<event_id>/follow-up-done", methods=["POST"])
@login_required
def follow_up_done(case_id: str, event_id: str) -> ResponseReturnValue:
    case = load_case(case_id)
    event = load_contact(case, event_id)
    if ActionForm().validate_on_submit():
        service.change_contact(
            db.session, runtime().head_key, current_user, event, {"follow_up_done": True}, _tz()
        )
        flash(_("Follow-up marked as done."), "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("cases.dashboard")
    )
