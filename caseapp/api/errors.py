"""Domain exceptions turned into the API's JSON errors, in one place."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request

from caseapp.access.policy import OriginalsNotShared, ReadOnlyAccess
from caseapp.accounts.tokens import TokenNotFound
from caseapp.api import bp
from caseapp.cases.service import CaseNotFound, EventNotFound
from caseapp.evidence.management import AlreadyWithdrawn, NotWithdrawn
from caseapp.evidence.service import EvidenceNotFound, EvidenceNotIntact
from caseapp.evidence.upload import UploadError
from caseapp.export.service import DossierNotFound, DossierNotIntact, DossierNotReady
from caseapp.fields import InvalidFields
from caseapp.pagination import BadCursor
from caseapp.shares.comments import CommentsClosed
from caseapp.shares.offers import NotYourOffer
from caseapp.shares.service import ReviewNotYours, ShareNotFound


def json_error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    """The one JSON error shape of the API: {"error": {"code", "message", ...}}.

    Also what the app-wide handlers in caseapp.web answer on /api/ paths (404 for an
    unknown route, 413, CSRF, 500), so a client sees one shape whatever failed.
    """
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


class BadRequestBody(Exception):
    """The body is not the JSON object the route expects."""


def json_body() -> dict[str, Any]:
    """The request's JSON object, or BadRequestBody.

    The one place API bodies are parsed, so the one place malformed input is turned
    into a 400 rather than an error page: Werkzeug stops reading at max_body_bytes (413);
    the bytes must be UTF-8 (json would accept some invalid sequences, e.g. encoded
    surrogates, that no database column can store); nesting past the parser's depth
    raises RecursionError, not ValueError, so it is caught here too.
    """
    if not request.is_json:
        raise BadRequestBody("the body must be a JSON object")
    try:
        text = request.get_data().decode("utf-8-sig")
        data = json.loads(text)
        # "\ud800" is valid JSON but no valid text; re-encoding finds any lone surrogate.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeError as exc:
        raise BadRequestBody("the body must be UTF-8 text") from exc
    except (ValueError, RecursionError) as exc:
        raise BadRequestBody("the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise BadRequestBody("the body must be a JSON object")
    return data


@bp.errorhandler(InvalidFields)
def _invalid(exc: InvalidFields) -> Any:
    return json_error(
        422, "invalid_fields", "some fields are missing or invalid", fields=exc.messages()
    )


@bp.errorhandler(CaseNotFound)
@bp.errorhandler(EventNotFound)
@bp.errorhandler(EvidenceNotFound)
@bp.errorhandler(DossierNotFound)
@bp.errorhandler(ShareNotFound)
@bp.errorhandler(TokenNotFound)
def _not_found(exc: Exception) -> Any:
    return json_error(404, "not_found", "no such resource")


@bp.errorhandler(BadCursor)
@bp.errorhandler(BadRequestBody)
def _bad_request(exc: Exception) -> Any:
    return json_error(400, "bad_request", str(exc))


@bp.errorhandler(UploadError)
def _upload_refused(exc: UploadError) -> Any:
    return json_error(exc.status, exc.code, str(exc))


@bp.errorhandler(EvidenceNotIntact)
def _not_intact(exc: EvidenceNotIntact) -> Any:
    return json_error(
        409,
        "not_intact",
        "this evidence failed its integrity check and will not be served",
    )


@bp.errorhandler(ReadOnlyAccess)
@bp.errorhandler(ReviewNotYours)
@bp.errorhandler(NotYourOffer)
@bp.errorhandler(CommentsClosed)
def _forbidden(exc: Exception) -> Any:
    # Only for a case the caller can see: for anyone else access answers 404 first.
    return json_error(403, "forbidden", "this case is shared with you read-only")


@bp.errorhandler(OriginalsNotShared)
def _originals_not_shared(exc: OriginalsNotShared) -> Any:
    return json_error(403, "forbidden", "this share does not include the original files")


@bp.errorhandler(AlreadyWithdrawn)
def _already_withdrawn(exc: AlreadyWithdrawn) -> Any:
    return json_error(409, "already_withdrawn", "this evidence is withdrawn already")


@bp.errorhandler(NotWithdrawn)
def _not_withdrawn(exc: NotWithdrawn) -> Any:
    return json_error(409, "not_withdrawn", "this evidence is not withdrawn")


@bp.errorhandler(DossierNotReady)
def _dossier_not_ready(exc: DossierNotReady) -> Any:
    return json_error(409, "not_ready", "the dossier is not built yet, or its build failed")


@bp.errorhandler(DossierNotIntact)
def _dossier_not_intact(exc: DossierNotIntact) -> Any:
    return json_error(409, "not_intact", "the stored dossier failed its integrity check")
