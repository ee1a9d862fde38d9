"""Register, log in, log out, change password, personal settings and API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from caseapp.accounts import service, tokens
from caseapp.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
    SettingsForm,
    TokenForm,
)
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.forms import ActionForm
from caseapp.i18n import LANGUAGE_COOKIE, LOCALES
from caseapp.pagination import MAX_LIMIT
from caseapp.runtime import runtime
from caseapp.throttle import Throttled, address_key
from caseapp.throttle.web import throttled_page
from caseapp.timezones import UnknownZone, default_zone_for, zone

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would make phishing links look like ours.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("cases.dashboard")


def _begin(user: service.User, target: str) -> WerkzeugResponse:
    """Log the user in and go to `target`, remembering their language for after logout."""
    service.start_session(db.session, user)
    db.session.commit()
    session.clear()
    login_user(user)
    response = redirect(target)
    if user.locale in LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE, user.locale, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return response


@bp.route("/register", methods=["GET", "POST"])
def register():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = "zh_CN" if request.accept_languages.best_match(["zh", "zh-CN"]) else "en"
    if form.validate_on_submit():
        try:
            runtime().throttle.check("register", address=address_key(request.remote_addr))
        except Throttled as exc:
            return throttled_page("accounts/register.html", exc, form=form)
        try:
            user = service.create_user(
                db.session,
                runtime().passwords,
                email=form.email.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=form.locale.data,
                timezone=default_zone_for(form.locale.data),
            )
        except service.AccountError as exc:
            db.session.rollback()
            form.email.errors = [*form.email.errors, _account_message(exc)]
        else:
            response = _begin(user, url_for("cases.dashboard"))
            flash(_("Welcome! Open your first case to start keeping the record."), "success")
            return response
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        # Counted before the password is looked at, and refused without looking at it.
        attempt = {
            "account": service.normalise_email(form.email.data or ""),
            "address": address_key(request.remote_addr),
        }
        try:
            runtime().throttle.check("login", **attempt)
        except Throttled as exc:
            return throttled_page("accounts/login.html", exc, form=form)
        user = service.authenticate(
            db.session, runtime().passwords, form.email.data or "", form.password.data or ""
        )
        if user is None:
            db.session.rollback()
            flash(_("Wrong email or password."), "error")
        else:
            runtime().throttle.succeeded("login", **attempt)
            return _begin(user, _safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)



@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    form = ActionForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        service.end_session(db.session, current_user.current_session_id)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings():  # type: ignore[no-untyped-def]
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            zone(form.timezone.data or "UTC")
        except UnknownZone:
            form.timezone.errors = [*form.timezone.errors, _("Unknown time zone.")]
        else:
            current_user.display_name = (form.display_name.data or "").strip()[:120]
            current_user.locale = form.locale.data if form.locale.data in LOCALES else None
            current_user.timezone = form.timezone.data or None
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(form=form, password_form=password_form)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        try:
            service.change_password(
                db.session,
                runtime().passwords,
                current_user,
                password_form.current.data or "",
                password_form.new.data or "",
                revoke_tokens=runtime().settings.password_change_revokes_tokens,
            )
        except service.AccountError as exc:
            db.session.rollback()
            password_form.new.errors = [*password_form.new.errors, _account_message(exc)]
        else:
            db.session.commit()
            session.clear()
            login_user(current_user._get_current_object())
            if runtime().settings.password_change_revokes_tokens:
                message = _("Password changed. Every other login has ended, every API token too.")
            else:
                message = _("Password changed. Every other login has been ended.")
            flash(message, "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(form=form, password_form=password_form, status=422)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():  # type: ignore[no-untyped-def]
    token_form = TokenForm(prefix="token")
    if not token_form.validate_on_submit():
        return _settings_page(token_form=token_form, status=422)
    issued = tokens.create_token(
        db.session,
        current_user,
        name=token_form.name.data or "",
        expires_at=tokens.expiry_after(token_form.expires_in_days()),
    )
    db.session.commit()
    g.no_store = True  # the page holds the token: no cache may keep it
    return _settings_page(new_token=issued)


@bp.route("/account/tokens/<token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: str):  # type: ignore[no-untyped-def]
    try:
        token = tokens.owned_token(db.session, current_user, token_id)
    except tokens.TokenNotFound:
        abort(404)
    if ActionForm().validate_on_submit():
        tokens.revoke_token(db.session, token)
        db.session.commit()
        flash(_("Token “%(name)s” revoked. It no longer works.", name=token.name), "success")
    return redirect(url_for("accounts.settings", _anchor="tokens"))


def _settings_page(
    *,
    form: SettingsForm | None = None,
    password_form: ChangePasswordForm | None = None,
    token_form: TokenForm | None = None,
    new_token: tokens.IssuedToken | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """/account: settings, password and API tokens, each form as submitted or fresh."""
    return render_template(
        "accounts/settings.html",
        form=form or SettingsForm(obj=current_user, formdata=None),
        password_form=password_form or ChangePasswordForm(prefix="pw", formdata=None),
        token_form=token_form or TokenForm(prefix="token", formdata=None),
        api_tokens=tokens.user_tokens(
            db.session, current_user, limit=MAX_LIMIT, cursor=None
        ).items,
        new_token=new_token,
        now=utcnow(),
    ), status


@bp.route("/language/<locale>", methods=["POST"])
def choose_language(locale: str):  # type: ignore[no-untyped-def]
    form = ActionForm()
    response = redirect(_safe_next(request.form.get("next")))
    if form.validate_on_submit() and locale in LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE, locale, max_age=365 * 86400, samesite="Lax", httponly=True
        )
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return response


def _account_message(exc: service.AccountError) -> str:
    messages = {
        service.EmailTaken: _("An account with this email already exists."),
        service.WeakPassword: _("The password must be at least 10 characters."),
        service.WrongPassword: _("The current password is wrong."),
        service.InvalidRole: _("Unknown role."),
    }
    return messages.get(type(exc), _("This email address is not valid."))
