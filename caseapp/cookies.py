"""The cookies the app sets besides Flask's own session cookie, all alike.

HttpOnly (no script reads them), SameSite=Lax, and Secure whenever the instance is
served over HTTPS (the `https` setting, or `session_cookie_secure` to say it for
cookies alone): a cookie without Secure is sent over plain HTTP too, where anyone on
the path reads it — for the link-share cookie, that is read access to the case.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from caseapp.runtime import runtime


def secure_cookies() -> bool:
    """Whether cookies set now must carry the Secure attribute."""
    return runtime().settings.cookies_secure


def set_cookie(response: Response, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    """Set a cookie on `response` with the app's attributes (see the module's docstring)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(),
    )
