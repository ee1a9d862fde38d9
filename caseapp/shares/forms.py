"""Share, comment, review and invitation forms. `shares.service` validates the values."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import EqualTo, InputRequired

from caseapp.accounts.forms import LOCALE_CHOICES
from caseapp.cases.forms import ServiceForm

REVIEW_LABELS = {
    "new": _l("New"),
    "in_review": _l("In review"),
    "needs_more_evidence": _l("Needs more evidence"),
    "accepted": _l("Accepted"),
    "closed": _l("Closed"),
}


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as one checkbox per option."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ShareForm(ServiceForm):
    recipient = RadioField(
        _l("Share with"),
        default="advocate",
        choices=[
            SelectChoice("advocate", _l("An advocate, by email")),
            SelectChoice("link", _l("Anyone who has the link")),
        ],
    )
    advocate_email = EmailField(_l("Advocate's email"), render_kw={"maxlength": 254})
    label = StringField(_l("Note for yourself"), render_kw={"maxlength": 120})
    expires_at = StringField(_l("Open until"), render_kw={"type": "datetime-local"})
    allow_originals = BooleanField(_l("Allow downloading the original files"))
    evidence_ids = CheckboxListField(_l("Evidence included"), validate_choice=False)
    include_later = BooleanField(_l("Also share evidence I add later"))

    def share_values(self, every_item: list[str]) -> dict[str, Any]:
        """The values `create_share` takes; all items ticked is every item there is."""
        chosen = list(self.evidence_ids.data or [])
        values: dict[str, Any] = {
            "link": self.recipient.data == "link",
            "advocate_email": "" if self.recipient.data == "link" else self.advocate_email.data,
            "label": self.label.data,
            "expires_at": self.expires_at.data,
            "allow_originals": self.allow_originals.data,
            "include_later": self.include_later.data,
        }
        if set(every_item) - set(chosen):
            values["evidence_ids"] = chosen
        return values


class CommentForm(ServiceForm):
    body = TextAreaField(_l("Comment"), render_kw={"rows": 3, "maxlength": 10000})
    evidence_id = HiddenField()
    share_id = SelectField(_l("To"), validate_choice=False)


class ReviewForm(FlaskForm):
    review_state = SelectField(
        _l("Review state"),
        choices=[SelectChoice(code, label) for code, label in REVIEW_LABELS.items()],
        validate_choice=False,
    )


class AdvocateRegisterForm(FlaskForm):
    display_name = StringField(_l("Your name"))
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[InputRequired()])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[InputRequired(), EqualTo("password", message=_l("Passwords do not match."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
