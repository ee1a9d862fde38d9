"""The second factor: TOTP codes (RFC 6238) and single-use recovery codes.

The disputes this app records are often about accounts taken over, so a password alone
should not open one. Enrolment gives the user a secret for their authenticator app; it
counts only once they prove it works by typing a code. They then get ten recovery codes,
shown once and kept as SHA-256 hashes: each is 79 random bits, too many to try offline
even against a plain hash. An accepted TOTP code's time step is stored, and a code is
taken only for a later step, so a code seen over someone's shoulder cannot be replayed
within its window. Every write that decides whether a code is still good is one
conditional UPDATE, so two requests racing with the same code cannot both win.

Each action here is a unit of work (`caseapp.database.unit_of_work`): it commits when it
succeeds and leaves nothing behind when it fails, so a code is used up only by an
action that happened.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Collection
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update

from caseapp.accounts import service
from caseapp.accounts.models import RecoveryCode, User
from caseapp.database import DbSession, unit_of_work, utcnow
from caseapp.secret_digest import secret_digest

RECOVERY_CODE_COUNT = 10
# Recovery codes: 16 characters from 31 letters and digits that cannot be misread
# (no 0/o, 1/l/i): 79 bits, shown in groups of four.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16
# Codes from the step before and after the current one are taken too: phones' clocks drift.
VALID_WINDOW = 1


class TwoFactorError(service.AccountError):
    """Base of the failures a second-factor action reports to the user."""


class InvalidCode(TwoFactorError):
    """The code is neither a current, unused TOTP code nor an unused recovery code."""


class AlreadyEnrolled(TwoFactorError):
    """The account already has a second factor."""


class NotEnrolled(TwoFactorError):
    """The account has no second factor."""


class TwoFactorRequired(TwoFactorError):
    """The account's role keeps its second factor on: only the operator can remove it."""


def is_enrolled(user: User) -> bool:
    """Whether logging in as this user takes a code after the password."""
    return user.totp_confirmed_at is not None and user.totp_secret is not None


@unit_of_work
def start_enrolment(session: DbSession, user: User) -> str:
    """The secret the user's authenticator app is to learn; not in force until confirmed.

    The enrolment page calls this on a GET, and it writes: the first time, the new
    secret is stored as pending, so that reloading the page (or the code typed from
    the app a minute later) meets the same secret rather than a new one each time.
    Later calls find it and write nothing.
    """
    if is_enrolled(user):
        raise AlreadyEnrolled("two-factor authentication is already on")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


@unit_of_work
def confirm_enrolment(
    session: DbSession, user: User, code: str, now: datetime | None = None
) -> list[str]:
    """Turn the second factor on once `code` proves the app has the secret.

    Returns the new recovery codes (shown once). Every other login session of the
    user ends: whoever else was logged in would otherwise keep a session that never
    passed the second factor.
    """
    if is_enrolled(user):
        raise AlreadyEnrolled("two-factor authentication is already on")
    if user.totp_secret is None or not _take_totp(session, user, code, now or utcnow()):
        raise InvalidCode("the code is not valid")
    user.totp_confirmed_at = now or utcnow()
    codes = _replace_recovery_codes(session, user)
    service.end_other_sessions(session, user)
    return codes


@unit_of_work
def verify(session: DbSession, user: User, code: str, now: datetime | None = None) -> str:
    """Accept a current TOTP code or an unused recovery code, once; says which ("totp",
    "recovery"). InvalidCode otherwise: wrong, reused, or no second factor."""
    if not is_enrolled(user):
        raise InvalidCode("two-factor authentication is off")
    now = now or utcnow()
    if _take_totp(session, user, code, now):
        return "totp"
    if _take_recovery_code(session, user, code, now):
        return "recovery"
    raise InvalidCode("the code is not valid")


def remaining_recovery_codes(session: DbSession, user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    count = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return int(count or 0)


@unit_of_work
def regenerate_recovery_codes(
    session: DbSession, user: User, code: str, now: datetime | None = None
) -> list[str]:
    """Replace every recovery code with ten new ones, on a valid code; returns them."""
    verify(session, user, code, now)
    return _replace_recovery_codes(session, user)


@unit_of_work
def disable(
    session: DbSession,
    passwords: PasswordHasher,
    user: User,
    password: str,
    code: str,
    now: datetime | None = None,
    *,
    required_roles: Collection[str] = (),
) -> None:
    """Turn the second factor off; takes the password and a code, so a session left open
    on a shared computer is not enough. Every other login session ends.

    Refused (TwoFactorRequired) for a role in `required_roles`: an advocate's account
    opens other people's cases, and whoever took it over would switch the factor off
    first. Their way back from a lost phone is a recovery code or the operator's reset.
    """
    if not is_enrolled(user):
        raise NotEnrolled("two-factor authentication is off")
    if user.role in required_roles:
        raise TwoFactorRequired("this role keeps two-factor authentication on")
    try:
        passwords.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise service.WrongPassword("current password is wrong") from exc
    verify(session, user, code, now)
    _clear(session, user)
    service.end_other_sessions(session, user)


@unit_of_work
def reset(session: DbSession, user: User) -> bool:
    """Remove the user's second factor (operator recovery) and end all their sessions.

    Returns whether they had one.
    """
    had = is_enrolled(user)
    _clear(session, user)
    service.end_all_sessions(session, user)
    return had


def _clear(session: DbSession, user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _take_totp(session: DbSession, user: User, code: str, now: datetime) -> bool:
    """Whether `code` is the TOTP code of a step later than the last one taken; if so,
    that step becomes the last one taken (in this transaction)."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()) or user.totp_secret is None:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int(now.timestamp()) // totp.interval
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            taken = session.execute(
                update(User)
                .where(User.id == user.id)
                .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return False
            session.refresh(user, ["totp_last_step"])
            return True
    return False


def _take_recovery_code(session: DbSession, user: User, code: str, now: datetime) -> bool:
    normalised = _normalise_recovery_code(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return False
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .where(RecoveryCode.code_hash == secret_digest(normalised))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(used.rowcount) == 1  # type: ignore[attr-defined]


def _replace_recovery_codes(session: DbSession, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        session.add(RecoveryCode(user_id=user.id, code_hash=secret_digest(raw)))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    session.flush()
    return codes


def _normalise_recovery_code(code: str) -> str:
    # Typed back from paper: any case, with or without the dashes and spaces.
    return "".join(ch for ch in code.lower() if ch not in "- \t")

