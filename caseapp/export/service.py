"""Dossiers of a case: requesting one, finding them, serving and checking them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.database import DbSession, unit_of_work
from caseapp.export.dossier import check_request
from caseapp.export.jobs import queue_build
from caseapp.export.models import Dossier
from caseapp.export.pki import instance_trust_anchors
from caseapp.export.trust import TrustAnchors
from caseapp.export.verify import VerifyReport, verify_file
from caseapp.vault import BlobCorrupt, Vault

MAX_VERIFY_BYTES = 2 * 1024 * 1024 * 1024


class DossierNotFound(Exception):
    """No such dossier, or not in a case this user may see."""


class DossierNotReady(Exception):
    """The dossier is still being built, or its build failed."""


class DossierNotIntact(Exception):
    """The stored dossier failed authentication in the vault."""


@unit_of_work
def request_dossier(
    session: DbSession, case: Case, user: User, lang: object, recipient: object
) -> Dossier:
    """Queue a new dossier of the case (InvalidFields for a bad language or recipient).

    Its build job is added in the same transaction, so it runs once the dossier is stored.
    """
    lang, recipient = check_request(lang, recipient)
    dossier = Dossier(case_id=case.id, requested_by_id=user.id, lang=lang, recipient=recipient)
    session.add(dossier)
    session.flush()
    queue_build(session, dossier)
    return dossier


def dossier_in_case(session: DbSession, case: Case, dossier_id: str) -> Dossier:
    """The dossier if it belongs to this case."""
    dossier = session.get(Dossier, dossier_id) if isinstance(dossier_id, str) else None
    if dossier is None or dossier.case_id != case.id:
        raise DossierNotFound(dossier_id)
    return dossier


def list_dossiers(session: DbSession, case: Case) -> list[Dossier]:
    """The case's dossiers, newest first."""
    return list(
        session.scalars(
            select(Dossier).where(Dossier.case_id == case.id).order_by(Dossier.created_at.desc())
        )
    )


def open_file(vault: Vault, dossier: Dossier, which: str) -> Iterator[bytes]:
    """The stored PDF or bundle ("pdf" / "bundle"), authenticated segment by segment."""
    blob_id = dossier.pdf_blob_id if which == "pdf" else dossier.bundle_blob_id
    if dossier.status != "ready" or blob_id is None:
        raise DossierNotReady(dossier.id)
    try:
        return iter(vault.open(blob_id))
    except BlobCorrupt as exc:
        raise DossierNotIntact(dossier.id) from exc


def verify_stored(vault: Vault, dossier: Dossier, keys_path: Path) -> VerifyReport:
    """Check the stored PDF as `caseapp verify` would beside the instance: signature, time
    stamps, originals, and a signer that chains to this instance's anchors (its CA, and for
    dossiers signed before the CA existed, the old self-signed certificates; see
    pki.instance_trust_anchors)."""
    if dossier.status != "ready" or dossier.pdf_blob_id is None:
        raise DossierNotReady(dossier.id)
    try:
        data = vault.read_bytes(dossier.pdf_blob_id, MAX_VERIFY_BYTES)
    except BlobCorrupt as exc:
        raise DossierNotIntact(dossier.id) from exc
    try:
        certs = instance_trust_anchors(keys_path)
    except (OSError, ValueError):  # an unreadable keys folder: no anchor, at best "unconfirmed"
        certs = []
    return verify_file(data, TrustAnchors(certs, source="instance" if certs else "none"))
