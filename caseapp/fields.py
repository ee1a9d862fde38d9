"""Reading input fields: one definition of valid values for pages, API and CLI.

Input arrives as plain values (form strings or JSON); `read_fields` validates and
converts a whole record at once and reports every problem in one InvalidFields.

Its messages are lazy strings: a service raises them before anyone knows who will
read them, and they take the reader's language when shown (a page next to its field,
the API's `fields` object), so nothing in English slips onto a Chinese page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from caseapp.database import utcnow
from caseapp.timezones import BadTime, UnknownZone, parse_time

# A field's message: a lazy translation, or plain text for callers that only speak to
# programs. Either reads as text in the language of whoever is served.
Message: TypeAlias = "str | LazyString"

# Times that must not lie ahead may still be up to a day ahead of the server's UTC
# clock: someone entering a local time near midnight, east of the server's zone or with
# the wrong zone in their settings, is not claiming to see the future.
FUTURE_SLACK = timedelta(days=1)


class InvalidFields(Exception):
    """One or more fields are missing or invalid; `errors` maps field to message."""

    def __init__(self, errors: Mapping[str, Message]) -> None:
        super().__init__(dict(errors))
        self.errors: dict[str, Message] = dict(errors)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.messages().items())

    def messages(self) -> dict[str, str]:
        """Each field's message as text, in the language of the current request."""
        return {name: str(message) for name, message in self.errors.items()}


@dataclass(frozen=True)
class FieldSpec:
    """How one input field is read: its type, whether required, its length bound.

    `past` (times only) refuses a time more than FUTURE_SLACK ahead of now: things
    that already happened, such as an incident or a contact.
    """

    kind: str  # "text", "choice", "time", "amount", "currency", "bool"
    required: bool = False
    max_length: int = 0
    choices: tuple[str, ...] = ()
    past: bool = False


class _Refused(Exception):
    """One field's value is refused, with the message to show for it."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


_CURRENCY = re.compile(r"^[A-Z0-9]{2,12}$")


def _read_field(spec: FieldSpec, raw: Any, tz_name: str, now: datetime) -> Any:
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in {"true", "1", "on", "yes", "y"}:
            return True
        if raw in (None, "") or (
            isinstance(raw, str) and raw.lower() in {"false", "0", "off", "no"}
        ):
            return False
        raise _Refused(_l("must be true or false"))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            raise _Refused(_l("is required"))
        return "" if spec.kind == "text" else None
    if spec.kind == "amount":
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
            raise _Refused(_l("must be a number"))
        try:
            amount = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation as exc:
            raise _Refused(_l("must be a number")) from exc
        if not amount.is_finite() or amount < 0:
            raise _Refused(_l("must be zero or more"))
        if abs(amount.adjusted()) > 20:
            raise _Refused(_l("is out of range"))
        return format(amount.normalize(), "f")
    if not isinstance(raw, str):
        raise _Refused(_l("must be a string"))
    text = raw.strip()
    if spec.kind == "text":
        if spec.max_length and len(text) > spec.max_length:
            raise _Refused(_l("must be at most %(count)d characters", count=spec.max_length))
        return text
    if spec.kind == "choice":
        if text not in spec.choices:
            raise _Refused(_l("must be one of: %(choices)s", choices=", ".join(spec.choices)))
        return text
    if spec.kind == "currency":
        code = text.upper()
        if not _CURRENCY.match(code):
            raise _Refused(_l("must be a currency code such as CNY, USD or USDT"))
        return code
    if spec.kind == "time":
        try:
            moment = parse_time(text, tz_name)
        except (BadTime, UnknownZone) as exc:
            raise _Refused(_l("must be a date and time such as 2024-03-05T09:12")) from exc
        if spec.past and moment is not None and moment > now + FUTURE_SLACK:
            raise _Refused(_l("cannot be in the future"))
        return moment
    raise AssertionError(f"unknown field kind {spec.kind}")


def read_fields(
    specs: dict[str, FieldSpec],
    data: dict[str, Any],
    tz_name: str,
    *,
    partial: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate and convert input; every problem is reported at once in InvalidFields.

    `now` is the moment `past` times are checked against (the current time by default).
    """
    now = now or utcnow()
    errors: dict[str, Message] = {}
    unknown = sorted(set(data) - set(specs))
    for name in unknown:
        errors[name] = _l("is not a known field")
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if partial and name not in data:
            continue
        try:
            values[name] = _read_field(spec, data.get(name), tz_name, now)
        except _Refused as exc:
            errors[name] = exc.message
    if errors:
        raise InvalidFields(errors)
    return values
