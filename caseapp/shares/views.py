"""Share pages: sharing a case, the link swap, the advocate's dashboard and read-only
views, comments, review state, invitations."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from wtforms import SelectChoice

from caseapp.access.policy import case_access
from caseapp.access.viewer import (
    ended_page,
    grant_link,
    mark_share_view,
    owner_case,
    signed_in_user,
    viewer_access,
)
from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.accounts.passwords import explain as explain_password
from caseapp.cases.models import Case
from caseapp.evidence import service as evidence_service
from caseapp.evidence.models import Evidence
from caseapp.extensions import db
from caseapp.fields import InvalidFields
from caseapp.forms import ActionForm
from caseapp.qr import qr_code_data_uri
from caseapp.runtime import runtime
from caseapp.shares import comments, invitations, offers, service
from caseapp.shares.forms import (
    REVIEW_LABELS,
    AdvocateRegisterForm,
    CommentForm,
    ReviewForm,
    ShareForm,
)
from caseapp.shares.models import Share
from caseapp.throttle import Throttled, address_key
from caseapp.throttle.web import throttled_page
from caseapp.timezones import default_zone_for

bp = Blueprint("shares", __name__)

MAX_TOKEN_LENGTH = 100


@bp.after_app_request
def _no_referrer(response: Response) -> Response:
    if g.get("share_view"):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"REVIEW_LABELS": REVIEW_LABELS, "shared_with_me": _shared_with_me}


def _shared_with_me() -> bool:
    user = signed_in_user()
    return user is not None and (user.role == "advocate" or offers.has_shares(db.session, user))


def _tz() -> str:
    return str(get_timezone())


# -- the owner -----------------------------------------------------------------


def _share_form(case: Case, items: list[Evidence]) -> ShareForm:
    form = ShareForm()
    form.evidence_ids.choices = [
        SelectChoice(item.id, f"#{item.number} {item.name}") for item in items
    ]
    if request.method == "GET":
        form.evidence_ids.data = [item.id for item in items]
    return form


def _form_page(case: Case, form: ShareForm, items: list[Evidence]) -> str:
    return render_template(
        "shares/new.html",
        case=case,
        form=form,
        items={item.id: item for item in items},
        # Pictures show their thumbnail in the picker; other kinds an icon.
        thumbnails={
            item.id for item in items if "thumbnail" in evidence_service.rendition_roles(item)
        },
    )


@bp.route("/cases/<case_id>/shares/new")
@login_required
def new(case_id: str) -> ResponseReturnValue:
    case = owner_case(case_id)
    items = evidence_service.all_evidence(db.session, case, withdrawn=False)
    return _form_page(case, _share_form(case, items), items)


@bp.route("/cases/<case_id>/shares", methods=["POST"])
@login_required
def create(case_id: str) -> ResponseReturnValue:
    case = owner_case(case_id)
    items = evidence_service.all_evidence(db.session, case, withdrawn=False)
    form = _share_form(case, items)
    if form.validate_on_submit():
        try:
            created = service.create_share(
                db.session,
                runtime().head_key,
                current_user,
                case,
                form.share_values([item.id for item in items]),
                _tz(),
            )
        except InvalidFields as exc:
            form.attach_errors(exc.errors)
        else:
            mark_share_view()  # the page shows a secret address once
            if created.link_token:
                url = url_for("shares.open_link", token=created.link_token, _external=True)
            else:
                url = url_for("shares.invite", token=created.invite_token, _external=True)
            return render_template(
                "shares/created.html",
                case=case,
                share=created.share,
                url=url,
                qr_code=qr_code_data_uri(url),
            )
    return _form_page(case, form, items), 422


@bp.route("/cases/<case_id>/shares/<share_id>/revoke", methods=["POST"])
@login_required
def revoke(case_id: str, share_id: str) -> ResponseReturnValue:
    case = owner_case(case_id)
    share = db.session.get(Share, share_id)
    if share is None or share.case_id != case.id:
        abort(404)
    if ActionForm().validate_on_submit():
        service.revoke_share(db.session, runtime().head_key, current_user, share)
        flash(_("Share revoked. It no longer opens, from now on."), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="shares"))


# -- both sides -------------------------------------------------------------------


@bp.route("/cases/<case_id>/comments", methods=["POST"])
@login_required
def comment(case_id: str) -> ResponseReturnValue:
    access = viewer_access(case_id)
    form = CommentForm()
    if access.user is None:
        abort(403)
    if form.validate_on_submit():
        try:
            comments.add_comment(db.session, runtime().head_key, access, form.values())
        except InvalidFields:
            flash(_("Write a comment first (up to 10,000 characters)."), "error")
        else:
            flash(_("Comment sent."), "success")
    if form.evidence_id.data:
        return redirect(
            url_for(
                "evidence.show",
                case_id=access.case.id,
                evidence_id=form.evidence_id.data,
                _anchor="comments",
            )
        )
    return redirect(url_for("cases.show", case_id=access.case.id, _anchor="comments"))


# -- the advocate ------------------------------------------------------------------


@bp.route("/shared")
@login_required
def dashboard() -> ResponseReturnValue:
    rows = []
    for share in service.advocate_shares(db.session, current_user):
        access = case_access(db.session, share.case_id, user=current_user)
        rows.append(
            (share, service.last_activity(share), comments.unread_count(db.session, access))
        )
    return render_template(
        "shares/dashboard.html",
        rows=rows,
        offers=offers.offers_for(db.session, current_user),
        blocked=offers.blocked_senders(db.session, current_user),
    )


def _offer(share_id: str) -> Share:
    try:
        return offers.find_offer(db.session, current_user, share_id)
    except service.ShareNotFound:
        abort(404)
    except offers.NotYourOffer:
        abort(403)


@bp.route("/shares/<share_id>/accept", methods=["POST"])
@login_required
def accept(share_id: str) -> ResponseReturnValue:
    share = _offer(share_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("shares.dashboard"))
    offers.accept_offer(db.session, runtime().head_key, current_user, share)
    flash(_("Offer accepted. The case is now on your list."), "success")
    return redirect(url_for("cases.show", case_id=share.case_id))


@bp.route("/shares/<share_id>/decline", methods=["POST"])
@login_required
def decline(share_id: str) -> ResponseReturnValue:
    share = _offer(share_id)
    if ActionForm().validate_on_submit():
        offers.decline_offer(db.session, runtime().head_key, current_user, share)
        flash(_("Offer declined."), "info")
    return redirect(url_for("shares.dashboard"))


@bp.route("/shares/<share_id>/block", methods=["POST"])
@login_required
def block(share_id: str) -> ResponseReturnValue:
    share = _offer(share_id)
    if ActionForm().validate_on_submit():
        sender = offers.block_sender(db.session, runtime().head_key, current_user, share)
        flash(
            _("Offer declined. You will not see offers from %(email)s again.", email=sender.email),
            "info",
        )
    return redirect(url_for("shares.dashboard"))


@bp.route("/shared/blocked/<sender_id>/unblock", methods=["POST"])
@login_required
def unblock(sender_id: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        offers.unblock_sender(db.session, current_user, sender_id)
        flash(_("Sender unblocked: their offers show here again."), "success")
    return redirect(url_for("shares.dashboard", _anchor="blocked"))


@bp.route("/shares/<share_id>/review", methods=["POST"])
@login_required
def review(share_id: str) -> ResponseReturnValue:
    try:
        share, part = service.find_share(db.session, current_user, share_id)
    except service.ShareNotFound:
        abort(404)
    if part != "advocate":
        abort(403)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            service.set_review_state(
                db.session, runtime().head_key, current_user, share, form.review_state.data
            )
        except InvalidFields:
            flash(_("Choose one of the review states."), "error")
        else:
            flash(_("Review state saved. The complainant sees it."), "success")
    return redirect(url_for("cases.show", case_id=share.case_id, _anchor="review"))


# -- links and invitations --------------------------------------------------------


@bp.route("/s/<token>")
def open_link(token: str) -> ResponseReturnValue:
    mark_share_view()
    if len(token) > MAX_TOKEN_LENGTH:
        abort(404)
    try:
        share = service.open_link(db.session, runtime().head_key, token)
    except service.ShareEnded as exc:
        return ended_page(exc.state, link=True)
    except service.ShareNotFound:
        abort(404)
    return grant_link(redirect(url_for("cases.show", case_id=share.case_id)), share)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> ResponseReturnValue:
    """The invitation an offer comes with: accept or decline it when logged in as the
    advocate; register through it otherwise. The page is the same whether or not the
    email has an account, so whoever holds the link learns nothing from it."""
    mark_share_view()
    try:
        share = invitations.invitation(db.session, token[:MAX_TOKEN_LENGTH])
    except invitations.InvitationNotFound:
        abort(404)
    user = signed_in_user()
    if user is not None:
        if request.method == "POST" and ActionForm().validate_on_submit():
            return _answer_invitation(user, share, token)
        return render_template("shares/invite.html", share=share, form=None)
    form = AdvocateRegisterForm()
    if request.method == "GET":
        form.locale.data = "zh_CN" if request.accept_languages.best_match(["zh", "zh-CN"]) else "en"
    if form.validate_on_submit():
        try:
            runtime().throttle.check("register", address=address_key(request.remote_addr))
        except Throttled as exc:
            return throttled_page("shares/invite.html", exc, share=share, form=form)
        try:
            advocate = invitations.register_advocate(
                db.session,
                runtime().passwords,
                runtime().head_key,
                token,
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=form.locale.data,
                timezone=default_zone_for(form.locale.data),
            )
        except accounts.EmailTaken:
            flash(
                _("An account with this email exists. Log in, then open this link again."),
                "info",
            )
        except accounts.AccountError as exc:
            form.password.errors = [
                *form.password.errors,
                *(
                    explain_password(exc.strength)
                    if isinstance(exc, accounts.WeakPassword)
                    else [_("This email address is not valid.")]
                ),
            ]
        else:
            session.clear()
            login_user(advocate)
            flash(_("Welcome! Here is the case shared with you."), "success")
            return redirect(url_for("cases.show", case_id=share.case_id))
    return render_template("shares/invite.html", share=share, form=form)


def _answer_invitation(user: User, share: Share, token: str) -> ResponseReturnValue:
    declining = request.form.get("answer") == "decline"
    answer = invitations.decline_invitation if declining else invitations.accept_invitation
    try:
        answer(db.session, runtime().head_key, user, token)
    except invitations.InvitationForSomeoneElse:
        flash(
            _(
                "This invitation is for %(email)s. Log out and open the link again.",
                email=share.advocate_email,
            ),
            "error",
        )
        return render_template("shares/invite.html", share=share, form=None)
    if declining:
        flash(_("Offer declined."), "info")
        return redirect(url_for("shares.dashboard"))
    flash(_("Offer accepted. The case is now on your list."), "success")
    return redirect(url_for("cases.show", case_id=share.case_id))
