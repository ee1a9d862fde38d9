"""Line-based chat exports: WhatsApp (Android and iOS, every locale) and Signal-style text.

A message starts with a header line holding a date and a time; lines without one
continue the message before. WhatsApp writes the date in the phone's locale order,
so `03/04/21` may be 3 April or March 4: the order chosen is the one under which every
date is valid and the messages run forward in time, and the result says which it was
and warns when both would fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from caseapp.evidence.parsers.base import Limits, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.chat_common import Message, build_result, strip_marks, zone

_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = (
    r"(?P<cjk>上午|下午|凌晨|早上|中午|晚上|午前|午後)?\s?"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?:[\s\u202f\u00a0_]*(?P<ampm>[ap]\.?\s?m\.?))?"
)
_IOS = re.compile(rf"^\[{_DATE},?\s{_TIME}\]\s(?P<rest>.*)$", re.I)
_ANDROID = re.compile(rf"^{_DATE},?\s{_TIME}\s[-\u2013]\s(?P<rest>.*)$", re.I)
_SIGNAL = re.compile(r"^\[\d{4}-\d{2}-\d{2},\s\d{2}:\d{2}\]\s")
_SENDER = re.compile(r"^(?P<sender>[^:\n]{1,100}?):(?P<text>.*)$", re.S)
_ATTACHED = (
    re.compile(r"^<attached:\s*(?P<name>[^>]+)>$"),
    re.compile(r"^(?P<name>\S.*?\.\w{2,5})\s\((?:file attached|archivo adjunto|文件已附上)\)$"),
)
_DATE_SEPARATORS = re.compile(r"[./-]")
_TIME_SEPARATORS = re.compile(r"[:.]")
_ORDERS = ("dmy", "mdy")
# Chinese and Japanese locales put the half of the day before the time.
_CJK_AFTERNOON = {"下午", "晚上", "午後"}
# How many leading lines decide whether a text is a chat export at all.
_SNIFF_LINES = 50


@dataclass
class _Header:
    date: tuple[int, int, int]  # as written, left to right
    year_first: bool
    hour: int
    minute: int
    second: int
    twelve_hour: bool
    rest: str
    line: str


def looks_like_line_chat(text: str) -> bool:
    """True when the first non-empty line, and at least one in three, are message headers."""
    lines = [strip_marks(x).strip() for x in text.splitlines()[:_SNIFF_LINES]]
    lines = [x for x in lines if x]
    if not lines or _header(lines[0]) is None:
        return False
    headers = sum(1 for x in lines if _header(x) is not None)
    return headers * 3 >= len(lines)


def parse_line_chat(
    data: bytes, limits: Limits, tz: str = "UTC", filename_hint: str | None = None
) -> ParseResult:
    """Read a WhatsApp or Signal text export into a transcript."""
    decoded = decode_bytes(data)
    warnings = list(decoded.warnings)
    text = strip_marks(decoded.text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    entries: list[tuple[_Header, list[str]]] = []
    skipped = 0
    for line in lines:
        header = _header(line.strip())
        if header is not None:
            if len(entries) >= limits.max_messages:
                warnings.append(f"only the first {limits.max_messages} messages were kept")
                break
            entries.append((header, [header.rest]))
        elif entries:
            entries[-1][1].append(line)
        elif line.strip():
            skipped += 1
    if skipped:
        warnings.append(f"{skipped} lines before the first message were not part of any message")
    platform = _platform([h.line for h, _ in entries[:_SNIFF_LINES]], filename_hint)
    order, note = _choose_order([h for h, _ in entries])
    if note:
        warnings.append(note)
    zone_info = zone(tz)
    messages: list[Message] = []
    bad_dates = 0
    for header, body in entries:
        at = _datetime(header, order, zone_info)
        if at is None:
            bad_dates += 1
        messages.append(_message(at, "\n".join(body).rstrip("\n")))
    if bad_dates:
        warnings.append(f"{bad_dates} messages have a date that could not be read")
    warnings.append(f"the export gives no time zone; times were read as {tz}")
    extra: dict[str, object] = {"timezone_assumed": tz}
    if platform == "whatsapp":
        extra["date_order"] = order
    return build_result(platform, messages, limits, warnings, extra)


def _platform(heads: list[str], filename_hint: str | None) -> str:
    if filename_hint and "signal" in filename_hint.lower():
        return "signal"
    if heads and all(_SIGNAL.match(x) for x in heads):
        return "signal"
    return "whatsapp"


def _header(line: str) -> _Header | None:
    if not line or not (line[0] == "[" or line[0].isdigit()):
        return None  # most continuation lines: no regex needed
    match = _IOS.match(line) or _ANDROID.match(line)
    if match is None:
        return None
    parts = _DATE_SEPARATORS.split(match["date"])
    numbers = tuple(int(p) for p in parts)
    year_first = len(parts[0]) == 4
    if not year_first and len(parts[2]) not in (2, 4):
        return None
    clock = _TIME_SEPARATORS.split(match["time"])
    hour, minute = int(clock[0]), int(clock[1])
    second = int(clock[2]) if len(clock) > 2 else 0
    ampm, cjk = match["ampm"], match["cjk"]
    if ampm or cjk:
        if hour > 12:
            return None
        if cjk == "中午":  # around noon: 11:50 and 12:30 stay, 1:00 is 13:00
            hour = hour if hour >= 11 else hour + 12
        else:
            afternoon = cjk in _CJK_AFTERNOON if cjk else ampm.lower().startswith("p")
            hour = hour % 12 + (12 if afternoon else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return _Header(
        date=(numbers[0], numbers[1], numbers[2]),
        year_first=year_first,
        hour=hour,
        minute=minute,
        second=second,
        twelve_hour=bool(ampm or cjk),
        rest=match["rest"],
        line=line,
    )


def _ymd(header: _Header, order: str) -> tuple[int, int, int]:
    a, b, c = header.date
    if header.year_first:
        return a, b, c
    year = c + 2000 if c < 100 else c
    return (year, b, a) if order == "dmy" else (year, a, b)


def _datetime(header: _Header, order: str, zone_info: object) -> datetime | None:
    year, month, day = _ymd(header, order)
    try:
        return datetime(year, month, day, header.hour, header.minute, header.second,
                        tzinfo=zone_info)  # type: ignore[arg-type]
    except ValueError:
        return None


def _choose_order(headers: list[_Header]) -> tuple[str, str | None]:
    """The date order under which all dates are valid and time runs forward."""
    ambiguous = [h for h in headers if not h.year_first]
    if not ambiguous:
        return "ymd", None
    scores = {}
    for order in _ORDERS:
        stamps = [_datetime(h, order, None) for h in ambiguous]
        invalid = sum(1 for s in stamps if s is None)
        valid = [s for s in stamps if s is not None]
        backwards = sum(1 for x, y in zip(valid, valid[1:], strict=False) if y < x)
        scores[order] = (invalid, backwards)
    best = min(_ORDERS, key=lambda o: scores[o])
    other = "mdy" if best == "dmy" else "dmy"
    if scores[best] != scores[other]:
        return best, None
    # Both fit equally: 12-hour clocks mostly come with US month-first dates.
    chosen = "mdy" if any(h.twelve_hour for h in ambiguous) else "dmy"
    return chosen, (
        "the date order is ambiguous (day/month and month/day both fit); "
        f"read as {'month/day/year' if chosen == 'mdy' else 'day/month/year'}"
    )


def _message(at: datetime | None, rest: str) -> Message:
    match = _SENDER.match(rest)
    if match is None:
        return Message(at=at, sender=None, text=rest.strip())
    sender = match["sender"].strip()
    sender = re.sub(r"^~[\s\u202f\u00a0]*", "", sender)
    body = match["text"]
    body = body[1:] if body.startswith(" ") else body
    media = None
    for pattern in _ATTACHED:
        attached = pattern.match(body.strip())
        if attached:
            media = attached["name"].strip()
            break
    return Message(at=at, sender=sender or None, text=body, media=media)
