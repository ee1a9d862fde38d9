"""Serving evidence back: originals only ever as attachments, never rendered inline."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, current_app

from caseapp.access.policy import CaseAccess
from caseapp.custody.looks import look_fields, record_look
from caseapp.evidence import service as evidence_service
from caseapp.evidence.models import Evidence
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.vault import BlobCorrupt

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


def content_disposition(name: str, fallback: str | None = None) -> str:
    """RFC 6266 attachment header: an ASCII fallback (`fallback`, or `name` folded to
    ASCII) plus the UTF-8 name in filename*."""
    ascii_name = (
        unicodedata.normalize("NFKD", fallback or name).encode("ascii", "ignore").decode("ascii")
    )
    ascii_name = "".join(
        ch if ch.isprintable() and ch not in '"\\;' else "_" for ch in ascii_name
    ).strip()
    # "投诉-标题-2026.pdf" folds to "--2026.pdf": one dash where the letters were.
    ascii_name = re.sub(r"-{2,}", "-", ascii_name)
    base, dot, extension = ascii_name.rpartition(".")
    if not dot:
        base, extension = ascii_name, ""
    base = base.strip("-")
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
    response.headers["X-Evidence-SHA256"] = evidence.sha256
    return response


def original_download(access: CaseAccess, item: Evidence) -> Response:
    """The original as a streamed attachment, with the download in the custody log.

    A blob found not intact is logged too (`evidence.integrity_failed`, with how many
    bytes had gone out): before anything is sent, the entry is made and
    EvidenceNotIntact raised; midway, the entry is made and the stream cut off.
    """
    rt = runtime()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fields = look_fields(access, item)

    def log(action: str, **extra: int) -> None:
        # A unit of work of its own: the entry is kept whatever the stream does next.
        record_look(db.session, rt.head_key, fields, action, **extra)

    try:
        chunks = evidence_service.open_original(rt.vault, item)
    except evidence_service.EvidenceNotIntact:
        log("evidence.integrity_failed", served=0)
        raise
    log("evidence.downloaded")

    def watched() -> Iterator[bytes]:
        served = 0
        try:
            for chunk in chunks:
                yield chunk
                served += len(chunk)
        except BlobCorrupt:
            # The response is being sent after the request ended: log in a context of its own.
            with app.app_context():
                log("evidence.integrity_failed", served=served)
            raise

    return attachment_response(watched(), item)
