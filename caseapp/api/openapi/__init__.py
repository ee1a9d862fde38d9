"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

Each resource describes itself in a module of this package; this one puts them
together. A test compares the document with the app's routes and validates real
responses against its schemas, so it stays true as the API grows.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from caseapp.api import bp
from caseapp.api.openapi import cases, dossiers, evidence, shares, tokens
from caseapp.api.openapi.common import FORBIDDEN, error_response

SCHEMAS: dict[str, Any] = {}
PATHS: dict[str, Any] = {}
for _part in (cases, evidence, dossiers, shares, tokens):
    SCHEMAS.update(_part.SCHEMAS)
    PATHS.update(_part.PATHS)

# An advocate reads a shared case but any change is 403, as are originals (and dossiers,
# which embed them) that the share does not include.
for _path, _item in PATHS.items():
    for _method, _operation in _item.items():
        if any(f"{{{name}}}" in _path for name in ("case_id", "evidence_id", "dossier_id")) and (
            _method != "get" or _path.endswith(("/content", "/pdf", "/bundle"))
        ):
            _operation["responses"].setdefault("403", FORBIDDEN)


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "caseapp API",
            "version": "1",
            "description": "Cases, contacts, evidence, dossiers, shares and API tokens of caseapp.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "BadRequest": error_response("Bad input"),
                "Unauthorized": error_response("No or bad token"),
                "NotFound": error_response("Not found, or not yours"),
                "Invalid": error_response("Invalid fields"),
                "TooLarge": error_response("Too large"),
                "Unsupported": error_response("Unsupported media type"),
                "NotIntact": error_response("Stored evidence failed its integrity check"),
                "NotReady": error_response("The dossier is not built yet, or failed"),
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())
