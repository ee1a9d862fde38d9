"""Read an Outlook .msg file (OLE compound file) through extract-msg.

The file is opened from the bytes in memory (olefile reads bytes directly), never
from a path. Older "ANSI" .msg files store strings in the sender's Windows code page
without saying so reliably: extract-msg guesses Western, which turns Chinese and
Japanese into mojibake. The code page is worked out here from the message's own
properties, checked against the bytes, and the file is reopened with it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import extract_msg
from extract_msg.msg_classes import MessageBase

from caseapp.evidence.parsers.base import Child, Limits, ParseError, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes, normalise_charset
from caseapp.evidence.parsers.email_headers import header_date
from caseapp.evidence.parsers.html import html_charset, html_to_text, sanitise_email_html

# Windows locale ids (PR_MESSAGE_LOCALE_ID) and their ANSI code pages.
_LOCALE_CODE_PAGES = {
    0x0804: "cp936", 0x1004: "cp936", 0x0404: "cp950", 0x0C04: "cp950", 0x1404: "cp950",
    0x0411: "cp932", 0x0412: "cp949",
}
# Internet code pages (PR_INTERNET_CPID) as the Windows code page of the same script.
_INTERNET_CODE_PAGES = {
    50220: "cp932", 50221: "cp932", 50222: "cp932", 51932: "cp932", 20932: "cp932",
    936: "cp936", 54936: "gb18030", 52936: "cp936", 20936: "cp936", 950: "cp950",
    949: "cp949", 51949: "cp949", 65001: "utf-8",
}
_PR_MESSAGE_CODEPAGE = "3FFD0003"
_PR_INTERNET_CPID = "3FDE0003"
_PR_MESSAGE_LOCALE_ID = "3FF10003"
_SUBJECT_STREAM = "__substg1.0_0037001E"
_BODY_STREAM = "__substg1.0_1000001E"
_SAMPLE_BYTES = 64 * 1024
_MAX_NAME = 200

# extract-msg logs every unusual property at WARNING; the evidence's own warnings say
# what matters, so its chatter stays out of the server log.
logging.getLogger("extract_msg").setLevel(logging.ERROR)


def parse_msg(data: bytes, limits: Limits) -> ParseResult:
    """Describe an Outlook message; attachments and embedded messages become children."""
    warnings: list[str] = []
    message = _open(data, None)
    try:
        encoding = _ansi_encoding(message, warnings)
    except Exception:  # noqa: BLE001 - any property read can fail on a damaged file
        encoding = None
    if encoding is not None:
        message.close()
        message = _open(data, encoding)
    try:
        return _read(message, limits, warnings)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - extract-msg has no single error type
        raise ParseError(f"unreadable .msg ({type(exc).__name__})") from exc
    finally:
        message.close()


def _open(data: bytes, encoding: str | None) -> Any:
    try:
        opened = extract_msg.openMsg(
            data, strict=False, delayAttachments=True, overrideEncoding=encoding
        )
    except Exception as exc:  # noqa: BLE001 - olefile and extract-msg raise many kinds
        raise ParseError(f"not a readable Outlook .msg file ({type(exc).__name__})") from exc
    if not isinstance(opened, MessageBase):
        opened.close()
        raise ParseError("an Outlook item that is not a message")
    return opened


def _ansi_encoding(message: Any, warnings: list[str]) -> str | None:
    """The code page an ANSI (non-Unicode) message's strings are really in.

    Returns None for Unicode messages, which need nothing. The declared candidates
    are checked against the subject and body bytes; when none fits, the bytes decide.
    """
    if message.areStringsUnicode:
        return None
    sample = b"\n".join(
        stream for stream in (message.getStream(_SUBJECT_STREAM), message.getStream(_BODY_STREAM))
        if stream
    )[:_SAMPLE_BYTES]
    candidates = [
        _code_page_name(_prop(message, _PR_MESSAGE_CODEPAGE)),
        _LOCALE_CODE_PAGES.get(_prop(message, _PR_MESSAGE_LOCALE_ID) or 0),
        _INTERNET_CODE_PAGES.get(_prop(message, _PR_INTERNET_CPID) or 0),
    ]
    declared = next((c for c in candidates if c), None)
    decoded = decode_bytes(sample, declared)
    warnings.extend(f"ANSI .msg strings: {w}" for w in decoded.warnings)
    return decoded.encoding if decoded.encoding != "ascii" else declared or "cp1252"


def _prop(message: Any, key: str) -> int | None:
    prop = message.props.get(key)
    value = getattr(prop, "value", None)
    return value if isinstance(value, int) else None


def _code_page_name(number: int | None) -> str | None:
    if not number:
        return None
    return normalise_charset(f"cp{number}")


def _read(message: Any, limits: Limits, warnings: list[str]) -> ParseResult:
    body = message.body or ""
    html = _html(message, warnings)
    if not body.strip() and html:
        body = html_to_text(html, limits.max_text_chars)

    children, attachments = _attachments(message, limits, warnings)
    subject = message.subject or ""
    sender, to, cc = message.sender, message.to, message.cc
    raw_date = message.header.get("Date") if message.header is not None else None
    date, date_warnings = header_date(str(raw_date) if raw_date else None)
    warnings.extend(date_warnings)
    if date is None and isinstance(message.date, datetime):
        date = message.date.isoformat()

    lines = [f"Subject: {subject}"]
    lines += [f"{label}: {value}" for label, value in (("From", sender), ("To", to), ("Cc", cc))
              if value]
    if date:
        lines.append(f"Date: {raw_date or date}")
    if attachments:
        lines.append("Attachments: " + ", ".join(a["name"] for a in attachments))
    text = "\n".join(lines) + "\n\n" + body.replace("\r\n", "\n")
    if len(text) > limits.max_text_chars:
        text = text[: limits.max_text_chars]
        warnings.append(f"text cut at {limits.max_text_chars} characters")

    safe_html = sanitise_email_html(html, limits.max_html_depth, warnings) if html else None
    parsed = {
        "subject": subject,
        "from": sender,
        "to": to,
        "cc": cc,
        "date": date,
        "message_id": message.messageId,
        "attachments": attachments,
        "charsets": [message.stringEncoding],
    }
    return ParseResult(
        kind="email",
        parsed=parsed,
        text=text,
        html=safe_html,
        warnings=list(dict.fromkeys(warnings)),
        children=children,
    )


def _html(message: Any, warnings: list[str]) -> str | None:
    """The HTML body, de-encapsulated from RTF by extract-msg when that is all there is."""
    try:
        data = message.htmlBody
    except Exception as exc:  # noqa: BLE001 - RTF de-encapsulation fails in many ways
        warnings.append(f"HTML body could not be read ({type(exc).__name__})")
        return None
    if not data:
        return None
    decoded = decode_bytes(data, html_charset(data))
    warnings.extend(f"HTML body: {w}" for w in decoded.warnings)
    return decoded.text


def _attachments(
    message: Any, limits: Limits, warnings: list[str]
) -> tuple[list[Child], list[dict[str, Any]]]:
    children: list[Child] = []
    listed: list[dict[str, Any]] = []
    for index, attachment in enumerate(message.attachments, start=1):
        try:
            child = _child(attachment, index)
        except Exception as exc:  # noqa: BLE001 - one bad attachment must not lose the rest
            warnings.append(f"attachment {index} could not be read ({type(exc).__name__})")
            continue
        if child is None:
            warnings.append(f"attachment {index} holds no data that could be extracted")
            continue
        listed.append({"name": child.name, "media_type": child.media_type,
                       "size": len(child.data)})
        if len(children) < limits.max_children:
            children.append(child)
        elif len(children) == limits.max_children:
            warnings.append(f"only the first {limits.max_children} attachments were extracted")
    return children, listed


def _child(attachment: Any, index: int) -> Child | None:
    data = attachment.data
    if isinstance(data, MessageBase):
        title = _clean_name(data.subject or "") or f"message-{index}"
        return Child(name=f"{title}.msg", data=data.exportBytes(),
                     media_type="application/vnd.ms-outlook", description="embedded message")
    if not isinstance(data, bytes):
        return None
    name = _clean_name(
        attachment.longFilename or attachment.shortFilename or attachment.displayName or ""
    ) or f"attachment-{index}.bin"
    media_type = attachment.mimetype or "application/octet-stream"
    if media_type == "application/octet-stream" and name.lower().endswith(".eml"):
        media_type = "message/rfc822"
    return Child(name=name, data=data, media_type=media_type)


def _clean_name(name: str) -> str:
    """A display name for a file: no directories, no control characters, bounded."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable()).strip()[:_MAX_NAME]
