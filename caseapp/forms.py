"""Forms shared by every capability."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class ActionForm(FlaskForm):
    """Only a CSRF token: for buttons that change something (log out, language, delete)."""


class ChecklistField(SelectMultipleField):
    """Several choices as a list of checkboxes (the view sets the choices)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
