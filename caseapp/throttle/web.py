"""How a page answers an attempt the throttle refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, make_response, render_template
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from caseapp.throttle.service import Throttled


def throttled_page(template: str, exc: Throttled, **context: Any) -> Response:
    """The form page again with 429, saying how long to wait (also in Retry-After)."""
    wait = format_timedelta(
        timedelta(seconds=exc.retry_after), granularity="second", threshold=1, add_direction=False
    )
    flash(_("Too many attempts. Try again in %(wait)s.", wait=wait), "error")
    response = make_response(render_template(template, **context), 429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response
