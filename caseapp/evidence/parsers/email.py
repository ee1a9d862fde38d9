"""Read an .eml message: headers, bodies, and attachments as children.

The standard library parses the MIME structure with the compat32 policy: it never
raises on malformed input, records defects instead, and hands back header values
undecoded, so every header goes through our own charset rules (see email_headers).
The tree is walked with an explicit stack and a part budget, so a hostile message
cannot recurse or loop its way past the limits.
"""

from __future__ import annotations

import mimetypes
import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Any

from caseapp.evidence.parsers.base import Child, Limits, ParseError, ParseResult
from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.email_headers import (
    decode_base64,
    decode_header,
    header_date,
    raw_header_bytes,
)
from caseapp.evidence.parsers.html import html_charset, html_to_text, sanitise_email_html

# Parts read as the message's text, beside text/html; anything else is an attachment.
_BODY_TEXT = {"text/plain", "text/rfc822-headers", "message/delivery-status", "text/enriched"}
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NAME = 200
_MAX_SKIPPED_LINES = 5
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def _encoded_text(part: Message) -> str | None:
    """A leaf part's body as it stands in the message, before transfer decoding."""
    try:
        payload = part.get_payload()
    except ValueError:  # 8-bit bytes in the body and a charset name with a NUL in it
        return None
    return payload if isinstance(payload, str) else None


def parse_eml(data: bytes, limits: Limits, depth: int = 0) -> ParseResult:
    """Describe one RFC 5322 message; its attachments become direct children.

    `depth` is how deep this message sits inside other evidence; at `limits.max_depth`
    attachments are listed but no longer extracted.
    """
    data = _LEADING_BLANK_LINES.sub(b"", data.removeprefix(b"\xef\xbb\xbf"), count=1)
    if not data.strip():
        raise ParseError("empty message")
    message, skipped = _parse_headed(data)
    reader = _MessageReader(limits, extract=depth < limits.max_depth)
    if skipped:
        reader.warnings.append(f"{skipped} malformed line(s) before the headers were skipped")
    reader.walk(message)
    return reader.result(message)


def _parse_headed(data: bytes) -> tuple[Message, int]:
    """Parse, skipping a few garbage lines when the headers do not start at once.

    A corrupted first line ("Fro :...") makes the parser take every header for
    body text; the headers after it are still worth reading.
    """
    lines = data.split(b"\n", _MAX_SKIPPED_LINES + 1)
    for skipped in range(min(_MAX_SKIPPED_LINES, len(lines) - 1) + 1):
        if skipped and not _HEADER_LINE.match(lines[skipped]):
            continue
        try:
            message = BytesParser(policy=compat32).parsebytes(b"\n".join(lines[skipped:]))
        except RecursionError as exc:
            raise ParseError("MIME parts nested too deeply to read") from exc
        if message.keys():
            return message, skipped
    raise ParseError("no email headers found")


class _MessageReader:
    """Walks one message's MIME tree, collecting bodies, attachments and warnings."""

    def __init__(self, limits: Limits, extract: bool) -> None:
        self.limits = limits
        self.extract = extract
        self.plain: list[str] = []
        self.html: list[str] = []
        self.children: list[Child] = []
        self.attachments: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.charsets: list[str] = []
        self.hint: str | None = None  # the body's charset, for raw 8-bit headers

    def walk(self, root: Message) -> None:
        """Visit every part depth-first, within the part budget."""
        stack = [root]
        seen = 0
        while stack:
            part = stack.pop()
            seen += 1
            if seen > self.limits.max_parts:
                self.warnings.append(f"only the first {self.limits.max_parts} MIME parts were read")
                return
            self._note_defects(part)
            embedded = part is not root and part.get_content_type() == "message/rfc822"
            # is_multipart(), not get_payload(): on a leaf with 8-bit bytes, get_payload()
            # decodes with the declared charset, and a charset holding a NUL raises.
            if part.is_multipart() and not embedded:
                if part.get_content_type() == "message/delivery-status":
                    self._leaf(part)
                else:
                    self._epilogue(part)
                    parts = part.get_payload()
                    stack.extend(reversed([p for p in parts if isinstance(p, Message)]))
                continue
            try:
                self._leaf(part)
            except (LookupError, ValueError, TypeError) as exc:
                self.warnings.append(f"a {part.get_content_type()} part could not be read ({exc})")

    def _epilogue(self, part: Message) -> None:
        """Keep text after a multipart's last boundary: a broken boundary puts parts there."""
        epilogue = part.epilogue
        if not epilogue or not epilogue.strip():
            return
        decoded = decode_bytes(raw_header_bytes(epilogue), None)
        self.plain.append(decoded.text)
        self.warnings.append("text after the last MIME boundary was kept as body text")
        self.warnings.extend(f"text after the last boundary: {w}" for w in decoded.warnings)

    def _leaf(self, part: Message) -> None:
        media_type = part.get_content_type()
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        name = self._filename(part)
        if part.get_content_maintype() == "multipart":
            # Its boundary never matched: the parts are unreadable as parts, but
            # their text is still evidence, so it is kept as body text.
            self.plain.append(self._text(part, "text/plain"))
            return
        if disposition != "attachment" and name is None:
            if media_type in _BODY_TEXT:
                self.plain.append(self._text(part, media_type))
                return
            if media_type == "text/html":
                self.html.append(self._text(part, media_type))
                return
        self._attach(part, media_type, name)

    def _text(self, part: Message, media_type: str) -> str:
        data = self._payload(part, media_type)
        label = _param(part, "charset")
        if label is None and media_type == "text/html":
            label = html_charset(data)
        if label and self.hint is None:
            self.hint = label
        decoded = decode_bytes(data, label)
        self.charsets.append(decoded.encoding)
        self.warnings.extend(f"{media_type} body: {w}" for w in decoded.warnings)
        return decoded.text

    def _attach(self, part: Message, media_type: str, name: str | None) -> None:
        index = len(self.attachments) + 1
        if name is None:
            name = f"attachment-{index}{_extension(media_type)}"
        if media_type == "application/octet-stream" and name.lower().endswith(".eml"):
            media_type = "message/rfc822"  # forwarded mail sent as a plain file
        data = self._payload(part, name)
        self.attachments.append({"name": name, "media_type": media_type, "size": len(data)})
        if not self.extract:
            if index == 1:
                self.warnings.append("nested too deeply: attachments listed but not extracted")
            return
        if len(self.children) >= self.limits.max_children:
            if len(self.children) == self.limits.max_children:
                self.warnings.append(
                    f"only the first {self.limits.max_children} attachments were extracted"
                )
            return
        description = "embedded message" if media_type == "message/rfc822" else None
        self.children.append(Child(name=name, data=data, media_type=media_type,
                                   description=description))

    def _payload(self, part: Message, what: str) -> bytes:
        """The decoded bytes of a leaf part, salvaging damaged transfer encodings."""
        if part.is_multipart():  # an embedded message or delivery-status blocks
            return b"".join(
                _message_bytes(m, self.warnings)
                for m in part.get_payload()
                if isinstance(m, Message)
            )
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        encoded = _encoded_text(part) if encoding == "base64" else None
        if encoded is not None:
            # Our own decoder: the standard one returns the encoded text when the
            # length is wrong, and says nothing of skipped characters.
            problems: list[str] = []
            data = decode_base64(raw_header_bytes(encoded), problems)
            self.warnings.extend(f"{what}: {p}" for p in problems)
            return data
        # Unlike get_payload(), this returns the original 8-bit bytes, not a
        # lossy decoding with the declared charset.
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else b""

    def _filename(self, part: Message) -> str | None:
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            value = part.get_param(param, header=header)
            if value is None:
                continue
            if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text)
                charset, _language, text = value
                raw = str(text).encode("latin-1", "surrogateescape")
                name = decode_bytes(raw, charset or self.hint).text
            else:
                decoded = decode_header(raw_header_bytes(value), self.hint)
                name = decoded.text
            cleaned = _UNSAFE_NAME.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
            if cleaned:
                return cleaned[:_MAX_NAME]
        return None

    def _note_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", []):
            words = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
            self.warnings.append(f"malformed MIME: {words}")

    def result(self, message: Message) -> ParseResult:
        """Assemble the summary, the readable text and the safe HTML."""
        headers: dict[str, str | None] = {}
        for name in ("Subject", "From", "To", "Cc", "Message-ID"):
            raw = _raw_header(message, name)
            if raw is None:
                headers[name] = None
                continue
            decoded = decode_header(raw, self.hint)
            headers[name] = decoded.text.replace("\t", " ")
            self.warnings.extend(f"{name} header: {w}" for w in decoded.warnings)
        raw_date = _raw_header(message, "Date")
        date_text = raw_date.decode("utf-8", "replace").strip() if raw_date else None
        date, date_warnings = header_date(date_text)
        self.warnings.extend(date_warnings)

        body = "\n\n".join(t for t in self.plain if t.strip())
        if not body and self.html:
            body = html_to_text("\n".join(self.html), self.limits.max_text_chars)
        lines = [f"{label}: {headers[key]}" for label, key in
                 (("Subject", "Subject"), ("From", "From"), ("To", "To"), ("Cc", "Cc"))
                 if headers[key] is not None]
        if date_text:
            lines.append(f"Date: {date_text}")
        if self.attachments:
            lines.append("Attachments: " + ", ".join(a["name"] for a in self.attachments))
        text = "\n".join(lines) + "\n\n" + body if lines else body
        if len(text) > self.limits.max_text_chars:
            text = text[: self.limits.max_text_chars]
            self.warnings.append(f"text cut at {self.limits.max_text_chars} characters")

        html = (
            sanitise_email_html("\n".join(self.html), self.limits.max_html_depth, self.warnings)
            if self.html
            else None
        )
        parsed = {
            "subject": headers["Subject"],
            "from": headers["From"],
            "to": headers["To"],
            "cc": headers["Cc"],
            "date": date,
            "message_id": headers["Message-ID"],
            "attachments": self.attachments,
            "charsets": list(dict.fromkeys(self.charsets)),
        }
        return ParseResult(
            kind="email",
            parsed=parsed,
            text=text,
            html=html,
            warnings=list(dict.fromkeys(self.warnings)),
            children=self.children,
        )


def _raw_header(message: Message, name: str) -> bytes | None:
    """All values of one header as the bytes they came from, joined by commas."""
    values = [v for k, v in message.raw_items() if k.lower() == name.lower()]
    if not values:
        return None
    if name in {"To", "Cc"}:
        return b", ".join(raw_header_bytes(str(v)) for v in values)
    return raw_header_bytes(str(values[0]))


def _param(part: Message, name: str) -> str | None:
    value = part.get_param(name)
    if isinstance(value, tuple):
        value = value[2]
    return str(value).strip() if value else None


def _message_bytes(message: Message, warnings: list[str]) -> bytes:
    """An embedded message written back out as bytes (compat32 keeps it as parsed)."""
    try:
        return message.as_bytes(policy=compat32)
    except (LookupError, ValueError, TypeError, UnicodeError, RecursionError) as exc:
        warnings.append(f"an embedded message could not be written out ({type(exc).__name__})")
        return b""


def _extension(media_type: str) -> str:
    if media_type == "message/rfc822":
        return ".eml"
    return mimetypes.guess_extension(media_type, strict=False) or ".bin"
