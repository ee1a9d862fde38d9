"""Evidence items and what was derived from them. Content lives in the vault; rows
hold metadata only, so a database dump shows no evidence content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.cases.models import Event
from caseapp.database import Base, UTCDateTime, id_column, utcnow

# Which contacts an item belongs to (the call it records, the chat it was exported
# from): many to many, both sides in the same case (caseapp/evidence/management.py).
evidence_contact = Table(
    "evidence_contact",
    Base.metadata,
    Column(
        "evidence_id", ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    Column("linked_at", UTCDateTime(), nullable=False, default=utcnow),
)


class Evidence(Base):
    """One file in a case: uploaded, or found inside another (an attachment, a message)."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("case_id", "number", name="uq_evidence_case_number"),
        Index("ix_evidence_case_sha256", "case_id", "sha256"),
    )

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # 1, 2, 3… within the case, for the dossier index
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    depth: Mapped[int] = mapped_column(default=0)
    blob_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))  # display text only, never a path
    media_type: Mapped[str] = mapped_column(String(127))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[str | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text, default="")
    captured_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(255), default="")
    duplicate_of_id: Mapped[str | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="SET NULL")
    )
    # pending, reading, read, failed: see caseapp/evidence/reading.py
    read_state: Mapped[str] = mapped_column(String(16), default="pending")
    # Withdrawn by the owner: kept (blob and custody trail), but out of dossiers and shares.
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    children: Mapped[list[Evidence]] = relationship(
        foreign_keys=[parent_id],
        order_by="Evidence.number",
        cascade="all, delete-orphan",
        back_populates="parent",
    )
    parent: Mapped[Evidence | None] = relationship(
        foreign_keys=[parent_id], remote_side="Evidence.id", back_populates="children"
    )
    derivatives: Mapped[list[Derivative]] = relationship(
        back_populates="evidence", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[Event]] = relationship(
        secondary=evidence_contact, order_by="Event.occurred_at"
    )

    @property
    def withdrawn(self) -> bool:
        """Withdrawn itself, or found inside an item that was: out of dossiers and shares."""
        item: Evidence | None = self
        while item is not None:
            if item.withdrawn_at is not None:
                return True
            item = item.parent
        return False


class Derivative(Base):
    """Something read out of an evidence item, stored encrypted in the vault.

    Roles: ``reading`` (JSON: kind, parsed summary, warnings), ``text``, ``html``,
    ``transcript`` (JSON), ``thumbnail``, ``page-1`` … (PNG/JPEG previews).
    """

    __tablename__ = "evidence_derivative"
    __table_args__ = (UniqueConstraint("evidence_id", "role", name="uq_evidence_derivative_role"),)

    id: Mapped[str] = id_column()
    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    blob_id: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)

    evidence: Mapped[Evidence] = relationship(back_populates="derivatives")
