"""Forms shared by every capability."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """Only a CSRF token: for buttons that change something (log out, language, delete)."""
