"""What a dossier says: plain, frozen descriptions the lead fills from the database and vault.

Nothing in `caseapp.export` touches the database or the vault itself. The export code gets a
`DossierContext` and renders, signs and bundles it. Big bytes stay lazy: an original is a
callable that opens a fresh stream when the exporter needs it (once for the PDF, once more
for a bundle), and an image may be given as a callable too, so a 200-item case is never all
in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Literal

Lang = Literal["zh", "en"]
RecipientKind = Literal[
    "consumer_association", "financial_regulator", "company_complaints", "lawyer"
]
RECIPIENT_KINDS: tuple[str, ...] = (
    "consumer_association",
    "financial_regulator",
    "company_complaints",
    "lawyer",
)
LANGS: tuple[str, ...] = ("zh", "en")


class InvalidDossierContext(ValueError):
    """The dossier description is inconsistent (bad language, recipient, time or number)."""


@dataclass(frozen=True)
class ImageRef:
    """A picture shown in the dossier: an image evidence's original, or a page preview.

    `data` is the encoded image (PNG, JPEG, HEIC, GIF or WebP) or a callable returning it,
    so the lead decrypts an original only when the PDF renderer asks for it, in memory.
    The exporter makes the print rendition from it (see `caseapp.export.exhibits`).
    `page` is set for a preview of a document's page; `width` and `height`, when known,
    are the upright picture's pixel size (spares reading the picture to lay it out).
    `caption` is display text in the dossier's language, or empty.
    """

    media_type: str
    data: bytes | Callable[[], bytes]
    caption: str = ""
    page: int | None = None
    width: int | None = None
    height: int | None = None

    def read(self) -> bytes:
        """Return the encoded image bytes, loading them if they are lazy."""
        return self.data() if callable(self.data) else self.data


@dataclass(frozen=True)
class CaseInfo:
    """The case the dossier is about, with labels already in the dossier's language."""

    id: str
    title: str
    counterparty: str
    category_label: str
    amount: str | None
    currency: str | None
    incident_at: datetime | None
    desired_outcome: str
    description: str
    status_label: str
    complainant_name: str
    complainant_email: str


@dataclass(frozen=True)
class EventInfo:
    """One contact with the company, with channel and direction as display labels."""

    occurred_at: datetime
    channel_label: str
    direction_label: str
    reference: str | None = None
    representative: str | None = None
    summary: str = ""
    outcome: str | None = None
    follow_up_at: datetime | None = None


@dataclass(frozen=True)
class EvidenceInfo:
    """One piece of evidence and everything readable that was extracted from it.

    `number` is the evidence's position in the dossier (1, 2, ...), shown as "E-001" and used
    in attachment names. `original` opens a new binary stream of the original bytes each time
    it is called; the caller closes it. `sha256` and `size` are the vault's record of the
    original: the exporter checks the stream against them while it embeds it.
    `transcript` entries are the chat parser's dicts: {"at", "sender", "text", "media"}.
    """

    number: int
    id: str
    name: str
    media_type: str
    kind: str
    size: int
    received_at: datetime
    sha256: str
    original: Callable[[], BinaryIO]
    parsed: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    html: str | None = None
    transcript: list[dict[str, Any]] | None = None
    images: list[ImageRef] = field(default_factory=list)
    parent_number: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class CustodyInfo:
    """One chain-of-custody log entry, as stored, and who its actor is in this case.

    `actor_role` is "complainant", "advocate", "link" (someone holding a share link),
    "user" (an account with no role in the case now), "system", or "" when unknown;
    `actor_name` is how that person is named (display name, else email; a link's label).
    """

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    hash: str
    actor_role: str = ""
    actor_name: str = ""


@dataclass(frozen=True)
class DossierContext:
    """Everything one dossier shows, in one language, for one recipient."""

    dossier_id: str
    lang: Lang
    recipient: RecipientKind
    generated_at: datetime
    timezone: str
    case: CaseInfo
    events: list[EventInfo]
    evidence: list[EvidenceInfo]
    custody: list[CustodyInfo]
    custody_head: str
    instance_name: str = "caseapp"

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise InvalidDossierContext(f"unknown language {self.lang!r}")
        if self.recipient not in RECIPIENT_KINDS:
            raise InvalidDossierContext(f"unknown recipient {self.recipient!r}")
        if self.generated_at.tzinfo is None:
            raise InvalidDossierContext("generated_at must be timezone-aware")
        numbers = [item.number for item in self.evidence]
        if len(set(numbers)) != len(numbers) or any(n < 1 for n in numbers):
            raise InvalidDossierContext("evidence numbers must be unique and positive")

    def evidence_by_number(self, number: int) -> EvidenceInfo | None:
        """The evidence item with this dossier number, or None."""
        for item in self.evidence:
            if item.number == number:
                return item
        return None
