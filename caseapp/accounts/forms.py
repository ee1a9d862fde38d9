"""Account forms. Field rules live in `accounts.service`; forms carry CSRF and labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

LOCALE_CHOICES = [SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    display_name = StringField(_l("Your name"))
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[InputRequired(), EqualTo("password", message=_l("Passwords do not match."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = PasswordField(_l("New password (at least 10 characters)"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[InputRequired(), EqualTo("new", message=_l("Passwords do not match."))],
    )


class SettingsForm(FlaskForm):
    display_name = StringField(_l("Your name"))
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    # Picked from the page's list of IANA zones (a <datalist>: type to search it).
    timezone = StringField(
        _l("Time zone"),
        render_kw={"list": "zone-choices", "autocomplete": "off", "spellcheck": "false"},
    )


class CodeForm(FlaskForm):
    """The second login step, confirming enrolment, regenerating recovery codes."""

    code = StringField(
        _l("Code"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[InputRequired()])
    code = StringField(
        _l("Code"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )
EXPIRY_CHOICES = [
    SelectChoice("30", _l("In 30 days")),
    SelectChoice("90", _l("In 90 days")),
    SelectChoice("365", _l("In a year")),
    SelectChoice("never", _l("Never")),
]


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    expires = SelectField(_l("Expires"), choices=EXPIRY_CHOICES, default="90")

    def expires_in_days(self) -> int | None:
        """The chosen lifetime in days; None for never."""
        return None if self.expires.data == "never" else int(self.expires.data or "90")
