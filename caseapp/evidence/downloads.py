"""Serving evidence back: originals only ever as attachments, never rendered inline."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response

from caseapp.evidence.models import Evidence

# Types a browser would run or render as a page are sent as opaque bytes.
_PASSIVE_PREFIXES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "application/pdf",
    "text/plain",
    "message/rfc822",
    "application/vnd.ms-outlook",
    "application/mbox",
    "application/json",
    "application/zip",
)


def content_disposition(name: str) -> str:
    """RFC 6266 attachment header: an ASCII fallback plus the UTF-8 name in filename*."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(
        ch if ch.isprintable() and ch not in '"\\;' else "_" for ch in ascii_name
    ).strip()
    base, dot, extension = ascii_name.rpartition(".")
    if not dot:
        base, extension = ascii_name, ""
    # "大文件.bin" leaves ".bin": a hidden file in a client that only reads filename=.
    if not base.strip("._- "):
        base = "evidence"
    fallback = f"{base}.{extension}" if extension else base
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def safe_media_type(media_type: str) -> str:
    """The type to announce for a download; anything possibly active becomes octet-stream."""
    return media_type if media_type.startswith(_PASSIVE_PREFIXES) else "application/octet-stream"


def attachment_response(chunks: Iterator[bytes], evidence: Evidence) -> Response:
    """A streamed download of an original, with headers that keep the browser from running it."""
    response = Response(
        chunks, content_type=safe_media_type(evidence.media_type), direct_passthrough=True
    )
    response.headers["Content-Disposition"] = content_disposition(evidence.name)
    response.headers["Content-Length"] = str(evidence.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Evidence-SHA256"] = evidence.sha256
    return response
