"""Register, log in, log out, change password, personal settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from caseapp.accounts import service
from caseapp.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm, SettingsForm
from caseapp.cookies import set_cookie
from caseapp.extensions import db, limiter
from caseapp.forms import ActionForm
from caseapp.i18n import LANGUAGE_COOKIE, LOCALES
from caseapp.runtime import runtime
from caseapp.timezones import UnknownZone, default_zone_for, zone

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return runtime().settings.login_rate_limit


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
        _remember_language(response, user.locale)
    return response


def _remember_language(response: WerkzeugResponse, locale: str) -> None:
    # For a year, so pages before login (and after logout) stay in the user's language.
    set_cookie(response, LANGUAGE_COOKIE, locale, max_age=365 * 86400)


@bp.route("/register", methods=["GET", "POST"])
def register():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    form = RegisterForm()
    if request.method == "GET":
        form.locale.data = "zh_CN" if request.accept_languages.best_match(["zh", "zh-CN"]) else "en"
    if form.validate_on_submit():
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
@limiter.limit(_login_limit, methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(
            db.session, runtime().passwords, form.email.data or "", form.password.data or ""
        )
        if user is None:
            db.session.rollback()
            flash(_("Wrong email or password."), "error")
        else:
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
    return render_template("accounts/settings.html", form=form, password_form=password_form)


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
            )
        except service.AccountError as exc:
            db.session.rollback()
            password_form.new.errors = [*password_form.new.errors, _account_message(exc)]
        else:
            db.session.commit()
            session.clear()
            login_user(current_user._get_current_object())
            flash(_("Password changed. Every other login has been ended."), "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form, password_form=password_form), 422


@bp.route("/language/<locale>", methods=["POST"])
def choose_language(locale: str):  # type: ignore[no-untyped-def]
    form = ActionForm()
    response = redirect(_safe_next(request.form.get("next")))
    if form.validate_on_submit() and locale in LOCALES:
        _remember_language(response, locale)
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
