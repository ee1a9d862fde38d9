"""Case and contact forms. They render fields and carry CSRF; `cases.service` validates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from caseapp.cases.service import CASE_FIELDS, EVENT_FIELDS
from caseapp.cases.vocabulary import CATEGORIES, CHANNELS, DIRECTIONS, STATUSES
from caseapp.database import utcnow
from caseapp.fields import FUTURE_SLACK, FieldSpec, Message
from caseapp.forms import ChecklistField
from caseapp.timezones import input_value

_TIME = {"type": "datetime-local"}


def _choices(vocabulary: dict[str, object]) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in vocabulary.items()]


def _choose_first() -> list[SelectChoice]:
    # An empty first option, so a required choice is made on purpose and never taken
    # silently from whichever option happens to come first.
    return [SelectChoice("", _l("Please choose"))]


class ServiceForm(FlaskForm):
    """A form whose values go to a service function as plain strings.

    `specs` are that service's field rules: the fields it refuses empty are marked as
    required on the page (asterisk, `required`, `aria-required`), from the one rule.
    """

    specs: ClassVar[dict[str, FieldSpec]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, spec in self.specs.items():
            field = self._fields.get(name)
            if field is not None and spec.required:
                field.flags.required = True

    def values(self) -> dict[str, Any]:
        """Field values keyed by name, CSRF token left out."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def attach_errors(self, errors: dict[str, Message]) -> None:
        """Show the service's field errors next to the fields, in the page's language."""
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, str(message)]

    def not_after(self, names: tuple[str, ...], tz_name: str, now: datetime | None = None) -> None:
        """Let the browser's date picker offer no time the service would refuse as future."""
        latest = input_value((now or utcnow()) + FUTURE_SLACK, tz_name)
        for name in names:
            field = self._fields[name]
            # A new dict: render_kw is shared by every form built from the class.
            field.render_kw = {**(field.render_kw or {}), "max": latest}


class CaseForm(ServiceForm):
    specs = CASE_FIELDS

    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    counterparty = StringField(_l("Company"), render_kw={"maxlength": 200})
    category = SelectField(
        _l("Problem type"),
        choices=[*_choose_first(), *(SelectChoice(c.code, c.label) for c in CATEGORIES)],
        validate_choice=False,
    )
    amount = StringField(_l("Amount at stake"), render_kw={"inputmode": "decimal"})
    currency = StringField(_l("Currency"), render_kw={"maxlength": 12, "placeholder": "CNY / USDT"})
    incident_at = StringField(_l("When it started"), render_kw=_TIME)
    desired_outcome = TextAreaField(_l("What you want"), render_kw={"rows": 3})
    description = TextAreaField(_l("What happened"), render_kw={"rows": 6})


class StatusForm(ServiceForm):
    """The case page's one-step status change."""

    status = SelectField(_l("Status"), choices=_choices(STATUSES), validate_choice=False)


class ContactForm(ServiceForm):
    specs = EVENT_FIELDS

    occurred_at = StringField(_l("When"), render_kw=_TIME)
    channel = SelectField(
        _l("Channel"), choices=[*_choose_first(), *_choices(CHANNELS)], validate_choice=False
    )
    direction = SelectField(_l("Direction"), choices=_choices(DIRECTIONS), validate_choice=False)
    reference = StringField(_l("Ticket or reference number"), render_kw={"maxlength": 120})
    representative = StringField(_l("With whom (agent name or id)"), render_kw={"maxlength": 120})
    summary = TextAreaField(_l("What was said or promised"), render_kw={"rows": 5})
    outcome = TextAreaField(_l("Outcome"), render_kw={"rows": 2})
    follow_up_at = StringField(_l("Follow up on"), render_kw=_TIME)
    follow_up_done = BooleanField(_l("Follow-up done"))
    # Choices (the case's evidence) are set by the view; the service checks each id.
    evidence_ids = ChecklistField(_l("Evidence of this contact"), choices=[], validate_choice=False)
