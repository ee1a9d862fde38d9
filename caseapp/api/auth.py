"""Bearer-token authentication for every API route except the OpenAPI document."""

from __future__ import annotations

from flask import abort, g, request

from caseapp.accounts.models import User
from caseapp.accounts.service import user_for_token
from caseapp.api import bp
from caseapp.extensions import db

PUBLIC_ENDPOINTS = {"api.openapi_document"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = (
        user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" and token else None
    )
    if user is None:
        abort(401, description="missing or invalid bearer token")
    g.api_user = user


def api_user() -> User:
    """The user the request's token belongs to."""
    user: User = g.api_user
    return user
