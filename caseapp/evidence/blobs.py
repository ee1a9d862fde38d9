"""The blobs evidence keeps in the vault: each original, and what was read out of it.

Registered with the vault's reference registry in `create_app`, so `caseapp vault sweep`
keeps them and `caseapp vault verify` checks them against their rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from caseapp.database import DbSession
from caseapp.evidence.models import Derivative, Evidence
from caseapp.vault.references import BlobReference, ReferenceRegistry


def register(registry: ReferenceRegistry) -> None:
    """Add the evidence reference kinds to an application's registry."""
    registry.register("evidence original", originals)
    registry.register("evidence derivative", derivatives)


def originals(session: DbSession) -> Iterator[BlobReference]:
    """Every evidence item's original, with the SHA-256 and size taken when it arrived."""
    rows = session.execute(
        select(
            Evidence.id,
            Evidence.case_id,
            Evidence.number,
            Evidence.name,
            Evidence.blob_id,
            Evidence.sha256,
            Evidence.size,
        ).order_by(Evidence.case_id, Evidence.number)
    )
    for row in rows:
        yield BlobReference(
            row.blob_id,
            f"evidence {row.id} (case {row.case_id}, #{row.number} {row.name})",
            sha256=row.sha256,
            size=row.size,
        )


def derivatives(session: DbSession) -> Iterator[BlobReference]:
    """Everything read out of evidence (readings, text, thumbnails, page previews); their
    rows record the size only."""
    rows = session.execute(
        select(
            Derivative.role,
            Derivative.evidence_id,
            Derivative.blob_id,
            Derivative.size,
            Evidence.case_id,
            Evidence.number,
            Evidence.name,
        )
        .join(Evidence, Derivative.evidence_id == Evidence.id)
        .order_by(Evidence.case_id, Evidence.number, Derivative.role)
    )
    for row in rows:
        yield BlobReference(
            row.blob_id,
            f"{row.role} of evidence {row.evidence_id} "
            f"(case {row.case_id}, #{row.number} {row.name})",
            size=row.size,
        )
