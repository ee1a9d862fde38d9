"""Access logs without secrets: link-share, invitation, password-reset and calendar tokens.

Those tokens sit in the address itself (/s/<token>, /invite/<token>, /reset/<token>,
/calendar/<token>, or a `token=` query value), and whoever reads a log line holding one
can open what it stands for until it expires. Logs are read by more people than the
database (operators, log shippers, support tickets they are pasted into), so the token
is replaced by ``[redacted]`` before a line is written, by both servers:

- the development server (`caseapp run`): `RedactingRequestHandler`;
- gunicorn: `GunicornLogger`, named by ``logger_class`` in deploy/gunicorn.conf.py.

Cookie and Authorization header values are dropped from gunicorn's log atoms too, in
case an ``access_log_format`` names them: a link cookie or a bearer token is as good
as the token it came from.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

REDACTED = "[redacted]"

_TOKEN_SEGMENT = re.compile(r"""(/(?:s|invite|reset|calendar)/)[^/?#\s"']+""", re.IGNORECASE)
# A query value named *token, in a whole address or in a bare query string (gunicorn's %(q)s).
_TOKEN_QUERY = re.compile(r"""((?:^|[?&;\s])[^=&#\s"'?]*token=)[^&#\s"']+""", re.IGNORECASE)
# Gunicorn atoms named after these request headers (or their environ keys) never reach a log.
_SECRET_HEADERS = ("cookie", "authorization", "http_cookie", "http_authorization")


def redact(text: str) -> str:
    """`text` with every token in an address replaced by [redacted]."""
    text = _TOKEN_SEGMENT.sub(rf"\g<1>{REDACTED}", text)
    return _TOKEN_QUERY.sub(rf"\g<1>{REDACTED}", text)


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, whose log lines (requests and errors) are redacted."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - Werkzeug's name
        """Log a redacted line (every request and error line goes through here)."""
        super().log(type, "%s", redact(message % args if args else message))


class RedactFilter(logging.Filter):
    """A logging filter that redacts the message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with redacted access atoms and error lines."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's logging up, then redact what its error log is given."""
        super().setup(cfg)
        self.error_log.addFilter(RedactFilter())

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        """gunicorn's access-log atoms, tokens in addresses and secret headers removed."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            # Header and environ atoms are named "{cookie}i", "{http_cookie}e".
            if key[1:-2].lower() in _SECRET_HEADERS and key[-2:] in ("}i", "}e"):
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
