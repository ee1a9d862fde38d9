"""Keeping stored dossiers verifiable after their time stamps' certificates expire.

A B-LTA dossier stays verifiable as long as its newest document time stamp can be
validated. Before that time stamp's certificate expires, a fresh document time stamp (and
the validation data for the previous one, in the DSS) is appended: the archive time stamp
chain of PAdES. `caseapp dossier renew` does this for every stored dossier that needs it.

The renewed PDF is a new vault blob; the dossier row points at it once the custody entry
`dossier.renewed` commits, and only then is the old blob removed. The bundle ZIP keeps the
PDF as it was first issued: it still verifies, for as long as its own time stamps do.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from caseapp.custody import log as custody
from caseapp.database import DbSession, new_id, utcnow
from caseapp.export.models import Dossier
from caseapp.export.signing import Signer, signature_timestamp_certificate
from caseapp.runtime import Runtime

MAX_PDF_BYTES = 2 * 1024 * 1024 * 1024


class RenewFailed(Exception):
    """A stored dossier could not be read or time-stamped again (the reason is the message)."""


@dataclass(frozen=True)
class Renewal:
    """One dossier renewed: its id, the PDF's SHA-256 before and after, the old expiry."""

    dossier_id: str
    old_sha256: str
    new_sha256: str
    expired_at: datetime | None


def newest_stamp_expiry(pdf: bytes) -> datetime | None:
    """When the certificate of the dossier's newest time stamp expires.

    The newest document time stamp's, or for a dossier without one (signed before B-LTA)
    the signature time stamp's; None when the PDF carries no time stamp at all.
    """
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if stamps:
        cert = stamps[-1].signer_cert
    else:
        signatures = reader.embedded_regular_signatures
        found = signature_timestamp_certificate(signatures[0]) if signatures else None
        if found is None:
            return None
        cert = found
    return cert["tbs_certificate"]["validity"]["not_after"].native


def due(
    session: DbSession,
    rt: Runtime,
    before_days: int,
    renew_all: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> list[tuple[Dossier, datetime | None]]:
    """Ready dossiers whose newest time stamp's certificate expires within `before_days`
    (every ready dossier with `renew_all`), with that expiry."""
    limit = clock() + timedelta(days=before_days)
    found = []
    for dossier in session.scalars(
        select(Dossier).where(Dossier.status == "ready").order_by(Dossier.created_at)
    ):
        if dossier.pdf_blob_id is None:
            continue
        expiry = newest_stamp_expiry(rt.vault.read_bytes(dossier.pdf_blob_id, MAX_PDF_BYTES))
        if renew_all or expiry is None or expiry <= limit:
            found.append((dossier, expiry))
    session.rollback()
    return found


def renew(
    session: DbSession, rt: Runtime, dossier: Dossier, signer: Signer,
    expired_at: datetime | None = None,
) -> Renewal:
    """Append a fresh document time stamp (and updated DSS) to one stored dossier."""
    if dossier.pdf_blob_id is None or dossier.sha256 is None:
        raise RenewFailed(f"dossier {dossier.id} has no stored PDF")
    old_blob, old_sha256 = dossier.pdf_blob_id, dossier.sha256
    try:
        renewed = signer.renew(rt.vault.read_bytes(old_blob, MAX_PDF_BYTES))
    except Exception as error:  # pyHanko and the TSA raise many types
        reason = str(error) or "the time stamp or the validation data could not be made"
        raise RenewFailed(f"dossier {dossier.id}: not renewed: {reason}") from error
    blob = rt.vault.put_bytes(new_id(), renewed)
    try:
        custody.record(
            session,
            rt.head_key,
            case_id=dossier.case_id,
            actor="system",
            action="dossier.renewed",
            subject=f"dossier:{dossier.id}",
            details={
                "old_sha256": old_sha256,
                "sha256": blob.sha256,
                "timestamp_certificate_expiry": expired_at.isoformat() if expired_at else None,
            },
        )
        dossier.pdf_blob_id, dossier.sha256, dossier.size = blob.blob_id, blob.sha256, blob.size
        session.commit()
    except BaseException:
        session.rollback()
        rt.vault.delete(blob.blob_id)
        raise
    rt.vault.delete(old_blob)  # only now: the row no longer points at it
    return Renewal(dossier.id, old_sha256, blob.sha256, expired_at)
