"""Starting a browser login: by registering, by password, or by password then code.

Each step is one unit of work (`caseapp.database.unit_of_work`) that ends by storing
the login session, so the session is committed before the response sets the cookie
that names it. A step that fails stores nothing: no account without its login, no
second-factor code used up by a login that did not happen.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from argon2 import PasswordHasher

from caseapp.accounts import service, two_factor
from caseapp.accounts.models import User
from caseapp.database import DbSession, unit_of_work


class Login(NamedTuple):
    """Who passed the password step, and whether a second-factor code is still due.

    While `needs_code`, no login session exists yet: `log_in_with_code` starts it.
    """

    user: User
    needs_code: bool


@unit_of_work
def register(
    session: DbSession,
    passwords: PasswordHasher,
    *,
    email: str,
    password: str,
    display_name: str = "",
    locale: str | None = None,
    timezone: str | None = None,
) -> User:
    """Create a complainant's account and log it in (see `service.create_user`)."""
    user = service.create_user(
        session,
        passwords,
        email=email,
        password=password,
        display_name=display_name,
        locale=locale,
        timezone=timezone,
    )
    service.start_session(session, user)
    return user


@unit_of_work
def log_in(
    session: DbSession, passwords: PasswordHasher, email: str, password: str
) -> Login | None:
    """The password step; None for a wrong email or password.

    A password hashed with outdated parameters is rehashed and stored. The login session
    starts here unless the account has a second factor.
    """
    user = service.authenticate(session, passwords, email, password)
    if user is None:
        return None
    if two_factor.is_enrolled(user):
        return Login(user, needs_code=True)
    service.start_session(session, user)
    return Login(user, needs_code=False)


@unit_of_work
def log_in_with_code(
    session: DbSession, user: User, code: str, now: datetime | None = None
) -> str:
    """The code step, after the password: takes the code (`two_factor.verify`) and starts
    the login session. Says which kind of code it was ("totp", "recovery")."""
    used = two_factor.verify(session, user, code, now)
    service.start_session(session, user)
    return used
