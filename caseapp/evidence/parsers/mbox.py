"""Read an mbox mailbox: each message becomes a child .eml, indexed in the text.

Mailboxes come from Thunderbird, Gmail Takeout and mailing-list archives. Their
'From ' separator lines differ ("From news@gmane.org Tue Mar 04 ...", "From
123@xxx", "From -"), and bodies may hold unescaped "From " lines of their own. A line
counts as a separator only when it names an address (or "-") or carries a time, and a
header line follows it: "From Russia with love" / "Year: 1963" in a body is not one.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from caseapp.evidence.parsers.base import Child, Limits, ParseError, ParseResult
from caseapp.evidence.parsers.email_headers import decode_header, parse_when, raw_header_bytes

# "From <address or -> [date]", or "From <user> <date with a time>", then a header.
_SEPARATOR = re.compile(
    rb"^From (?:(?:\S*@\S*|-)(?:[ \t][^\r\n]*)?|\S+[ \t][^\r\n]*\b\d\d?:\d\d\b[^\r\n]*)"
    rb"\r?\n(?=[!-9;-~]+:)",
    re.MULTILINE,
)
_SUBJECTS_KEPT = 10


def parse_mbox(data: bytes, limits: Limits) -> ParseResult:
    """Split a mailbox into its messages, as children named message-0001.eml, ..."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    starts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(data)]
    if not starts:
        raise ParseError("no mbox 'From ' separator line found")
    result = ParseResult(kind="mbox")
    if data[: starts[0][0]].strip():
        result.warnings.append("text before the first message was not kept")
    if len(starts) > limits.max_children:
        result.warnings.append(
            f"{len(starts)} messages; only the first {limits.max_children} were kept"
        )
        starts = starts[: limits.max_children]

    index: list[str] = []
    subjects: list[str] = []
    dates = []
    ends = [start for start, _ in starts[1:]] + [len(data)]
    for number, ((_, body_start), end) in enumerate(zip(starts, ends, strict=True), start=1):
        message = data[body_start:end]
        result.children.append(
            Child(name=f"message-{number:04d}.eml", data=message, media_type="message/rfc822")
        )
        headers = BytesHeaderParser(policy=compat32).parsebytes(message)
        subject = _header(headers, "Subject")
        sender = _header(headers, "From")
        when = parse_when(_header(headers, "Date"))
        if when is not None:
            dates.append(when)
        if len(subjects) < _SUBJECTS_KEPT:
            subjects.append(subject)
        stamp = when.isoformat() if when else "(no date)"
        index.append(f"{number:>5}  {stamp}  {sender or '(no sender)'}  {subject}")

    result.parsed = {
        "message_count": len(result.children),
        "first_at": min(dates).isoformat() if dates else None,
        "last_at": max(dates).isoformat() if dates else None,
        "subjects": subjects,
    }
    text = "\n".join(index)
    if len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        result.warnings.append(f"index cut at {limits.max_text_chars} characters")
    result.text = text
    return result


def _header(headers: Message, name: str) -> str:
    values = [v for k, v in headers.raw_items() if k.lower() == name.lower()]
    if not values:
        return ""
    return decode_header(raw_header_bytes(str(values[0]))).text.replace("\t", " ")
