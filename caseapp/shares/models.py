"""Shares of a case with advocates (or as a link), and the comments both sides write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.database import Base, id_column, utcnow

REVIEW_STATES = ("new", "in_review", "needs_more_evidence", "accepted", "closed")


class Share(Base):
    """A read-only window on one case, for one advocate or for whoever holds a link.

    An advocate share names an email and is an offer until that advocate accepts it
    (`accepted_at`): before, it opens nothing of the case. `advocate_id` is the
    account it is offered to (the email's, or whoever registers through the
    invitation). A link share holds only the SHA-256 of its token. Both end at
    `expires_at`, at `revoked_at` or, for an offer, at `declined_at`.
    """

    __tablename__ = "share"
    __table_args__ = (Index("ix_share_advocate_activity", "advocate_id", "last_activity_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "advocate" or "link"
    advocate_email: Mapped[str | None] = mapped_column(String(254))
    advocate_id: Mapped[str | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # link shares
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # pending advocates
    label: Mapped[str] = mapped_column(String(120), default="")
    allow_originals: Mapped[bool] = mapped_column(default=False)
    all_evidence: Mapped[bool] = mapped_column(default=True)  # False: only `items`
    # With a selection: also what is added to the case after `created_at` (see
    # caseapp.access.policy). A share of every item is made with it on, or else
    # with its selection set to every item there was.
    include_later: Mapped[bool] = mapped_column(default=False)
    review_state: Mapped[str] = mapped_column(String(24), default="new")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()  # advocate shares
    declined_at: Mapped[datetime | None] = mapped_column()  # advocate shares
    last_opened_at: Mapped[datetime | None] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    advocate: Mapped[User | None] = relationship()
    items: Mapped[list[SharedEvidence]] = relationship(cascade="all, delete-orphan")

    def is_open(self, now: datetime) -> bool:
        """Neither revoked, declined nor expired at `now`."""
        return self.revoked_at is None and self.declined_at is None and now < self.expires_at

    def state(self, now: datetime) -> str:
        """open, expired, revoked or declined."""
        if self.revoked_at is not None:
            return "revoked"
        if self.declined_at is not None:
            return "declined"
        return "open" if now < self.expires_at else "expired"

    @property
    def offer_state(self) -> str | None:
        """For an advocate share: offered, accepted or declined (None for a link)."""
        if self.kind != "advocate":
            return None
        if self.declined_at is not None:
            return "declined"
        return "offered" if self.accepted_at is None else "accepted"


class SenderBlock(Base):
    """An advocate's refusal of one sender: that sender's offers are no longer shown to them.

    The sender is not told: their shares are made and answered as before, so a block
    cannot be probed for.
    """

    __tablename__ = "share_block"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    sender_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sender: Mapped[User] = relationship(foreign_keys=[sender_id])


class SharedEvidence(Base):
    """One evidence item a share with a chosen selection includes."""

    __tablename__ = "share_evidence"

    share_id: Mapped[str] = mapped_column(
        ForeignKey("share.id", ondelete="CASCADE"), primary_key=True
    )
    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Comment(Base):
    """A note between the complainant and an advocate, on the case or on one item.

    `share_id` names the conversation: an advocate's comment belongs to their share;
    the complainant's is addressed to one share, or to every advocate when empty.
    """

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_case_created", "case_id", "created_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    share_id: Mapped[str | None] = mapped_column(
        ForeignKey("share.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[str | None] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(String(16))  # "owner" or "advocate"
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class CommentRead(Base):
    """Up to when one user has read the comments of one case: later ones are unread."""

    __tablename__ = "comment_read"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
