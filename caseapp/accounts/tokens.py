"""API tokens: named bearer tokens for the JSON API that can expire and be revoked.

A token is "cat_" plus 256 random bits, shown once when it is made; only its SHA-256 is
stored. It answers 401 the moment it is revoked or past `expires_at`: both are checked
on every request, so nothing is cached that could outlive them. A password change
revokes every token of the user (setting `password_change_revokes_tokens`), because a
token made by whoever knew the old password must not outlive it.

Making and revoking a token are units of work (`caseapp.database.unit_of_work`): the web
page, the API and the command line call the same functions and none of them commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from caseapp.accounts.models import ApiToken, User
from caseapp.database import DbSession, unit_of_work, utcnow, write_aside
from caseapp.fields import FieldSpec, InvalidFields, read_fields
from caseapp.pagination import Page, paginate
from caseapp.secret_digest import secret_digest

TOKEN_PREFIX = "cat_"  # noqa: S105 - a prefix, not a secret
MAX_NAME_LENGTH = 120
# Ten years: "never" is spelled by giving no expiry, not by a far-off date.
MAX_LIFETIME_DAYS = 3650
# When a token was last used is noted at most this often: each note is a write, and
# most API requests only read.
LAST_USED_INTERVAL = timedelta(minutes=5)
# Tokens are "cat_" + 43 URL-safe characters; anything far longer, or not printable ASCII,
# cannot be one and is refused before it reaches a query.
MAX_TOKEN_LENGTH = 256

TOKEN_FIELDS = {
    "name": FieldSpec("text", required=True, max_length=MAX_NAME_LENGTH),
    "expires_at": FieldSpec("time"),
}


class TokenNotFound(Exception):
    """No such token, or it is not this user's, or it was revoked."""


class IssuedToken(NamedTuple):
    """A token just made: its row, and the secret the owner is shown once."""

    token: ApiToken
    secret: str


@unit_of_work
def create_token(
    session: DbSession,
    user: User,
    *,
    name: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Make a new API token for the user; only its hash is stored."""
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=secret_digest(secret),
        name=name.strip()[:MAX_NAME_LENGTH],
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def expiry_after(days: int | None, now: datetime | None = None) -> datetime | None:
    """When a token made now for `days` days expires; None (never) for no days."""
    if days is None:
        return None
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValueError(f"expiry must be 1 to {MAX_LIFETIME_DAYS} days")
    return (now or utcnow()) + timedelta(days=days)


@unit_of_work
def create_token_from_input(
    session: DbSession,
    user: User,
    data: dict[str, Any],
    tz_name: str,
    *,
    now: datetime | None = None,
) -> IssuedToken:
    """Make a token from API input: `name`, and `expires_at` or `expires_in_days` (or neither).

    Every problem is reported at once in InvalidFields.
    """
    now = now or utcnow()
    data = dict(data)
    days = data.pop("expires_in_days", None)
    errors: dict[str, str] = {}
    try:
        values = read_fields(TOKEN_FIELDS, data, tz_name, partial=False)
    except InvalidFields as exc:
        errors, values = dict(exc.errors), {"expires_at": None}
    expires_at: datetime | None = values["expires_at"]
    if days is not None:
        if expires_at is not None or "expires_at" in errors:
            errors["expires_in_days"] = "give either expires_at or expires_in_days, not both"
        elif isinstance(days, bool) or not isinstance(days, int):
            errors["expires_in_days"] = "must be a whole number of days"
        else:
            try:
                expires_at = expiry_after(days, now)
            except ValueError as exc:
                errors["expires_in_days"] = str(exc)
    elif expires_at is not None and expires_at <= now:
        errors["expires_at"] = "must be in the future"
    elif expires_at is not None and expires_at > now + timedelta(days=MAX_LIFETIME_DAYS):
        errors["expires_at"] = f"must be within {MAX_LIFETIME_DAYS} days"
    if errors:
        raise InvalidFields(errors)
    return create_token(session, user, name=values["name"], expires_at=expires_at, now=now)


def user_tokens(
    session: DbSession, user: User, *, limit: int, cursor: str | None
) -> Page[ApiToken]:
    """The user's tokens that were not revoked (expired ones included), newest first."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    return paginate(
        session,
        stmt,
        sort_column=ApiToken.created_at,
        id_column=ApiToken.id,
        descending=True,
        limit=limit,
        cursor=cursor,
    )


def every_token(session: DbSession, user: User) -> list[ApiToken]:
    """All the user's tokens, revoked ones included, newest first: the operator's view."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(stmt))


def find_token(session: DbSession, token_id: str) -> ApiToken:
    """The token with this id, whoever owns it and whatever its state (the operator's view)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFound(token_id)
    return token


def owned_token(session: DbSession, user: User, token_id: str) -> ApiToken:
    """The user's token with this id, unless revoked; TokenNotFound for anyone else's."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise TokenNotFound(token_id)
    return token


@unit_of_work
def revoke_token(session: DbSession, token: ApiToken, now: datetime | None = None) -> bool:
    """End the token at once; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    return True


def revoke_all(session: DbSession, user: User, now: datetime | None = None) -> int:
    """Revoke every token of the user that is not revoked yet; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def token_for_secret(
    session: DbSession, secret: str, now: datetime | None = None
) -> ApiToken | None:
    """The live token a bearer secret belongs to, or None for anything else.

    The header is untrusted text: non-ASCII, control characters or a huge value are
    simply not a token. Revoked and expired tokens are None. When the token was last
    used is noted at most every LAST_USED_INTERVAL, in its own transaction
    (`write_aside`); `session` is only read.
    """
    if not (0 < len(secret) <= MAX_TOKEN_LENGTH and secret.isascii() and secret.isprintable()):
        return None
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == secret_digest(secret), ApiToken.revoked_at.is_(None)
        )
    )
    now = now or utcnow()
    if token is None or token.state(now) != "active":
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_INTERVAL:
        noted = write_aside(
            session,
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .where(
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - LAST_USED_INTERVAL,
                )
            )
            .values(last_used_at=now),
        )
        if noted:
            # What the database now holds, without making it a change of this session.
            set_committed_value(token, "last_used_at", now)
    return token

