"""Tell what an uploaded file is from its bytes, never from its name.

libmagic reads the first bytes; our own checks cover what it gets wrong or too coarse
for evidence: Outlook .msg inside OLE2, a single mail versus an mbox, chat exports
versus other JSON and text, HEIC. The file name is display text. It is consulted only to
break a tie between container formats the bytes cannot tell apart (a lone "From " line
could start an mbox or one saved mail), and never to claim a type the bytes contradict:
an HTML page named photo.jpg is text/html.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import magic

from caseapp.evidence.parsers.charsets import decode_bytes
from caseapp.evidence.parsers.chat_json import chat_platform
from caseapp.evidence.parsers.chat_telegram_html import looks_like_telegram_html
from caseapp.evidence.parsers.chat_text import looks_like_line_chat

HEAD_BYTES = 64 * 1024  # what callers should pass; libmagic itself reads the first 8 KiB
KINDS = ("email", "mbox", "chat", "image", "pdf", "text", "other")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_HEIF_BRANDS = {
    b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic", b"heis": "image/heic",
    b"hevc": "image/heic-sequence", b"hevx": "image/heic-sequence",
    b"mif1": "image/heif", b"msf1": "image/heif-sequence", b"avif": "image/avif",
}
# Raster formats Pillow (with pillow-heif) decodes; any other image/* (SVG!) is not "image".
_RASTER = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/x-ms-bmp",
    "image/tiff", "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence",
    "image/avif",
}
_MBOX_FROM = re.compile(rb"^From \S*", re.M)
_HEADER = re.compile(r"^([!-9;-~]+):")
_MAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "received", "recieved", "return-path", "message-id",
    "mime-version", "content-type", "content-transfer-encoding", "delivered-to", "reply-to",
    "sender", "x-mailer", "user-agent", "in-reply-to", "references", "bcc",
}
_CHAT_JSON = (
    re.compile(rb'"chats"\s*:\s*\{'),
    re.compile(rb'"messages"\s*:\s*\[\s*\{[^\]]{0,2000}?"(sender_name|date_unixtime|from_id|from)"'),
    re.compile(rb'"messages"\s*:\s*\[\s*\{[^\]]{0,2000}?"type"\s*:\s*"(message|service)"'),
)


@dataclass(frozen=True)
class Sniffed:
    """The media type the bytes show, and the evidence kind that decides the parser."""

    media_type: str
    kind: str


def sniff(head: bytes, filename: str | None = None) -> Sniffed:
    """Identify a file from its first bytes (pass `HEAD_BYTES` of them, or the whole file)."""
    if not head:
        return Sniffed("application/octet-stream", "other")
    by_magic = _libmagic(head)
    for check in (_binary, _container):
        found = check(head, filename)
        if found is not None:
            return found
    if by_magic.startswith("image/"):
        return Sniffed(by_magic, "image" if by_magic in _RASTER else "other")
    if _looks_binary(head) and not by_magic.startswith("text/"):
        return Sniffed(by_magic or "application/octet-stream", "other")
    return _text(head, filename, by_magic)


def _libmagic(head: bytes) -> str:
    try:
        return str(magic.from_buffer(head[:8192], mime=True))
    except Exception:  # libmagic errors are not the upload's fault: fall back to our checks
        return "application/octet-stream"


def _binary(head: bytes, _filename: str | None) -> Sniffed | None:
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return Sniffed("application/pdf", "pdf")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = [head[i : i + 4] for i in range(16, min(len(head), 64), 4)]
        for candidate in [brand, *compatible]:
            if candidate in _HEIF_BRANDS:
                return Sniffed(_HEIF_BRANDS[candidate], "image")
    return None


def _container(head: bytes, filename: str | None) -> Sniffed | None:
    if not head.startswith(_OLE2):
        return None
    # The property streams of an Outlook item are what make an OLE2 file a .msg.
    if _MSG_STREAM in head or _has_extension(filename, ".msg"):
        return Sniffed("application/vnd.ms-outlook", "email")
    return None


def _text(head: bytes, filename: str | None, by_magic: str) -> Sniffed:
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if body.startswith(b"From "):
        if len(_MBOX_FROM.findall(body)) >= 2 or not _has_extension(filename, ".eml"):
            return Sniffed("application/mbox", "mbox")
        return Sniffed("message/rfc822", "email")
    text = decode_bytes(_whole_lines(head)).text
    if _looks_like_mail(text):
        return Sniffed("message/rfc822", "email")
    if looks_like_line_chat(text):  # before JSON: iOS WhatsApp lines start with "["
        return Sniffed("text/plain", "chat")
    if body[:1] in (b"{", b"["):
        if _looks_like_chat_json(head):
            return Sniffed("application/json", "chat")
        return Sniffed("application/json", "text")
    if looks_like_telegram_html(text):
        return Sniffed("text/html", "chat")
    if by_magic in ("text/html", "text/xml", "image/svg+xml") or body[:1] == b"<":
        return Sniffed("text/html" if by_magic == "text/plain" else by_magic, "text")
    return Sniffed("text/plain", "text")


def _looks_like_mail(text: str) -> bool:
    """A header block: "Name: value" lines (folded ones allowed) up to a blank line.

    A mangled line among several good ones (hostile or damaged mail) still counts as
    mail; a lone header line only when it is MIME's own (a bare MIME entity).
    """
    lines = text.lstrip("\ufeff").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)  # some clients write blank or whitespace-only garbage first
    names: list[str] = []
    mangled = 0
    for line in lines[:200]:
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            continue
        match = _HEADER.match(line)
        if match is None:
            mangled += 1
        else:
            names.append(match.group(1).lower())
    if not any(n in _MAIL_HEADERS or n.startswith("x-") for n in names):
        return False
    if len(names) >= 2:
        return mangled * 3 <= len(names)
    return mangled == 0 and names[0] in ("content-type", "mime-version")


def _looks_like_chat_json(head: bytes) -> bool:
    try:
        return chat_platform(json.loads(head.decode("utf-8-sig"))) is not None
    except (ValueError, RecursionError):
        pass  # a head cut mid-document: judge by its keys instead
    return any(pattern.search(head) for pattern in _CHAT_JSON)


def _looks_binary(head: bytes) -> bool:
    sample = head[:4096]
    if not sample:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs but is text
    return b"\x00" in sample


def _whole_lines(head: bytes) -> bytes:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head[: len(head) - len(head) % 4]
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


def _has_extension(filename: str | None, extension: str) -> bool:
    return bool(filename) and filename.lower().endswith(extension)  # type: ignore[union-attr]
