"""Declarative base and column types shared by every model.

Ids are opaque random strings so they cannot be enumerated; times are stored as
naive UTC (portable across SQLite and PostgreSQL) and always handed back aware.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session

# What services take as their unit of work: a plain session (tests, workers) or
# Flask-SQLAlchemy's request-scoped proxy for one.
DbSession = Session | scoped_session[Any]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 22


def new_id() -> str:
    """A fresh opaque id: about 128 random bits, URL-safe, never sequential.

    It never starts with "-" or "_", so it can be passed on a command line
    (`caseapp export <id>`) without being taken for an option.
    """
    while True:
        value = secrets.token_urlsafe(16)
        if value[0].isalnum():
            return value


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned aware (tzinfo=UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def id_column() -> Mapped[str]:
    """Primary key column holding an opaque id made by `new_id`."""
    return mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)


T = TypeVar("T")


def commit_retrying(session: DbSession, work: Callable[[], T], attempts: int = 6) -> T:
    """Run `work` and commit it, again from the start if a concurrent writer won a race.

    Appends take the next number of a sequence (custody seq, evidence number); two
    requests can read the same "next" at once. The unique constraints make the loser
    fail (IntegrityError; on SQLite also a stale-snapshot OperationalError) instead of
    forking the sequence; the loser then rolls back and re-reads. The session must hold
    nothing uncommitted when this is called.
    """
    attempt = 0
    while True:
        try:
            result = work()
            session.commit()
            return result
        except (IntegrityError, OperationalError):
            session.rollback()
            attempt += 1
            if attempt >= attempts:
                raise
            time.sleep(0.02 * attempt)
