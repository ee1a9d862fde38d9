"""Declarative base and column types shared by every model.

Ids are opaque random strings so they cannot be enumerated; times are stored as
naive UTC (portable across SQLite and PostgreSQL) and always handed back aware.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import DateTime, MetaData, String, TypeDecorator, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session
from sqlalchemy.sql.dml import Update

# What services take as their unit of work: a plain session (tests, workers) or
# Flask-SQLAlchemy's request-scoped proxy for one.
DbSession = Session | scoped_session[Any]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_DEPTH = "caseapp.unit_of_work_depth"


def unit_of_work(
    service: Callable[Concatenate[DbSession, _P], _R],
) -> Callable[Concatenate[DbSession, _P], _R]:
    """Make a service function (its first argument the session) one transaction.

    It commits when the function returns and rolls back when it raises, so a web route
    and an API route that call the same service store the same thing, and neither
    commits for it. A unit of work called inside another joins it: only the outermost
    one commits, and a failure anywhere rolls the whole of it back.
    """

    @functools.wraps(service)
    def run(session: DbSession, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        depth = session.info.get(_DEPTH, 0)
        session.info[_DEPTH] = depth + 1
        try:
            result = service(session, *args, **kwargs)
            if depth == 0:
                session.commit()
            return result
        except BaseException:
            if depth == 0:
                session.rollback()
            raise
        finally:
            session.info[_DEPTH] = depth

    return run


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


# SQLite connections wait this long for a lock before "database is locked" (caseapp
# sets it on every new connection).
SQLITE_BUSY_TIMEOUT_MS = 15000


def lock_case(session: DbSession, case_id: str) -> None:
    """Make the session's transaction the one writer of this case, waiting for any other.

    Call it before reading what a case-local number is taken from (the highest evidence
    number, the custody head): the lock lasts until the transaction commits or rolls
    back, so the read and the inserts after it see no rival, and a rival waits here
    instead of failing later. Calling it again in the same transaction costs nothing.

    SQLite: `BEGIN IMMEDIATE` takes the database's one writer lock up front, waiting up
    to busy_timeout for the writer before. It has to come before the transaction reads:
    a deferred transaction that read, then writes after another writer committed, fails
    at once with SQLITE_BUSY(_SNAPSHOT), busy_timeout or not. pysqlite's default
    (legacy) transaction handling, which we keep, runs reads outside any transaction
    and opens one only at the first INSERT/UPDATE/DELETE, whose lock wait does honour
    busy_timeout. So the DBAPI connection is either in no transaction (then we begin
    it IMMEDIATE here, whatever the session read before) or in one that has written,
    which already holds the lock. We deliberately do not use SQLAlchemy's recipe of
    emitting BEGIN ourselves on every transaction: that opens each one at its first
    SELECT, and every other read-then-write (a login, a token's last use) would then
    fail under concurrent writes in exactly the way this avoids.

    PostgreSQL: `SELECT ... FOR UPDATE` on the case row, so only writers of the same
    case wait for each other; the reads after it (READ COMMITTED) see what they committed.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection):
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    cases = Base.metadata.tables["case"]
    session.execute(select(cases.c.id).where(cases.c.id == case_id).with_for_update())


# How long bookkeeping waits for a busy database before it gives up (see write_aside).
ASIDE_LOCK_WAIT_MS = 250
_log = logging.getLogger(__name__)


def write_aside(session: DbSession, statement: Update) -> bool:
    """Run one small bookkeeping UPDATE in its own transaction, committed at once.

    For what a read-only request notes about itself (a login session last seen, a token
    last used). Done in the request's own session, the write would hold SQLite's write
    lock through the rest of the request (every other writer waits or fails with
    "database is locked") and would then be rolled back with the GET, so it never
    landed. Here it uses a connection of its own and leaves `session` untouched.

    Bookkeeping is not worth stalling or failing a page for: it waits for the lock only
    briefly, and any database error is logged and swallowed. Returns whether a row
    changed.
    """
    engine = session.get_bind().engine  # a bound Connection names its Engine too
    try:
        with engine.connect() as connection:
            _wait_briefly(connection)
            try:
                changed = connection.execute(statement).rowcount > 0
                connection.commit()
            finally:
                connection.rollback()
                _wait_briefly(connection, restore=True)
    except OperationalError as exc:  # locked or busy: the next request will do it
        _log.debug("bookkeeping skipped: %s", exc)
        return False
    except SQLAlchemyError:
        _log.warning("bookkeeping failed", exc_info=True)
        return False
    return changed


def _wait_briefly(connection: Connection, restore: bool = False) -> None:
    # SQLite's busy timeout is per connection (15 s, set on connect): shorten it for the
    # bookkeeping, then put it back before the connection returns to the pool.
    # PostgreSQL's SET LOCAL ends with the transaction by itself.
    dialect = connection.dialect.name
    if dialect == "sqlite":
        wait = SQLITE_BUSY_TIMEOUT_MS if restore else ASIDE_LOCK_WAIT_MS
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")
    elif dialect == "postgresql" and not restore:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(ASIDE_LOCK_WAIT_MS)}")
