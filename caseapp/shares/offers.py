"""Offers: a share to an advocate opens nothing until they accept it.

Anyone can share a case with any email, so what lands on an advocate's list is an
offer: who sends it, the case title and until when, nothing else of the case. The
advocate accepts it (the case opens), declines it, or blocks the sender, whose later
offers are then silently not shown to them. The sender learns nothing from a block:
their shares are made and answered exactly as before.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from caseapp.accounts.models import User
from caseapp.cases.models import Case
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.shares.models import SenderBlock, Share
from caseapp.shares.service import ShareNotFound, advocate_shares, open_for


class NotYourOffer(Exception):
    """The owner of a case cannot accept or decline the offers made of it."""


def offers_for(session: DbSession, user: User, *, now: datetime | None = None) -> list[Share]:
    """The open offers made to this user, newest first, but none from a sender they blocked."""
    now = now or utcnow()
    blocked = select(SenderBlock.sender_id).where(SenderBlock.user_id == user.id)
    return list(
        session.scalars(
            open_for(user, now)
            .join(Case, Case.id == Share.case_id)
            .where(Share.accepted_at.is_(None), Case.owner_id.not_in(blocked))
            .order_by(Share.created_at.desc())
        )
    )


def has_shares(session: DbSession, user: User, *, now: datetime | None = None) -> bool:
    """Whether anything is shared with, or offered to, this user right now."""
    now = now or utcnow()
    return bool(advocate_shares(session, user, now=now) or offers_for(session, user, now=now))


def find_offer(
    session: DbSession, user: User, share_id: str, *, now: datetime | None = None
) -> Share:
    """An open offer to this user (not from a sender they blocked).

    NotYourOffer for the case's owner; ShareNotFound for anyone else, and once the
    offer is accepted, declined, revoked or expired.
    """
    share = session.get(Share, share_id) if isinstance(share_id, str) else None
    if share is None:
        raise ShareNotFound(share_id)
    if share.case.owner_id == user.id:
        raise NotYourOffer(share_id)
    if share not in offers_for(session, user, now=now):
        raise ShareNotFound(share_id)
    return share


@unit_of_work
def accept_offer(
    session: DbSession, head_key: HeadKey, user: User, share: Share, *, now: datetime | None = None
) -> Share:
    """The advocate takes the offer: from now on the share opens the case to them."""
    now = now or utcnow()
    share.advocate_id = user.id
    share.accepted_at = now
    share.invite_hash = None  # the invitation has done its work
    share.last_activity_at = now
    custody.record(
        session,
        head_key,
        case_id=share.case_id,
        actor=custody.actor_label(user),
        action="share.accepted",
        subject=f"share:{share.id}",
        details={"advocate": user.email},
    )
    return share


@unit_of_work
def decline_offer(
    session: DbSession, head_key: HeadKey, user: User, share: Share, *, now: datetime | None = None
) -> Share:
    """The advocate turns the offer down: it closes, and its invitation stops working."""
    now = now or utcnow()
    share.declined_at = now
    share.invite_hash = None
    share.last_activity_at = now
    custody.record(
        session,
        head_key,
        case_id=share.case_id,
        actor=custody.actor_label(user),
        action="share.declined",
        subject=f"share:{share.id}",
        details={"advocate": share.advocate_email},
    )
    return share


@unit_of_work
def block_sender(
    session: DbSession, head_key: HeadKey, user: User, share: Share, *, now: datetime | None = None
) -> User:
    """Decline the offer and hide every later offer from its sender; the sender is not told."""
    decline_offer(session, head_key, user, share, now=now)
    sender = share.case.owner
    if session.get(SenderBlock, (user.id, sender.id)) is None:
        session.add(SenderBlock(user_id=user.id, sender_id=sender.id, created_at=now or utcnow()))
    return sender


@unit_of_work
def unblock_sender(session: DbSession, user: User, sender_id: str) -> None:
    """Show this sender's offers again (those made while blocked too, if still open)."""
    block = session.get(SenderBlock, (user.id, sender_id)) if isinstance(sender_id, str) else None
    if block is not None:
        session.delete(block)


def blocked_senders(session: DbSession, user: User) -> list[SenderBlock]:
    """The senders this user blocked, most recent first."""
    return list(
        session.scalars(
            select(SenderBlock)
            .where(SenderBlock.user_id == user.id)
            .order_by(SenderBlock.created_at.desc())
        )
    )
