"""Register, log in (with a second step when two-factor is on), log out, change
password, personal settings, two-factor enrolment and API tokens."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from caseapp.accounts import login as login_steps
from caseapp.accounts import passwords, service, tokens, two_factor
from caseapp.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    DisableTwoFactorForm,
    LoginForm,
    RegisterForm,
    SettingsForm,
    TokenForm,
)
from caseapp.cookies import set_cookie
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.forms import ActionForm
from caseapp.i18n import LANGUAGE_COOKIE, LOCALES
from caseapp.pagination import MAX_LIMIT
from caseapp.qr import qr_code_data_uri
from caseapp.runtime import runtime
from caseapp.throttle import Throttled, address_key
from caseapp.throttle.web import throttled_page
from caseapp.timezones import UnknownZone, default_zone_for, zone_choices

bp = Blueprint("accounts", __name__)

# Between a right password and a right code, the browser's signed session holds who is
# logging in and until when; nothing else is granted meanwhile.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60
# What an account that must enrol may still reach before it has: the page to enrol,
# logging out and the language switch. The API authenticates by token, not by this login.
ENROLMENT_OPEN = {
    "static",
    "accounts.two_factor",
    "accounts.logout",
    "accounts.choose_language",
}


def _safe_next(target: str | None) -> str:
    """`target` when it is a plain path on this site, else the dashboard.

    An open redirect makes phishing links look like ours, and browsers are lenient:
    they drop tabs and newlines inside URLs and read a backslash as a slash, so
    `/<TAB>/evil.example` or `/\\evil.example` lead off-site, and a newline in a
    Location header is an error. So: a path starting with one slash, no `//` or
    backslash, no control character, before or after percent-decoding, no scheme or host.
    """
    fallback = url_for("cases.dashboard")
    if not target or not target.startswith("/"):
        return fallback
    for text in (target, unquote(target)):
        if "//" in text or "\\" in text or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
            return fallback
    try:
        parts = urlsplit(target)
    except ValueError:
        return fallback
    return fallback if parts.scheme or parts.netloc else target


def _should_enrol(user: Any) -> bool:
    """Whether this user's role calls for a second factor and the account has none."""
    return (
        user.role in runtime().settings.two_factor_required_roles
        and not two_factor.is_enrolled(user)
    )


def _must_enrol(user: Any) -> bool:
    """Whether the user may do nothing before enrolling (`two_factor_enforce_enrolment`)."""
    return runtime().settings.two_factor_enforce_enrolment and _should_enrol(user)


@bp.app_context_processor
def _two_factor_reminder() -> dict[str, Any]:
    # Every page of an account whose role calls for a second factor reminds it until it
    # has one (the enrolment page itself excepted).
    def due() -> bool:
        return (
            current_user.is_authenticated
            and request.endpoint != "accounts.two_factor"
            and _should_enrol(current_user)
        )

    return {"two_factor_reminder_due": due}


@bp.before_app_request
def _require_enrolment() -> WerkzeugResponse | None:
    # Where the instance enforces it, every page leads to enrolment until the account
    # whose role requires it has enrolled.
    if request.endpoint in ENROLMENT_OPEN or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and _must_enrol(current_user):
        return redirect(url_for("accounts.two_factor"))
    return None


def _begin(user: service.User, target: str) -> WerkzeugResponse:
    """Give the browser the login session a service just stored and go to `target`,
    remembering the user's language for after logout."""
    session.clear()
    login_user(user)
    if _must_enrol(user):
        flash(_("Your account needs two-factor authentication: set it up to continue."), "info")
        target = url_for("accounts.two_factor")
    response = redirect(target)
    if user.locale in LOCALES:
        _remember_language(response, user.locale)
    return response


def _remember_language(response: WerkzeugResponse, locale: str) -> None:
    # For a year, so pages before login (and after logout) stay in the user's language.
    set_cookie(response, LANGUAGE_COOKIE, locale, max_age=365 * 86400)


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
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
            user = login_steps.register(
                db.session,
                runtime().passwords,
                email=form.email.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=form.locale.data,
                timezone=default_zone_for(form.locale.data),
            )
        except service.AccountError as exc:
            if isinstance(exc, service.WeakPassword):
                form.password.errors = [*form.password.errors, *_account_errors(exc)]
            else:
                form.email.errors = [*form.email.errors, *_account_errors(exc)]
        else:
            response = _begin(user, url_for("cases.dashboard"))
            flash(_("Welcome! Open your first case to start keeping the record."), "success")
            return response
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
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
        passed = login_steps.log_in(
            db.session, runtime().passwords, form.email.data or "", form.password.data or ""
        )
        if passed is None:
            flash(_("Wrong email or password."), "error")
        elif passed.needs_code:
            runtime().throttle.succeeded("login", **attempt)
            session.clear()
            session[PENDING_KEY] = {
                "user": passed.user.id,
                "until": time.time() + PENDING_SECONDS,
                "next": _safe_next(request.args.get("next")),
            }
            return redirect(url_for("accounts.login_code"))
        else:
            runtime().throttle.succeeded("login", **attempt)
            return _begin(passed.user, _safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


def _pending_user() -> service.User | None:
    """Who passed the password step less than PENDING_SECONDS ago, if anyone."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not float(pending.get("until", 0)) > time.time():
        return None
    user = db.session.get(service.User, str(pending.get("user")))
    return user if user is not None and two_factor.is_enrolled(user) else None


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("cases.dashboard"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        # Codes are guessed per account: counted before the code is looked at.
        try:
            runtime().throttle.check("two_factor", account=user.id)
        except Throttled as exc:
            return throttled_page("accounts/login_code.html", exc, form=form)
        try:
            used = login_steps.log_in_with_code(db.session, user, form.code.data or "")
        except two_factor.InvalidCode:
            form.code.errors = [*form.code.errors, _invalid_code()]
        else:
            runtime().throttle.succeeded("two_factor", account=user.id)
            response = _begin(user, _safe_next(session.get(PENDING_KEY, {}).get("next")))
            if used == "recovery":
                left = two_factor.remaining_recovery_codes(db.session, user)
                flash(_("You used a recovery code; %(count)d left.", count=left), "warning")
            return response
    return render_template("accounts/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = ActionForm()
    session.pop(PENDING_KEY, None)
    if form.validate_on_submit() and current_user.is_authenticated:
        service.end_session(db.session, current_user.current_session_id)
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    form = SettingsForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            service.change_settings(
                db.session,
                current_user,
                display_name=form.display_name.data or "",
                locale=form.locale.data,
                timezone=form.timezone.data,
            )
        except UnknownZone:
            form.timezone.errors = [*form.timezone.errors, _("Unknown time zone.")]
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(form=form, password_form=password_form)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password() -> ResponseReturnValue:
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
            password_form.new.errors = [*password_form.new.errors, *_account_errors(exc)]
        else:
            session.clear()
            login_user(current_user._get_current_object())
            if runtime().settings.password_change_revokes_tokens:
                message = _("Password changed. Every other login has ended, every API token too.")
            else:
                message = _("Password changed. Every other login has been ended.")
            flash(message, "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(form=form, password_form=password_form, status=422)


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@login_required
def two_factor_page() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if two_factor.is_enrolled(user):
        return _manage_page(user)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(db.session, user, form.code.data or "")
        except two_factor.InvalidCode:
            form.code.errors = [*form.code.errors, _invalid_code()]
        else:
            done = _("Two-factor authentication is on. Every other login has been ended.")
            flash(done, "success")
            return render_template("accounts/recovery_codes.html", codes=codes)
    # The pending secret (stored on the first visit) to show, or to show again.
    secret = two_factor.start_enrolment(db.session, user)
    uri = two_factor.provisioning_uri(user, secret, runtime().settings.organisation)
    return render_template(
        "accounts/two_factor_enrol.html",
        form=form,
        secret=secret,
        qr_code=qr_code_data_uri(uri),
    ), (422 if form.errors else 200)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def regenerate_recovery_codes() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("accounts.two_factor"))
    form = CodeForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(db.session, user, form.code.data or "")
        except two_factor.TwoFactorError:
            form.code.errors = [*form.code.errors, _invalid_code()]
        else:
            flash(_("New recovery codes made; the old ones no longer work."), "success")
            return render_template("accounts/recovery_codes.html", codes=codes)
    return _manage_page(user, codes_form=form)


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def disable_two_factor() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("accounts.two_factor"))
    form = DisableTwoFactorForm(prefix="off")
    if form.validate_on_submit():
        try:
            password, code = form.password.data or "", form.code.data or ""
            two_factor.disable(
                db.session,
                runtime().passwords,
                user,
                password,
                code,
                required_roles=runtime().settings.two_factor_required_roles,
            )
        except service.WrongPassword:
            form.password.errors = [*form.password.errors, _("The current password is wrong.")]
        except two_factor.TwoFactorRequired:
            flash(_("Your role keeps two-factor authentication on."), "error")
            return redirect(url_for("accounts.two_factor"))
        except two_factor.TwoFactorError:
            form.code.errors = [*form.code.errors, _invalid_code()]
        else:
            flash(_("Two-factor authentication is off. Every other login has been ended."), "info")
            return redirect(url_for("accounts.two_factor"))
    return _manage_page(user, off_form=form)


def _manage_page(
    user: service.User,
    codes_form: CodeForm | None = None,
    off_form: DisableTwoFactorForm | None = None,
) -> tuple[str, int]:
    """The page of an enrolled user: recovery codes left, new codes, turning it off."""
    failed = codes_form is not None or off_form is not None
    return render_template(
        "accounts/two_factor.html",
        remaining=two_factor.remaining_recovery_codes(db.session, user),
        codes_form=codes_form or CodeForm(prefix="codes"),
        off_form=off_form or DisableTwoFactorForm(prefix="off"),
        kept_on=user.role in runtime().settings.two_factor_required_roles,
    ), (422 if failed else 200)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    token_form = TokenForm(prefix="token")
    if not token_form.validate_on_submit():
        return _settings_page(token_form=token_form, status=422)
    issued = tokens.create_token(
        db.session,
        current_user,
        name=token_form.name.data or "",
        expires_at=tokens.expiry_after(token_form.expires_in_days()),
    )
    return _settings_page(new_token=issued)


@bp.route("/account/tokens/<token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: str) -> ResponseReturnValue:
    try:
        token = tokens.owned_token(db.session, current_user, token_id)
    except tokens.TokenNotFound:
        abort(404)
    if ActionForm().validate_on_submit():
        tokens.revoke_token(db.session, token)
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
    """/account: settings, password, second factor and API tokens, each form as
    submitted or fresh."""
    return render_template(
        "accounts/settings.html",
        form=form or SettingsForm(obj=current_user, formdata=None),
        password_form=password_form or ChangePasswordForm(prefix="pw", formdata=None),
        token_form=token_form or TokenForm(prefix="token", formdata=None),
        api_tokens=tokens.user_tokens(
            db.session, current_user, limit=MAX_LIMIT, cursor=None
        ).items,
        new_token=new_token,
        two_factor_on=two_factor.is_enrolled(current_user),
        zone_choices=zone_choices(),
        now=utcnow(),
    ), status


@bp.route("/language/<locale>", methods=["POST"])
def choose_language(locale: str) -> ResponseReturnValue:
    form = ActionForm()
    response = redirect(_safe_next(request.form.get("next")))
    if form.validate_on_submit() and locale in LOCALES:
        _remember_language(response, locale)
        if current_user.is_authenticated:
            service.choose_language(db.session, current_user, locale)
    return response


def _invalid_code() -> str:
    return _("This code is not valid or was used already.")


def _account_errors(exc: service.AccountError) -> list[str]:
    if isinstance(exc, service.WeakPassword):
        return passwords.explain(exc.strength)
    messages = {
        service.EmailTaken: _("An account with this email already exists."),
        service.WrongPassword: _("The current password is wrong."),
        service.InvalidRole: _("Unknown role."),
    }
    return [messages.get(type(exc), _("This email address is not valid."))]
