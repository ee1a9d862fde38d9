"""Dossiers exported from a case. The PDF and bundle live in the vault, encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.database import Base, id_column, utcnow

STATES = ("queued", "building", "ready", "failed")


class Dossier(Base):
    """One export of a case: a signed, time-stamped PDF and its bundle."""

    __tablename__ = "dossier"
    __table_args__ = (Index("ix_dossier_case_created", "case_id", "created_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    requested_by_id: Mapped[str | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lang: Mapped[str] = mapped_column(String(2))
    recipient: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    pdf_blob_id: Mapped[str | None] = mapped_column(String(64))
    bundle_blob_id: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the signed PDF
    size: Mapped[int | None] = mapped_column(BigInteger)
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))
    bundle_size: Mapped[int | None] = mapped_column(BigInteger)
    evidence_count: Mapped[int] = mapped_column(default=0)
    custody_head: Mapped[str | None] = mapped_column(String(64))
