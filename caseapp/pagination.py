"""Keyset pagination shared by every list: stable under inserts, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from caseapp.database import DbSession

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class BadCursor(Exception):
    """The cursor was not made by us or does not fit this list."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next one (None on the last)."""

    items: list[T]
    next_cursor: str | None


def _encode(value: Any, last_id: str) -> str:
    kind, plain = ("dt", value.isoformat()) if isinstance(value, datetime) else ("v", value)
    raw = json.dumps([kind, plain, last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, last_id = json.loads(raw)
        if kind not in ("dt", "v") or not isinstance(last_id, str):
            raise TypeError
        return (datetime.fromisoformat(value) if kind == "dt" else value), last_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor("cursor is not valid") from exc


def paginate(
    session: DbSession,
    stmt: Select[Any],
    *,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[T]:
    """Run `stmt` ordered by (sort_column, id_column) and return the page after `cursor`."""
    if cursor:
        value, last_id = _decode(cursor)
        if descending:
            stmt = stmt.where(
                or_(sort_column < value, and_(sort_column == value, id_column < last_id))
            )
        else:
            stmt = stmt.where(
                or_(sort_column > value, and_(sort_column == value, id_column > last_id))
            )
    order = (sort_column.desc(), id_column.desc()) if descending else (sort_column, id_column)
    rows: list[T] = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode(getattr(last, sort_column.key), getattr(last, id_column.key))
    return Page(items, next_cursor)


def clamp_limit(raw: str | None) -> int:
    """The page size asked for, within 1..MAX_LIMIT; ValueError when not a number."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    value = int(raw)
    if value < 1:
        raise ValueError("limit must be at least 1")
    return min(value, MAX_LIMIT)
