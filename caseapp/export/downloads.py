"""A stored dossier file as an HTTP download: one response shape for pages and the API."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from flask import Response

from caseapp.evidence.downloads import content_disposition
from caseapp.export.models import Dossier
from caseapp.timezones import zone

MAX_TITLE = 60
# Characters no file name should carry: path separators, quotes, and those Windows
# refuses; control characters are dropped by category below.
_UNSAFE = re.compile(r"[/\\\"'`“”‘’<>:|?*]+")
_PREFIX = {"zh": "投诉材料", "en": "complaint-dossier"}


def safe_title(title: str) -> str:
    """A case title fit for a file name: no path separators, quotes or control
    characters, spaces folded, at most MAX_TITLE characters."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in title)
    text = _UNSAFE.sub(" ", text)
    text = " ".join(text.split())[:MAX_TITLE]
    return text.strip(" .-")


def dossier_filename(
    lang: str, made_at: datetime, case_title: str, zone_name: str, which: str
) -> str:
    """`投诉材料-<case title>-<date>.pdf` (English dossiers `complaint-dossier-…`), the
    date the dossier was made in the reader's zone; `.zip` for the bundle."""
    prefix = _PREFIX.get(lang, _PREFIX["en"])
    made = made_at.astimezone(zone(zone_name)).date().isoformat()
    title = safe_title(case_title)
    stem = "-".join(part for part in (prefix, title, made) if part)
    return f"{stem}.{'pdf' if which == 'pdf' else 'zip'}"


def dossier_response(
    chunks: Iterable[bytes], dossier: Dossier, which: str, *, case_title: str, zone_name: str
) -> Response:
    """A dossier file (`which`: "pdf" or "bundle") as a download named after the case
    (RFC 6266: an ASCII fallback and the UTF-8 name), with its SHA-256 in a header."""
    media_type = "application/pdf" if which == "pdf" else "application/zip"
    response = Response(chunks, content_type=media_type, direct_passthrough=True)
    name = dossier_filename(dossier.lang, dossier.created_at, case_title, zone_name, which)
    # For clients that read only filename=: the English name, Chinese titles folded away.
    fallback = dossier_filename("en", dossier.created_at, case_title, zone_name, which)
    response.headers["Content-Disposition"] = content_disposition(name, fallback=fallback)
    response.headers["Content-Length"] = str(
        dossier.size if which == "pdf" else dossier.bundle_size
    )
    response.headers["X-Content-SHA256"] = (
        dossier.sha256 if which == "pdf" else dossier.bundle_sha256
    ) or ""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
