"""Times in the user's zone: stored in UTC, entered and shown in the user's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE_BY_LOCALE = {"zh_CN": "Asia/Shanghai", "en": "UTC"}


class BadTime(ValueError):
    """The value is not a date or time we can read."""


class UnknownZone(ValueError):
    """The time zone name is not in the IANA database."""


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name; UnknownZone when there is none."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(f"unknown time zone {name!r}") from exc


def default_zone_for(locale: str | None) -> str:
    """The zone assumed for a user who has not chosen one."""
    return DEFAULT_ZONE_BY_LOCALE.get(locale or "en", "UTC")


def parse_time(value: str | datetime | None, tz_name: str) -> datetime | None:
    """Read an ISO 8601 date or date-time; without an offset it is taken in `tz_name`.

    Returns an aware datetime in UTC, or None for an empty value.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(text), time())
            except ValueError as exc:
                raise BadTime(f"not an ISO 8601 date or time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz_name))
    if not 1900 <= parsed.year <= 2200:
        raise BadTime(f"year out of range: {value!r}")
    return parsed.astimezone(UTC)


def to_local(value: datetime, tz_name: str) -> datetime:
    """The same instant in the user's zone."""
    return value.astimezone(zone(tz_name))


def format_local(value: datetime | None, tz_name: str, with_seconds: bool = False) -> str:
    """A time as the user reads it: their zone, always with the offset."""
    if value is None:
        return ""
    local = to_local(value, tz_name)
    pattern = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    offset = local.strftime("%z")
    return f"{local.strftime(pattern)} {offset[:3]}:{offset[3:]}"


def input_value(value: datetime | None, tz_name: str) -> str:
    """The value of an <input type=datetime-local> for this time in the user's zone."""
    if value is None:
        return ""
    return to_local(value, tz_name).strftime("%Y-%m-%dT%H:%M")


def utc_iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset, for the API."""
    return value.astimezone(UTC).isoformat() if value else None


def zone_assumed(parsed: dict[str, object]) -> bool:
    """Whether a reading's `taken_at` is a wall-clock time in a zone nobody recorded.

    Readings made before `taken_at_zone` existed say so with `timezone_assumed` alone.
    """
    zone_source = parsed.get("taken_at_zone")
    if zone_source is not None:
        return zone_source == "assumed"
    return bool(parsed.get("timezone_assumed"))


def wall_time(value: str | None) -> str:
    """An ISO 8601 time as its own clock read it ("2025-03-02 09:15"), with no zone.

    For times whose zone was assumed: converting them to another zone would present a
    guess as a fact, so they are shown as recorded and labelled instead.
    """
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M")
