"""The throttle's counters when they are kept in the database (the embedded default)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.database import Base


class ThrottleCounter(Base):
    """How many attempts one key (an account or an address, for one kind) has used.

    The key is a SHA-256, so the table holds no email or address in clear. A row is
    worth nothing once `expires_at` passes (the count is forgotten then) and is pruned.
    """

    __tablename__ = "throttle_counter"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
