"""What every chat-export reader shares: one message, and the result built from many."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caseapp.evidence.parsers.base import Limits, ParseError, ParseResult

# Direction marks WhatsApp and Telegram put around names and "image omitted".
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class UnknownTimezone(ParseError):
    """The time zone name given for zone-less exports is not a known IANA zone."""


@dataclass
class Message:
    """One line of a transcript; `at` is None when the export's time could not be read."""

    at: datetime | None
    sender: str | None
    text: str
    media: str | None = None


def zone(tz: str) -> ZoneInfo:
    """The IANA zone `tz`, or UnknownTimezone."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(f"unknown time zone {tz!r}") from exc


def strip_marks(text: str) -> str:
    """Remove invisible direction marks and byte-order marks."""
    return _BIDI.sub("", text)


def cap_messages(messages: list[Message], limits: Limits, warnings: list[str]) -> list[Message]:
    """Keep at most `limits.max_messages`, saying so when some were dropped."""
    if len(messages) <= limits.max_messages:
        return messages
    warnings.append(
        f"only the first {limits.max_messages} of {len(messages)} messages were kept"
    )
    return messages[: limits.max_messages]


def build_result(
    platform: str,
    messages: list[Message],
    limits: Limits,
    warnings: list[str],
    extra: dict[str, Any] | None = None,
) -> ParseResult:
    """The ParseResult for a chat: summary, transcript, and "[at] sender: text" lines."""
    messages = cap_messages(messages, limits, warnings)
    participants: list[str] = []
    for message in messages:
        if message.sender and message.sender not in participants:
            participants.append(message.sender)
    times = [m.at for m in messages if m.at is not None]
    parsed: dict[str, Any] = {
        "platform": platform,
        "participants": participants,
        "message_count": len(messages),
        "first_at": min(times).isoformat() if times else None,
        "last_at": max(times).isoformat() if times else None,
    }
    parsed.update(extra or {})
    transcript = [
        {
            "at": m.at.isoformat() if m.at else None,
            "sender": m.sender,
            "text": m.text,
            "media": m.media,
        }
        for m in messages
    ]
    text = "\n".join(_line(m) for m in messages)
    if len(text) > limits.max_text_chars:
        warnings.append(f"the transcript text was cut at {limits.max_text_chars} characters")
        text = text[: limits.max_text_chars]
    return ParseResult(
        kind="chat", parsed=parsed, text=text, transcript=transcript, warnings=warnings
    )


def _line(message: Message) -> str:
    at = message.at.isoformat() if message.at else "time unknown"
    body = message.text
    if message.media:
        body = f"{body} [media: {message.media}]" if body else f"[media: {message.media}]"
    if message.sender:
        return f"[{at}] {message.sender}: {body}"
    return f"[{at}] {body}"
