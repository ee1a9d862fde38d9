"""The caller's API tokens over JSON: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from caseapp.accounts import tokens
from caseapp.accounts.models import ApiToken
from caseapp.api import bp
from caseapp.api.auth import api_token, api_user
from caseapp.api.cases import page_args, page_json, user_zone
from caseapp.api.errors import json_body
from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.timezones import utc_iso


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as its owner sees it (never its secret)."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": utc_iso(token.created_at),
        "last_used_at": utc_iso(token.last_used_at),
        "expires_at": utc_iso(token.expires_at),
        "state": token.state(utcnow()),
        "current": token.id == api_token().id,
    }


@bp.get("/tokens")
def list_tokens() -> ResponseReturnValue:
    limit, cursor = page_args()
    page = tokens.user_tokens(db.session, api_user(), limit=limit, cursor=cursor)
    return jsonify(page_json(page, token_json))


@bp.post("/tokens")
def create_token() -> ResponseReturnValue:
    issued = tokens.create_token_from_input(db.session, api_user(), json_body(), user_zone())
    return jsonify({**token_json(issued.token), "token": issued.secret}), 201


@bp.delete("/tokens/<token_id>")
def revoke_token(token_id: str) -> ResponseReturnValue:
    token = tokens.owned_token(db.session, api_user(), token_id)
    tokens.revoke_token(db.session, token)
    return "", 204
