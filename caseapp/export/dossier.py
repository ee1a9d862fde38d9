"""Building a dossier from a case: the context from the database and vault, then the
signed PDF and bundle into the vault, and the custody entry that records it.

`build` is what every export path runs (the background worker, the CLI), so a dossier
is the same however it was asked for.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import force_locale
from sqlalchemy import update

from caseapp.access.policy import share_holders
from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.cases.vocabulary import CATEGORY_BY_CODE, CHANNELS, DIRECTIONS, STATUSES
from caseapp.custody import log as custody
from caseapp.custody.document import custody_document, document_bytes
from caseapp.database import DbSession, new_id, utcnow
from caseapp.evidence import service as evidence_service
from caseapp.evidence.models import Evidence
from caseapp.export.context import (
    LANGS,
    RECIPIENT_KINDS,
    CaseInfo,
    CustodyInfo,
    DossierContext,
    EventInfo,
    EvidenceInfo,
    ImageRef,
)
from caseapp.export.models import Dossier
from caseapp.export.pipeline import produce_bundle, produce_dossier
from caseapp.export.signing import Signer
from caseapp.fields import InvalidFields
from caseapp.jobs import Claim
from caseapp.runtime import Runtime
from caseapp.timezones import default_zone_for
from caseapp.vault import BlobInfo, Vault

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_BABEL_LOCALE = {"zh": "zh_CN", "en": "en"}
MAX_IMAGE_BYTES = 64 * 1024 * 1024
_SWAPPED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that turn the picture sideways


def check_request(lang: Any, recipient: Any) -> tuple[str, str]:
    """Validate an export request's language and recipient (InvalidFields otherwise)."""
    errors = {}
    if lang not in LANGS:
        errors["lang"] = f"must be one of: {', '.join(LANGS)}"
    if recipient not in RECIPIENT_KINDS:
        errors["recipient"] = f"must be one of: {', '.join(RECIPIENT_KINDS)}"
    if errors:
        raise InvalidFields(errors)
    return lang, recipient


def signer_for(rt: Runtime) -> Signer:
    """The instance's signer, with the external time stamp authorities when configured."""
    settings = rt.settings
    return Signer(
        settings.keys_path,
        tsa_urls=settings.tsa_urls,
        accredited=settings.tsa_accredited,
        policy_oid=settings.tsa_policy_oid,
        organisation=settings.organisation,
    )


def _vault_stream(vault: Vault, blob_id: str) -> Callable[[], BinaryIO]:
    def open_stream() -> BinaryIO:
        return io.BufferedReader(_ChunkStream(iter(vault.open(blob_id))))

    return open_stream


class _ChunkStream(io.RawIOBase):
    """A file-like view over the vault's authenticated plaintext segments."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _images(vault: Vault, item: Evidence, kind: str, parsed: dict[str, Any]) -> list[ImageRef]:
    """The pictures of an item: an image's own original, else its page previews.

    The original is read from the vault (decrypted in memory) only when the renderer asks
    for it; its print rendition is made there and then, never stored.
    """
    if kind == "image" and item.media_type.startswith("image/"):
        width, height = parsed.get("width"), parsed.get("height")
        if parsed.get("orientation") in _SWAPPED_ORIENTATIONS:
            width, height = height, width
        return [
            ImageRef(
                item.media_type,
                functools.partial(vault.read_bytes, item.blob_id, MAX_IMAGE_BYTES),
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
            )
        ]
    refs = []
    for derivative in item.derivatives:
        page = _page_number(derivative.role)
        if derivative.role == "thumbnail" or page is not None:
            refs.append(
                ImageRef(
                    derivative.media_type,
                    functools.partial(vault.read_bytes, derivative.blob_id, MAX_IMAGE_BYTES),
                    page=page,
                )
            )
    return sorted(refs, key=lambda r: r.page or 0)


def _page_number(role: str) -> int | None:
    number = role.removeprefix("page-")
    return int(number) if number != role and number.isdigit() else None


def _evidence_info(vault: Vault, item: Evidence, numbers: dict[str, int]) -> EvidenceInfo:
    reading = evidence_service.reading_of(vault, item)
    html = evidence_service.derived_bytes(vault, item, "html")
    return EvidenceInfo(
        number=item.number,
        id=item.id,
        name=item.name,
        media_type=item.media_type,
        kind=reading.kind,
        size=item.size,
        received_at=item.received_at,
        sha256=item.sha256,
        original=_vault_stream(vault, item.blob_id),
        parsed=reading.parsed,
        text=evidence_service.text_of(vault, item),
        html=html.decode("utf-8") if html is not None else None,
        transcript=evidence_service.transcript_of(vault, item),
        images=_images(vault, item, reading.kind, reading.parsed),
        parent_number=numbers.get(item.parent_id) if item.parent_id else None,
        description=item.description or None,
    )


class _People:
    """Who the custody log's actors are in this case: the complainant, advocates, links."""

    def __init__(self, users: dict[str, tuple[str, str]], links: dict[str, str]) -> None:
        self._users = users  # user id -> (role, name)
        self._links = links  # share id -> label

    @classmethod
    def of_case(cls, session: DbSession, case: Case, owner: User) -> _People:
        users = {owner.id: ("complainant", owner.display_name or owner.email)}
        advocate_ids, links = share_holders(session, case.id)
        for advocate_id in sorted(advocate_ids - set(users)):
            advocate = session.get(User, advocate_id)
            if advocate is not None:
                users[advocate.id] = ("advocate", advocate.display_name or advocate.email)
        return cls(users, links)

    def _user(self, actor: str) -> tuple[str, str] | None:
        kind, _, rest = actor.partition(":")
        if kind != "user":
            return None
        user_id, _, email = rest.partition(" ")
        return self._users.get(user_id, ("user", email.strip("<>") or user_id))

    def role_of(self, actor: str) -> str:
        """The actor's role: complainant, advocate, user, link, system, or "" if unknown."""
        if actor == "system":
            return "system"
        if actor.startswith("link:"):
            return "link"
        user = self._user(actor)
        return user[0] if user else ""

    def name_of(self, actor: str) -> str:
        """The actor's name as the dossier prints it ("" for the system)."""
        if actor.startswith("link:"):
            return self._links.get(actor.removeprefix("link:"), "")
        user = self._user(actor)
        if user is not None:
            return user[1]
        return "" if actor == "system" else actor


def build_context(session: DbSession, rt: Runtime, case: Case, dossier: Dossier) -> DossierContext:
    """Everything the dossier shows, read from the database and the vault."""
    owner = session.get(User, case.owner_id)
    assert owner is not None
    items = evidence_service.all_evidence(session, case, withdrawn=False)
    numbers = {item.id: item.number for item in items}
    entries = custody.entries(session, case.id)
    head = custody.head_of(session, case.id)
    people = _People.of_case(session, case, owner)
    with force_locale(_BABEL_LOCALE[dossier.lang]):
        category = CATEGORY_BY_CODE.get(case.category)
        case_info = CaseInfo(
            id=case.id,
            title=case.title,
            counterparty=case.counterparty,
            category_label=str(category.label) if category else case.category,
            amount=case.amount,
            currency=case.currency,
            incident_at=case.incident_at,
            desired_outcome=case.desired_outcome,
            description=case.description,
            status_label=str(STATUSES.get(case.status, case.status)),
            complainant_name=owner.display_name or owner.email,
            complainant_email=owner.email,
        )
        events = [
            EventInfo(
                occurred_at=e.occurred_at,
                channel_label=str(CHANNELS.get(e.channel, e.channel)),
                direction_label=str(DIRECTIONS.get(e.direction, e.direction)),
                reference=e.reference or None,
                representative=e.representative or None,
                summary=e.summary,
                outcome=e.outcome or None,
                follow_up_at=e.follow_up_at,
            )
            for e in case.events
        ]
    return DossierContext(
        dossier_id=dossier.id,
        lang=dossier.lang,  # type: ignore[arg-type]
        recipient=dossier.recipient,  # type: ignore[arg-type]
        generated_at=utcnow(),
        timezone=owner.timezone or default_zone_for(owner.locale),
        case=case_info,
        events=events,
        evidence=[_evidence_info(rt.vault, item, numbers) for item in items],
        custody=[
            CustodyInfo(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                subject=e.subject,
                details=json.loads(e.details),
                hash=e.hash,
                actor_role=people.role_of(e.actor),
                actor_name=people.name_of(e.actor),
            )
            for e in entries
        ],
        custody_head=head.hash if head else "",
    )


class _VaultFile(io.RawIOBase):
    """Lets the bundle writer stream its ZIP straight into an encrypted blob."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._writer.write(bytes(data))
        return len(data)


class DossierTaken(Exception):
    """Another build holds this dossier, or it is already finished."""


def claim_for_build(session: DbSession, dossier_id: str) -> bool:
    """Move a dossier to `building` as one compare-and-set, committed; False if not ours.

    A dossier left `building` by a process that died is taken over: the job lease (see
    caseapp/jobs) is what keeps two live runners apart, and only the lease holder's
    result is stored (`finish` below).
    """
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier_id, Dossier.status.in_(("queued", "building")))
        .values(status="building")
    )
    session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def build(
    session: DbSession, rt: Runtime, dossier: Dossier, claim: Claim | None = None
) -> Dossier:
    """Render, sign, time-stamp and bundle a requested dossier; store both in the vault.

    The dossier embeds the custody log as it stood when the build began; the
    `dossier.exported` entry is appended once both files are stored, in the same
    transaction that marks the dossier ready, and records the PDF's SHA-256. With a job
    `claim`, that transaction commits only while the claim's lease holds, so a dossier
    is stored and logged once even if a slow build was taken over; the loser's blobs
    are removed.
    """
    if not claim_for_build(session, dossier.id):
        raise DossierTaken(dossier.id)
    session.refresh(dossier)
    case = session.get(Case, dossier.case_id)
    assert case is not None
    ctx = build_context(session, rt, case, dossier)
    custody_json = document_bytes(custody_document(session, rt.head_key, case.id))
    session.rollback()  # end the read transaction: rendering takes a while
    signer = signer_for(rt)
    signed = produce_dossier(ctx, signer, STATIC_DIR)
    pdf_blob = rt.vault.put_bytes(new_id(), signed.pdf)
    try:
        with rt.vault.writer(new_id()) as writer:
            out = io.BufferedWriter(_VaultFile(writer), 1024 * 1024)
            produce_bundle(out, signed, ctx, signer, custody_json)
            out.flush()
            bundle_blob = writer.close()
    except BaseException:
        rt.vault.delete(pdf_blob.blob_id)
        raise
    try:
        _store(session, rt, dossier, ctx, pdf_blob, bundle_blob, claim)
    except BaseException:
        session.rollback()
        rt.vault.delete(pdf_blob.blob_id)
        rt.vault.delete(bundle_blob.blob_id)
        raise
    return dossier


def _store(
    session: DbSession,
    rt: Runtime,
    dossier: Dossier,
    ctx: DossierContext,
    pdf_blob: BlobInfo,
    bundle_blob: BlobInfo,
    claim: Claim | None,
) -> None:
    requester = session.get(User, dossier.requested_by_id) if dossier.requested_by_id else None
    custody.record(
        session,
        rt.head_key,
        case_id=dossier.case_id,
        actor=custody.actor_label(requester),
        action="dossier.exported",
        subject=f"dossier:{dossier.id}",
        details={
            "lang": dossier.lang,
            "recipient": dossier.recipient,
            "sha256": pdf_blob.sha256,
            "evidence_count": len(ctx.evidence),
            "custody_head": ctx.custody_head,
        },
    )
    dossier.pdf_blob_id, dossier.sha256, dossier.size = (
        pdf_blob.blob_id,
        pdf_blob.sha256,
        pdf_blob.size,
    )
    dossier.bundle_blob_id, dossier.bundle_sha256 = bundle_blob.blob_id, bundle_blob.sha256
    dossier.bundle_size = bundle_blob.size
    dossier.evidence_count = len(ctx.evidence)
    dossier.custody_head = ctx.custody_head
    dossier.status, dossier.finished_at, dossier.error = "ready", utcnow(), ""
    if claim is not None:
        claim.finish(session)
    session.commit()
