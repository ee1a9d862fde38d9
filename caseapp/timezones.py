"""Times in the user's zone: stored in UTC, entered and shown in the user's zone."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l

DEFAULT_ZONE_BY_LOCALE = {"zh_CN": "Asia/Shanghai", "en": "UTC"}

# Offered first in the time zone list: where most of the app's users live and deal.
COMMON_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Macau",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)

# The regions of the IANA names offered in the list, in the user's words. Other names
# (old aliases such as "PRC" or "US/Eastern") are still accepted, only not offered.
REGIONS: dict[str, object] = {
    "Asia": _l("Asia"),
    "Europe": _l("Europe"),
    "America": _l("Americas"),
    "Africa": _l("Africa"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific"),
    "Atlantic": _l("Atlantic"),
    "Indian": _l("Indian Ocean"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
}

# Files of the zone database that name no place.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


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


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine's zone database knows."""
    return frozenset(available_timezones() - _NOT_ZONES)


def check_zone(name: str) -> str:
    """`name` if it is an IANA time zone name; UnknownZone otherwise.

    Stricter than `zone`, which also opens any file under the zone directory: what a
    user chooses must be a zone of the database, spelled as the database spells it.
    """
    if name not in zone_names():
        raise UnknownZone(f"unknown time zone {name!r}")
    return name


@dataclass(frozen=True)
class ZoneChoice:
    """One time zone in the list a user picks from: its IANA name and a hint."""

    name: str
    label: str  # "UTC+08:00 · Asia"


def zone_choices(now: datetime | None = None) -> list[ZoneChoice]:
    """The time zones to offer: the common ones first, then every place by region.

    Each comes with its UTC offset at `now`, so "Asia/Shanghai" reads "UTC+08:00".
    """
    now = now or datetime.now(UTC)
    by_region = sorted(
        (name for name in zone_names() if name.partition("/")[0] in REGIONS and "/" in name),
        key=lambda name: (list(REGIONS).index(name.partition("/")[0]), name),
    )
    choices = []
    for name in [*COMMON_ZONES, *(n for n in by_region if n not in COMMON_ZONES)]:
        if name not in zone_names():
            continue
        offset = now.astimezone(ZoneInfo(name)).strftime("%z")
        region = REGIONS.get(name.partition("/")[0])
        hint = f"UTC{offset[:3]}:{offset[3:]}"
        choices.append(ZoneChoice(name, f"{hint} · {region}" if region and "/" in name else hint))
    return choices


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
