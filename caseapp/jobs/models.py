"""The job table: one row per piece of background work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.database import Base, id_column, utcnow

STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """A piece of background work: what to do (`kind`) to what (`subject`).

    `lease_owner` is a fresh token per claim and `lease_expires_at` the time by which
    its runner must renew it; a running job whose lease expired is claimable again.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_available", "state", "available_at"),)

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str] = mapped_column(Text, default="")
