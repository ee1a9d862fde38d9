"""The chain-of-custody log of a case and its signed head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.database import Base, id_column


class CustodyEntry(Base):
    """One action on a case; `hash` covers the entry and the hash of the one before."""

    __tablename__ = "custody_entry"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_custody_entry_case_seq"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CustodyHead(Base):
    """The latest entry of a case's log, signed so that a cut-off tail is caught."""

    __tablename__ = "custody_head"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column()
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))  # Ed25519, hex
