"""Reading input fields: one definition of valid values for pages, API and CLI.

Input arrives as plain values (form strings or JSON); `read_fields` validates and
converts a whole record at once and reports every problem in one InvalidFields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from caseapp.timezones import BadTime, UnknownZone, parse_time


class InvalidFields(Exception):
    """One or more fields are missing or invalid; `errors` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class FieldSpec:
    """How one input field is read: its type, whether required, its length bound."""

    kind: str  # "text", "choice", "time", "amount", "currency", "bool"
    required: bool = False
    max_length: int = 0
    choices: tuple[str, ...] = ()


_CURRENCY = re.compile(r"^[A-Z0-9]{2,12}$")


def _read_field(name: str, spec: FieldSpec, raw: Any, tz_name: str) -> Any:
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in {"true", "1", "on", "yes", "y"}:
            return True
        if raw in (None, "") or (
            isinstance(raw, str) and raw.lower() in {"false", "0", "off", "no"}
        ):
            return False
        raise ValueError(_("must be true or false"))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            raise ValueError(_("is required"))
        return "" if spec.kind == "text" else None
    if spec.kind == "amount":
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
            raise ValueError(_("must be a number"))
        try:
            amount = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation as exc:
            raise ValueError(_("must be a number")) from exc
        if not amount.is_finite() or amount < 0:
            raise ValueError(_("must be zero or more"))
        if abs(amount.adjusted()) > 20:
            raise ValueError(_("is out of range"))
        return format(amount.normalize(), "f")
    if not isinstance(raw, str):
        raise ValueError(_("must be a string"))
    text = raw.strip()
    if spec.kind == "text":
        if spec.max_length and len(text) > spec.max_length:
            raise ValueError(_("must be at most %(count)d characters", count=spec.max_length))
        return text
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(_("must be one of: %(choices)s", choices=", ".join(spec.choices)))
        return text
    if spec.kind == "currency":
        code = text.upper()
        if not _CURRENCY.match(code):
            raise ValueError(_("must be a currency code such as CNY, USD or USDT"))
        return code
    if spec.kind == "time":
        try:
            return parse_time(text, tz_name)
        except (BadTime, UnknownZone) as exc:
            raise ValueError(_("must be a date and time such as 2024-03-05T09:12")) from exc
    raise AssertionError(f"unknown field kind {spec.kind}")


def read_fields(
    specs: dict[str, FieldSpec], data: dict[str, Any], tz_name: str, *, partial: bool
) -> dict[str, Any]:
    """Validate and convert input; every problem is reported at once in InvalidFields."""
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - set(specs))
    for name in unknown:
        errors[name] = _("is not a known field")
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if partial and name not in data:
            continue
        try:
            values[name] = _read_field(name, spec, data.get(name), tz_name)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidFields(errors)
    return values
