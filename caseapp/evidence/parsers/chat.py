"""Chat exports: pick the reader for the export's shape and return one transcript.

Shapes: WhatsApp and Signal text, Telegram Desktop JSON and HTML, Facebook and Instagram
JSON. Text in no known shape is kept as it is, with platform "plain" and no messages.
"""

from __future__ import annotations

from caseapp.evidence.parsers.base import Limits, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.chat_json import chat_platform, load_json, parse_json_chat
from caseapp.evidence.parsers.chat_telegram_html import (
    looks_like_telegram_html,
    parse_telegram_html,
)
from caseapp.evidence.parsers.chat_text import looks_like_line_chat, parse_line_chat

_SNIFF_CHARS = 64 * 1024


def parse_chat(
    data: bytes, limits: Limits, filename_hint: str | None = None, tz: str = "UTC"
) -> ParseResult:
    """Read a chat export of any supported platform.

    Times the export gives without a zone are read in `tz` (an IANA name) and
    `parsed["timezone_assumed"]` plus a warning say so. `filename_hint` only breaks
    ties between look-alike shapes (Instagram and Facebook JSON, Signal text).
    """
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return parse_json_chat(data, limits, tz, filename_hint)
    head = decode_bytes(_cut_at_line(data[:_SNIFF_CHARS])).text
    if looks_like_line_chat(head):  # before JSON arrays: iOS WhatsApp lines start with "["
        return parse_line_chat(data, limits, tz, filename_hint)
    if start == b"[":
        return parse_json_chat(data, limits, tz, filename_hint)
    if looks_like_telegram_html(head):
        return parse_telegram_html(data, limits, tz)
    return _plain(data, limits)


def looks_like_chat(data: bytes) -> bool:
    """True when the bytes are a chat export in one of the supported shapes.

    Only the start of the file is read for text shapes; JSON is parsed whole because
    its shape is only known from its keys (the caller bounds the size).
    """
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        try:
            return chat_platform(load_json(data)) is not None
        except Exception:  # any unreadable JSON is simply not a chat
            return False
    head = decode_bytes(_cut_at_line(data[:_SNIFF_CHARS])).text
    return looks_like_telegram_html(head) or looks_like_line_chat(head)


def _cut_at_line(head: bytes) -> bytes:
    """Drop a partial last line so a multibyte character is never cut in half."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: keep whole code units
        return head[: len(head) - len(head) % 4]
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


def _plain(data: bytes, limits: Limits) -> ParseResult:
    decoded = decode_bytes(data)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")[: limits.max_text_chars]
    warnings = [*decoded.warnings, "no chat messages were recognised; kept as plain text"]
    return ParseResult(
        kind="chat",
        parsed={
            "platform": "plain",
            "participants": [],
            "message_count": 0,
            "first_at": None,
            "last_at": None,
            "encoding": decoded.encoding,
        },
        text=text,
        transcript=[],
        warnings=warnings,
    )
