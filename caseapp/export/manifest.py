"""The dossier's machine-readable manifest and the names its originals travel under.

The manifest is embedded in the PDF, placed beside it in the bundle and time-stamped there.
It is serialised canonically (sorted keys, fixed indentation, UTF-8, trailing newline), so the
same context always gives the same bytes and `caseapp verify` can compare them byte for byte.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from caseapp.export.context import DossierContext, EvidenceInfo

MANIFEST_FORMAT = "caseapp-dossier-manifest"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
_MAX_NAME_CHARS = 100


def sanitise_file_name(name: str, fallback: str = "evidence") -> str:
    """A user's file name made safe to show as an attachment or zip entry name.

    NFC-normalised, without control characters, path separators or characters Windows
    refuses, no leading dots (so no "..", no hidden files), bounded in length with the
    extension kept. It is display text only: it never becomes a path on this machine.
    """
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip().lstrip(".").strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned:
        return fallback
    if len(cleaned) > _MAX_NAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[: _MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:_MAX_NAME_CHARS]
    return cleaned


def evidence_label(number: int) -> str:
    """The evidence number as shown in the dossier: E-001."""
    return f"E-{number:03d}"


def attachment_name(item: EvidenceInfo) -> str:
    """The name an original carries inside the PDF and the bundle: "007-receipt.pdf"."""
    return f"{item.number:03d}-{sanitise_file_name(item.name)}"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_manifest(ctx: DossierContext) -> dict[str, Any]:
    """Describe the dossier: case, every evidence item with SHA-256 and size, custody head."""
    case = ctx.case
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "dossier_id": ctx.dossier_id,
        "generated_at": _iso(ctx.generated_at),
        "lang": ctx.lang,
        "recipient": ctx.recipient,
        "case": {
            "id": case.id,
            "title": case.title,
            "counterparty": case.counterparty,
            "category": case.category_label,
            "amount": case.amount,
            "currency": case.currency,
            "incident_at": _iso(case.incident_at),
            "status": case.status_label,
            "complainant": case.complainant_name,
        },
        "evidence": [
            {
                "number": item.number,
                "id": item.id,
                "name": item.name,
                "attachment": attachment_name(item),
                "media_type": item.media_type,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "received_at": _iso(item.received_at),
                "parent": item.parent_number,
            }
            for item in sorted(ctx.evidence, key=lambda e: e.number)
        ],
        "custody": {"entries": len(ctx.custody), "head_hash": ctx.custody_head},
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The canonical serialisation of a manifest."""
    text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
