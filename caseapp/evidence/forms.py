"""Forms of the evidence pages. They render fields and carry CSRF;
caseapp.evidence.management validates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from caseapp.cases.forms import ServiceForm
from caseapp.forms import ChecklistField


class EvidenceDetailsForm(ServiceForm):
    """What the owner says about an item, and the contacts it belongs to."""

    description = TextAreaField(
        _l("Description"), render_kw={"rows": 3, "maxlength": 5000}
    )
    source = StringField(_l("Source"), render_kw={"maxlength": 255})
    captured_at = StringField(_l("Captured at"), render_kw={"type": "datetime-local"})
    contact_ids = ChecklistField(_l("Contacts it belongs to"), choices=[], validate_choice=False)


class WithdrawForm(ServiceForm):
    """Why an item is taken out of dossiers and shares."""

    reason = TextAreaField(
        _l("Why withdraw it"), render_kw={"rows": 2, "maxlength": 2000, "required": True}
    )
