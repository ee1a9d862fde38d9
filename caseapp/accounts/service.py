"""Accounts: creating users, checking passwords, login sessions, personal settings.

The actions a route calls are units of work (`caseapp.database.unit_of_work`): each
commits what it wrote when it returns and leaves nothing when it fails. The smaller
steps they are made of (`authenticate`, `start_session`, ...) write nothing on their own
and join the transaction of whoever calls them. The steps of the web login are in
`accounts.login`, API tokens in `accounts.tokens`.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from caseapp.accounts import passwords as passwords_policy
from caseapp.accounts import tokens
from caseapp.accounts.models import ROLES, LoginSession, User
from caseapp.database import DbSession, unit_of_work, utcnow, write_aside
from caseapp.i18n import LOCALES
from caseapp.secret_digest import secret_digest
from caseapp.timezones import check_zone

MIN_PASSWORD_LENGTH = passwords_policy.MIN_LENGTH
SESSION_IDLE_LIMIT = timedelta(days=14)
# When a login was last seen is noted at most this often: each note is a write, and most
# requests only read.
BOOKKEEPING_INTERVAL = timedelta(minutes=5)

# Verifying against this keeps a login for an unknown email as slow as a real one.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"  # noqa: S105 - never a real credential


class AccountError(Exception):
    """Base of the failures an account action reports to the user."""


class EmailTaken(AccountError):
    """An account with this email already exists."""


class WeakPassword(AccountError):
    """The password is too short or too easy to guess; `strength` says why."""

    def __init__(self, message: str, strength: passwords_policy.Strength) -> None:
        super().__init__(message)
        self.strength = strength


class InvalidRole(AccountError):
    """The role is not one of user, advocate, admin."""


class UnknownUser(AccountError):
    """No account has this email."""


class WrongPassword(AccountError):
    """The current password given does not match."""


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def check_password_strength(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH or easy to guess.

    `user_inputs` (the email, the name) count as known to an attacker.
    """
    strength = passwords_policy.assess(password, user_inputs)
    if not strength.acceptable:
        why = "; ".join(passwords_policy.REASONS_EN[reason] for reason in strength.reasons)
        raise WeakPassword(f"password refused: {why}", strength)


def find_user(session: DbSession, email: str) -> User | None:
    """The user with this email, or None."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


@unit_of_work
def create_user(
    session: DbSession,
    passwords: PasswordHasher,
    *,
    email: str,
    password: str,
    role: str = "user",
    display_name: str = "",
    locale: str | None = None,
    timezone: str | None = None,
) -> User:
    """Add a user with an Argon2id password hash."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidRole(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 254:
        raise AccountError("not a valid email address")
    check_password_strength(password, (email, display_name))
    if find_user(session, email) is not None:
        raise EmailTaken(f"an account with {email} already exists")
    user = User(
        email=email,
        password_hash=passwords.hash(password),
        role=role,
        display_name=display_name.strip(),
        locale=locale,
        timezone=timezone,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: DbSession, passwords: PasswordHasher, email: str, password: str
) -> User | None:
    """The user whose email and password these are, or None; rehashes outdated hashes."""
    user = find_user(session, email)
    if user is None:
        with contextlib.suppress(VerificationError):
            passwords.verify(_dummy_hash(passwords), password)
        return None
    try:
        passwords.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if passwords.check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return user


@functools.lru_cache(maxsize=8)
def _dummy_hash(passwords: PasswordHasher) -> str:
    return passwords.hash(_DUMMY_PASSWORD)


def start_session(session: DbSession, user: User) -> str:
    """Open a login session for the user; returns the secret the cookie will carry."""
    secret = secrets.token_urlsafe(32)
    session.add(LoginSession(id=secret_digest(secret), user_id=user.id))
    user.current_session_id = secret
    return secret


def load_session_user(session: DbSession, secret: str, now: datetime | None = None) -> User | None:
    """The user of a live login session, or None when it ended or went idle too long.

    Runs on every request, GETs included, so `session` is only read: when the login was
    last seen is noted at most every BOOKKEEPING_INTERVAL, in a transaction of its own
    that commits at once (`write_aside`).
    """
    now = now or utcnow()
    login = session.get(LoginSession, secret_digest(secret))
    if login is None or now - login.last_seen_at > SESSION_IDLE_LIMIT:
        return None
    if now - login.last_seen_at > BOOKKEEPING_INTERVAL:
        noted = write_aside(
            session,
            update(LoginSession)
            .where(LoginSession.id == login.id)
            .where(LoginSession.last_seen_at < now - BOOKKEEPING_INTERVAL)
            .values(last_seen_at=now),
        )
        if noted:
            # What the database now holds, without making it a change of this session.
            set_committed_value(login, "last_seen_at", now)
    login.user.current_session_id = secret
    return login.user


@unit_of_work
def end_session(session: DbSession, secret: str | None) -> None:
    """End one login session (logout)."""
    if secret:
        session.execute(delete(LoginSession).where(LoginSession.id == secret_digest(secret)))


def end_other_sessions(session: DbSession, user: User) -> None:
    """End every login session of the user but the one this request runs in."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if user.current_session_id:
        query = query.where(LoginSession.id != secret_digest(user.current_session_id))
    session.execute(query)


def end_all_sessions(session: DbSession, user: User) -> None:
    """End every login session of the user, wherever its cookie is."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


@unit_of_work
def change_password(
    session: DbSession,
    passwords: PasswordHasher,
    user: User,
    current: str,
    new: str,
    *,
    revoke_tokens: bool = True,
) -> str:
    """Set a new password and end every login session; returns a fresh session secret.

    With `revoke_tokens` (the setting `password_change_revokes_tokens`) every API token
    of the user is revoked too: someone who learnt the old password could have made one.
    One unit of work: a refused or failed change leaves the old password, every login
    session and every token as they were.
    """
    try:
        passwords.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise WrongPassword("current password is wrong") from exc
    check_password_strength(new, (user.email, user.display_name))
    user.password_hash = passwords.hash(new)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    if revoke_tokens:
        tokens.revoke_all(session, user)
    return start_session(session, user)


@unit_of_work
def change_settings(
    session: DbSession,
    user: User,
    *,
    display_name: str,
    locale: str | None,
    timezone: str | None,
) -> None:
    """Set how the user is named and the language and time zone of their pages.

    UnknownZone for a time zone that is not in the IANA database. A language the app does not
    speak, like none, leaves the choice to the browser.
    """
    if timezone:
        check_zone(timezone)
    user.display_name = display_name.strip()[:120]
    user.locale = locale if locale in LOCALES else None
    user.timezone = timezone or None


@unit_of_work
def choose_language(session: DbSession, user: User, locale: str) -> None:
    """Make `locale` (one of LOCALES) the language of the user's pages."""
    user.locale = locale

