"""Wiring the web side: blueprints, login loading, error pages, headers, filters."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from caseapp.api.errors import json_error
from caseapp.evidence.conversation import conversation
from caseapp.extensions import db, login_manager
from caseapp.runtime import runtime
from caseapp.timezones import format_local, input_value, parse_time, wall_time, zone_assumed

# Nothing the app serves needs a third-party origin; uploaded content is never inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    """Register everything the web side needs on `app`."""
    from caseapp.accounts.views import bp as accounts_bp
    from caseapp.api import bp as api_bp
    from caseapp.cases.views import bp as cases_bp
    from caseapp.evidence.views import bp as evidence_bp
    from caseapp.export.pki_views import bp as pki_bp
    from caseapp.export.views import bp as export_bp
    from caseapp.shares.views import bp as shares_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(export_bp)
    app.register_blueprint(pki_bp)
    app.register_blueprint(shares_bp)
    app.register_blueprint(api_bp)

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # sessions are server-side rows, ended explicitly
    login_manager.user_loader(_load_user)
    login_manager.login_message = None

    app.after_request(_security_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.jinja_env.filters["localtime"] = lambda value, seconds=False: format_local(
        value, str(get_timezone()), with_seconds=seconds
    )
    app.jinja_env.filters["isolocal"] = lambda value, seconds=False: format_local(
        parse_time(value, "UTC"), str(get_timezone()), with_seconds=seconds
    )
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["walltime"] = wall_time
    app.jinja_env.tests["zone_assumed"] = zone_assumed
    app.jinja_env.filters["actor"] = actor_display
    app.jinja_env.filters["conversation"] = conversation
    app.jinja_env.filters["inputtime"] = lambda value: input_value(value, str(get_timezone()))
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_timezone"] = lambda: str(get_timezone())


def filesize(size: int) -> str:
    """A byte count as people read it: 1.5 MiB."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, index = float(size), 0
    while value >= 1024 and index < len(units) - 1:
        value /= 1024
        index += 1
    if index == 0:
        return f"{size} B"
    return f"{value:.1f}".removesuffix(".0") + f" {units[index]}"


def actor_display(actor: str) -> str:
    """A custody actor as people read it: the email, not the internal id."""
    kind, _, rest = actor.partition(":")
    if kind == "user" and "<" in rest:
        return rest[rest.index("<") + 1 : rest.rindex(">")] if rest.endswith(">") else rest
    return actor


def _load_user(secret: str) -> Any:
    from caseapp.accounts.service import load_session_user

    return load_session_user(db.session, secret)


# Paths whose answers belong to one person (or to whoever holds a link) even when the
# request carries no login: case pages seen through a link-share cookie (sent only
# under /cases/<id>), the link and invitation addresses themselves, the API.
_PRIVATE_PREFIXES = ("/api/", "/cases/", "/s/", "/invite/", "/reset/", "/calendar/")


def _is_private() -> bool:
    """Whether the response may hold something of one person's and must not be cached.

    Static files and the instance's public PKI are the same for everyone; everything a
    logged-in user, a bearer token or a link share is answered is not, nor is anything
    under a case's address.
    """
    if request.endpoint == "static" or request.blueprint == "pki":
        return False
    if getattr(g, "no_store", False) or request.path.startswith(_PRIVATE_PREFIXES):
        return True
    return "Authorization" in request.headers or bool(current_user.is_authenticated)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    hsts = runtime().settings.strict_transport_security
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    if _is_private():
        # Set, not defaulted: no view's own caching (a thumbnail's max-age) may keep a
        # decrypted page or file in a browser's or proxy's cache after logout or revocation.
        response.headers["Cache-Control"] = "no-store"
    return response


def wants_json() -> bool:
    """API paths always answer JSON; pages answer HTML."""
    return request.path.startswith("/api/")


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "rate_limited",
}


def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if wants_json():
        return json_error(status, _CODES.get(status, "error"), error.description or error.name)
    return render_template("errors/error.html", status=status, error=error), status


def _too_large(error: RequestEntityTooLarge) -> Any:
    # Raised by Werkzeug as it reads past request.max_content_length (or sees a larger
    # Content-Length), wherever the body is first read: CSRF check, form, JSON.
    if wants_json():
        limit = request.max_content_length
        return json_error(413, "too_large", f"the request body is limited to {limit} bytes")
    return render_template("errors/error.html", status=413, error=error), 413


def _csrf_error(error: CSRFError) -> Any:
    if wants_json():
        return json_error(400, "csrf", "missing or invalid CSRF token")
    return render_template("errors/error.html", status=400, error=error), 400


def _unexpected_error(error: Exception) -> Any:
    # Never show a traceback: log it, roll back, answer a plain 500.
    from flask import current_app

    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if wants_json():
        return json_error(500, "internal", "internal error")
    return render_template("errors/error.html", status=500, error=None), 500
