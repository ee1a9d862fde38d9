"""A case against a company and the contacts logged on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.accounts.models import User
from caseapp.database import Base, id_column, utcnow


class Case(Base):
    """One dispute with one company, owned by the complainant who opened it."""

    __tablename__ = "case"
    __table_args__ = (Index("ix_case_owner_created", "owner_id", "created_at"),)

    id: Mapped[str] = id_column()
    owner_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    counterparty: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    amount: Mapped[str | None] = mapped_column(String(40))  # decimal text: exact, any precision
    currency: Mapped[str | None] = mapped_column(String(12))
    incident_at: Mapped[datetime | None] = mapped_column()
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    events: Mapped[list[Event]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Event.occurred_at"
    )


class Event(Base):
    """A contact with the company's support, as the complainant logged it."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_case_occurred", "case_id", "occurred_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    reference: Mapped[str] = mapped_column(String(120), default="")
    representative: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    follow_up_at: Mapped[datetime | None] = mapped_column()
    follow_up_done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")
