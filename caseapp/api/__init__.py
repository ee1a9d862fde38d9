"""The JSON API under /api/v1: bearer-token auth, one module per resource.

Cookies are never accepted here, only ``Authorization: Bearer``; that is why the
blueprint is exempt from CSRF.
"""

from __future__ import annotations

from flask import Blueprint

from caseapp.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# Route modules register themselves on `bp`.
from caseapp.api import (  # noqa: E402, F401
    auth,
    cases,
    comments,
    custody,
    dossiers,
    errors,
    evidence,
    openapi,
    shares,
    tokens,
)
