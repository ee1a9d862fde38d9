"""Bearer-token authentication for every API route except the OpenAPI document."""

from __future__ import annotations

from flask import abort, g, request

from caseapp.accounts.models import ApiToken, User
from caseapp.accounts.tokens import token_for_secret
from caseapp.api import bp
from caseapp.extensions import db

PUBLIC_ENDPOINTS = {"api.openapi_document"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    token = (
        token_for_secret(db.session, secret.strip())
        if scheme.lower() == "bearer" and secret
        else None
    )
    if token is None:
        abort(401, description="missing, invalid, expired or revoked bearer token")
    g.api_token = token


def api_user() -> User:
    """The user the request's token belongs to."""
    return api_token().user


def api_token() -> ApiToken:
    """The token the request authenticated with."""
    token: ApiToken = g.api_token
    return token
