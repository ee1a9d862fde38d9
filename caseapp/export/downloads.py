"""Dossier files as downloads, the same for the web pages and the API."""

from __future__ import annotations

from typing import Any

from flask import Response

from caseapp.export.models import Dossier


def dossier_response(chunks: Any, dossier: Dossier, which: str) -> Response:
    """A dossier file as a download, with its SHA-256 in a header."""
    media_type, extension = (
        ("application/pdf", "pdf") if which == "pdf" else ("application/zip", "zip")
    )
    response = Response(chunks, content_type=media_type, direct_passthrough=True)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="dossier-{dossier.id}.{extension}"'
    )
    response.headers["Content-Length"] = str(
        dossier.size if which == "pdf" else dossier.bundle_size
    )
    response.headers["X-Content-SHA256"] = (
        dossier.sha256 if which == "pdf" else dossier.bundle_sha256
    ) or ""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
