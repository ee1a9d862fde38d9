"""The blobs dossier export keeps in the vault: each dossier's signed PDF and its bundle.

Registered with the vault's reference registry in `create_app`, so `caseapp vault sweep`
keeps them and `caseapp vault verify` checks them against the SHA-256 and size the
dossier row recorded when it was built.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from caseapp.database import DbSession
from caseapp.export.models import Dossier
from caseapp.vault.references import BlobReference, ReferenceRegistry


def register(registry: ReferenceRegistry) -> None:
    """Add the dossier reference kinds to an application's registry."""
    registry.register("dossier PDF", pdfs)
    registry.register("dossier bundle", bundles)


def pdfs(session: DbSession) -> Iterator[BlobReference]:
    """Every built dossier's signed PDF."""
    rows = session.execute(
        select(Dossier.id, Dossier.case_id, Dossier.pdf_blob_id, Dossier.sha256, Dossier.size)
        .where(Dossier.pdf_blob_id.is_not(None))
        .order_by(Dossier.case_id, Dossier.created_at)
    )
    for row in rows:
        yield BlobReference(
            row.pdf_blob_id,
            f"PDF of dossier {row.id} (case {row.case_id})",
            sha256=row.sha256,
            size=row.size,
        )


def bundles(session: DbSession) -> Iterator[BlobReference]:
    """Every built dossier's bundle ZIP (PDF, originals, manifest and its time stamp)."""
    rows = session.execute(
        select(
            Dossier.id,
            Dossier.case_id,
            Dossier.bundle_blob_id,
            Dossier.bundle_sha256,
            Dossier.bundle_size,
        )
        .where(Dossier.bundle_blob_id.is_not(None))
        .order_by(Dossier.case_id, Dossier.created_at)
    )
    for row in rows:
        yield BlobReference(
            row.bundle_blob_id,
            f"bundle of dossier {row.id} (case {row.case_id})",
            sha256=row.bundle_sha256,
            size=row.bundle_size,
        )
