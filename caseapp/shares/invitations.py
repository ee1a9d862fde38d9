"""Invitations: a share for an advocate who has no account yet.

There is no outgoing mail: the complainant passes the invitation link on. Only
that token proves the person is the one the complainant meant (accounts are not
email-verified), so a pending share never attaches by email alone.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select

from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.custody import log as custody
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, utcnow
from caseapp.shares.models import Share
from caseapp.shares.service import digest


class InvitationNotFound(Exception):
    """No open share is waiting for this invitation token."""


class InvitationForSomeoneElse(Exception):
    """The invitation names another email than the signed-in account's."""


def invitation(session: DbSession, token: str, *, now: datetime | None = None) -> Share:
    """The open share waiting for this invitation token; InvitationNotFound otherwise."""
    now = now or utcnow()
    share = session.scalar(select(Share).where(Share.invite_hash == digest(token)))
    if share is None or not share.is_open(now):
        raise InvitationNotFound()
    return share


def accept_invitation(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    token: str,
    *,
    now: datetime | None = None,
) -> Share:
    """Attach the invited share to the account of the email it names."""
    share = invitation(session, token, now=now)
    if share.advocate_email != user.email:
        raise InvitationForSomeoneElse(share.id)
    share.advocate_id = user.id
    share.invite_hash = None
    share.last_activity_at = now or utcnow()
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


def register_advocate(
    session: DbSession,
    passwords: PasswordHasher,
    head_key: HeadKey,
    token: str,
    *,
    password: str,
    display_name: str = "",
    locale: str | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create an advocate account for the invited email and accept the invitation.

    Only the invitation token proves the person is the one the complainant meant:
    accounts are not email-verified, so a share never attaches by email alone.
    """
    share = invitation(session, token, now=now)
    user = accounts.create_user(
        session,
        passwords,
        email=share.advocate_email or "",
        password=password,
        role="advocate",
        display_name=display_name,
        locale=locale,
        timezone=timezone,
    )
    accept_invitation(session, head_key, user, token, now=now)
    return user
