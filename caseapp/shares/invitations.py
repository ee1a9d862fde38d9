"""Invitations: the link every offer to an advocate comes with.

There is no outgoing mail: the complainant passes the invitation link on. Every
advocate share gets one, whether or not the email has an account, so the sharer's
answer says nothing about who is registered. A newcomer registers through it; an
account with that email accepts or declines through it (or from its list of offers).
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select

from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.custody.chain import HeadKey
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.secret_digest import secret_digest
from caseapp.shares import offers
from caseapp.shares.models import Share


class InvitationNotFound(Exception):
    """No open share is waiting for this invitation token."""


class InvitationForSomeoneElse(Exception):
    """The invitation names another email than the signed-in account's."""


def invitation(session: DbSession, token: str, *, now: datetime | None = None) -> Share:
    """The open share waiting for this invitation token; InvitationNotFound otherwise."""
    now = now or utcnow()
    share = session.scalar(select(Share).where(Share.invite_hash == secret_digest(token)))
    if share is None or not share.is_open(now):
        raise InvitationNotFound()
    return share


@unit_of_work
def accept_invitation(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    token: str,
    *,
    now: datetime | None = None,
) -> Share:
    """Accept the offer the invitation stands for, as the account of the email it names."""
    share = _for_user(session, user, token, now)
    return offers.accept_offer(session, head_key, user, share, now=now)


@unit_of_work
def decline_invitation(
    session: DbSession,
    head_key: HeadKey,
    user: User,
    token: str,
    *,
    now: datetime | None = None,
) -> Share:
    """Decline the offer the invitation stands for, as the account of the email it names."""
    share = _for_user(session, user, token, now)
    return offers.decline_offer(session, head_key, user, share, now=now)


def _for_user(session: DbSession, user: User, token: str, now: datetime | None) -> Share:
    share = invitation(session, token, now=now)
    if share.advocate_email != user.email:
        raise InvitationForSomeoneElse(share.id)
    return share


@unit_of_work
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
    """Create an advocate account for the invited email, accept the offer and log in.

    Only the invitation token proves the person is the one the complainant meant:
    accounts are not email-verified, so an offer to an email that had no account
    then attaches to one only through its invitation. The account, the acceptance
    and its first login session (`current_session_id`, for the cookie) are stored
    together or not at all.
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
    accounts.start_session(session, user)
    return user
