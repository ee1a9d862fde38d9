"""Email header values as text: RFC 2047 encoded-words and raw 8-bit bytes.

The standard library's decoders trust charset labels and decode each encoded-word on
its own, which garbles Chinese subjects that mailers split in the middle of a
character (one GB2312 byte in this word, the other in the next). Here adjacent words
of the same charset are joined as bytes before decoding, and every decode goes
through `decode_bytes`, so lying labels are caught and raw 8-bit headers (no label at
all) are read with the message's body charset as a hint.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from caseapp.evidence.parsers.charsets import decode_bytes

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_NOT_BASE64_TEXT = re.compile(rb"[^A-Za-z0-9+/=\s]")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class HeaderText:
    """A decoded header value and what was doubtful about it."""

    text: str
    warnings: list[str] = field(default_factory=list)


def raw_header_bytes(value: str) -> bytes:
    """The bytes a header value came from, as the bytes parser left them.

    `email.parser.BytesParser` keeps undecodable 8-bit bytes as surrogate escapes.
    """
    return value.encode("utf-8", "surrogateescape")


def decode_header(raw: bytes, fallback: str | None = None) -> HeaderText:
    """Decode one unfolded or folded header value to text.

    `fallback` is the charset to try first for raw 8-bit bytes outside encoded-words
    (usually the body's charset: the same mailer wrote both).
    """
    raw = _FOLD.sub(b"", raw).strip(b"\r\n")
    pieces: list[tuple[str | None, bytearray]] = []  # (charset or None for raw text, bytes)
    warnings: list[str] = []
    position = 0
    for word in _ENCODED_WORD.finditer(raw):
        between = raw[position : word.start()]
        follows_word = bool(pieces) and pieces[-1][0] is not None
        if not (follows_word and not between.strip(b" \t")):
            pieces.append((None, bytearray(between)))
        charset = word[1].split(b"*")[0].decode("ascii", "replace").lower()
        payload = _decode_word(word[2].upper(), word[3], warnings)
        if pieces and pieces[-1][0] == charset:
            pieces[-1][1].extend(payload)
        else:
            pieces.append((charset, bytearray(payload)))
        position = word.end()
    pieces.append((None, bytearray(raw[position:])))

    out: list[str] = []
    for charset, data in pieces:
        if not data:
            continue
        if charset is None:
            # Raw 8-bit header bytes: today's mailers write UTF-8 (RFC 6532); older
            # ones used the body's charset.
            charset = "utf-8" if _is_utf8(bytes(data)) else fallback
        decoded = decode_bytes(bytes(data), charset)
        out.append(decoded.text)
        warnings.extend(decoded.warnings)
    text = _CONTROL.sub("", "".join(out)).replace("\r", "").replace("\n", " ")
    return HeaderText(text.strip(), list(dict.fromkeys(warnings)))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_word(encoding: bytes, text: bytes, warnings: list[str]) -> bytes:
    if encoding == b"Q":
        return _Q_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), text.replace(b"_", b" "))
    return decode_base64(text, warnings)


def decode_base64(data: bytes, warnings: list[str]) -> bytes:
    """Base64 that salvages what it can from damaged input, with a warning."""
    if _NOT_BASE64_TEXT.search(data):
        warnings.append("base64 contained invalid characters; they were skipped")
    cleaned = _NOT_BASE64.sub(b"", data)
    if len(cleaned) % 4 == 1:
        warnings.append("base64 was cut short; the last byte was lost")
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        warnings.append("base64 could not be decoded")
        return b""


def header_date(raw: str | None) -> tuple[str | None, list[str]]:
    """A Date header as ISO 8601 keeping the sender's offset, or None with a warning."""
    if raw is None or not raw.strip():
        return None, []
    when = parse_when(raw)
    if when is None:
        return None, [f"unreadable Date header: {raw.strip()[:80]}"]
    return when.isoformat(), []


def parse_when(raw: str | None) -> datetime | None:
    """A Date header as an aware datetime, or None when it cannot be read.

    "-0000" means UTC with the sender's zone unknown, so it becomes UTC.
    """
    if raw is None:
        return None
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
