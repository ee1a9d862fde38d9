"""Evidence once stored: finding it, reading what was derived, serving the original."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from caseapp.cases.models import Case
from caseapp.database import DbSession
from caseapp.evidence.models import Derivative, Evidence
from caseapp.evidence.reader_notes import ReaderNote, classify_all
from caseapp.pagination import Page, paginate
from caseapp.vault import BlobCorrupt, Vault

MAX_DERIVED_BYTES = 64 * 1024 * 1024
SNIPPET_CHARS = 80


class EvidenceNotFound(Exception):
    """No such evidence, or not in a case this user may see."""


class EvidenceNotIntact(Exception):
    """The stored blob failed authentication: it will not be served."""


def list_evidence(
    session: DbSession,
    case: Case,
    *,
    limit: int,
    cursor: str | None,
    only: Collection[str] | None = None,
    hidden: Collection[str] = (),
) -> Page[Evidence]:
    """Every item of the case (or `only` those ids, never the `hidden` ones), children
    included, in numbered order."""
    stmt = select(Evidence).where(Evidence.case_id == case.id)
    if only is not None:
        stmt = stmt.where(Evidence.id.in_(list(only)))
    if hidden:
        stmt = stmt.where(Evidence.id.not_in(list(hidden)))
    return paginate(
        session,
        stmt,
        sort_column=Evidence.number,
        id_column=Evidence.id,
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def unread_count(
    session: DbSession,
    case: Case,
    only: Collection[str] | None = None,
    hidden: Collection[str] = (),
) -> int:
    """How many items of the case (or `only` those ids, never the `hidden` ones) are
    still waiting to be read."""
    stmt = select(func.count(Evidence.id)).where(
        Evidence.case_id == case.id, Evidence.read_state.in_(("pending", "reading"))
    )
    if only is not None:
        stmt = stmt.where(Evidence.id.in_(list(only)))
    if hidden:
        stmt = stmt.where(Evidence.id.not_in(list(hidden)))
    return int(session.scalar(stmt) or 0)


def all_evidence(
    session: DbSession, case: Case, *, withdrawn: bool = True
) -> list[Evidence]:
    """The whole evidence list of a case, numbered order; without `withdrawn`, only the
    items in force (neither withdrawn nor found inside a withdrawn one)."""
    items = list(
        session.scalars(
            select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.number)
        )
    )
    return items if withdrawn else [item for item in items if not item.withdrawn]


def _derivative(evidence: Evidence, role: str) -> Derivative | None:
    return next((d for d in evidence.derivatives if d.role == role), None)


def derived_bytes(vault: Vault, evidence: Evidence, role: str) -> bytes | None:
    """The decrypted bytes of one derivative, or None when there is none."""
    derivative = _derivative(evidence, role)
    if derivative is None:
        return None
    try:
        return vault.read_bytes(derivative.blob_id, MAX_DERIVED_BYTES)
    except BlobCorrupt as exc:
        raise EvidenceNotIntact(evidence.id) from exc


@dataclass(frozen=True)
class Reading:
    """What was read out of an item: its per-kind summary and what could not be read."""

    kind: str
    parsed: dict[str, Any]
    warnings: list[str]

    @property
    def notes(self) -> list[ReaderNote]:
        """The warnings with their codes, severities and translated sentences."""
        return classify_all(self.warnings)


def reading_of(vault: Vault, evidence: Evidence) -> Reading:
    """The summary read out of an item (empty while it was not read yet)."""
    raw = derived_bytes(vault, evidence, "reading")
    if raw is None:
        return Reading(evidence.kind, {"kind": evidence.kind}, [])
    data = json.loads(raw)
    return Reading(data["kind"], data["parsed"], data["warnings"])


def text_of(vault: Vault, evidence: Evidence) -> str | None:
    """Everything readable that was extracted, or None."""
    raw = derived_bytes(vault, evidence, "text")
    return raw.decode("utf-8") if raw is not None else None


def email_body(text: str | None) -> str | None:
    """The body of an email's text rendering, without the header block shown beside it."""
    if text is None:
        return None
    _headers, separator, body = text.partition("\n\n")
    return body if separator else text


def transcript_of(vault: Vault, evidence: Evidence) -> list[dict[str, Any]] | None:
    """A chat's messages, or None."""
    raw = derived_bytes(vault, evidence, "transcript")
    return json.loads(raw) if raw is not None else None


def rendition_roles(evidence: Evidence) -> list[str]:
    """The pictures derived from an item: thumbnail, page-1, page-2…"""
    return sorted(
        (
            d.role
            for d in evidence.derivatives
            if d.role == "thumbnail" or d.role.startswith("page-")
        ),
        key=lambda r: (r != "thumbnail", len(r), r),
    )


def rendition(vault: Vault, evidence: Evidence, role: str) -> tuple[bytes, str] | None:
    """A derived picture and its media type."""
    derivative = _derivative(evidence, role)
    if derivative is None or role not in rendition_roles(evidence):
        return None
    data = derived_bytes(vault, evidence, role)
    assert data is not None
    return data, derivative.media_type


def open_original(vault: Vault, evidence: Evidence) -> Iterator[bytes]:
    """The original bytes, segment by segment, each authenticated before it is released.

    The header and first segment are checked before this returns, so a blob that fails
    at once is refused with EvidenceNotIntact rather than as a broken download.
    """
    try:
        reader = vault.open(evidence.blob_id)
    except BlobCorrupt as exc:
        raise EvidenceNotIntact(evidence.id) from exc
    try:
        first = next(reader, b"")
    except BlobCorrupt as exc:
        reader.close()
        raise EvidenceNotIntact(evidence.id) from exc

    def stream() -> Iterator[bytes]:
        with reader:
            yield first
            yield from reader  # a later bad segment raises: the response is cut, never padded

    return stream()


@dataclass(frozen=True)
class SearchHit:
    """An item whose text matches, with the matching passage."""

    evidence: Evidence
    snippet: str


def search_case(session: DbSession, vault: Vault, case: Case, query: str) -> list[SearchHit]:
    """Items of the case whose name, description or extracted text contains `query`.

    Text is decrypted item by item (the database holds none), so this reads the
    case's derived text; cases hold hundreds of items, not millions.
    """
    needle = query.strip().casefold()
    if not needle:
        return []
    hits: list[SearchHit] = []
    for evidence in all_evidence(session, case):
        text = text_of(vault, evidence) or ""
        haystack = f"{evidence.name}\n{evidence.description}\n{text}"
        position = haystack.casefold().find(needle)
        if position >= 0:
            start = max(0, position - SNIPPET_CHARS)
            end = min(len(haystack), position + len(needle) + SNIPPET_CHARS)
            snippet = (
                ("…" if start else "")
                + haystack[start:end].replace("\n", " ")
                + ("…" if end < len(haystack) else "")
            )
            hits.append(SearchHit(evidence, snippet))
    return hits
