"""Throttle counters in the instance's database: SQLite or PostgreSQL, shared by every worker.

Each call runs on a connection of its own and commits at once, never inside the
request's transaction: a refused login rolls its request back, and its attempt must
still count. Counting is a compare-and-swap: read the row, then insert it with
`ON CONFLICT DO NOTHING` or update it only if it still holds what was read. Of two
workers racing, one changes the row and the other reads again and decides on what
the first wrote, so no attempt is counted twice or slips through uncounted.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from caseapp.throttle.models import ThrottleCounter
from caseapp.throttle.policy import Policy

# A compare-and-swap lost this often in a row means others are attempting the same key
# right now: the attempt is refused for a moment rather than retried forever.
MAX_RACES = 8
# Forgotten counters are deleted by whichever process charges next, this often at most.
PRUNE_EVERY = timedelta(minutes=10)

_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class DatabaseStorage:
    """Counters in the `throttle_counter` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._next_prune: datetime | None = None

    def charge(self, key: str, policy: Policy, now: datetime) -> float:
        """Count one attempt at `key`, or return the seconds it must still wait."""
        self._prune_now_and_then(now)
        with self._engine.connect() as connection:
            for _ in range(MAX_RACES):
                wait = self._try_charge(connection, key, policy, now)
                if wait is not None:
                    return wait
        return policy.base_seconds

    def refund(self, key: str) -> None:
        """Take one counted attempt back."""
        with self._engine.begin() as connection:
            connection.execute(
                update(ThrottleCounter)
                .where(ThrottleCounter.key == key, ThrottleCounter.attempts > 0)
                .values(attempts=ThrottleCounter.attempts - 1)
            )

    def clear(self, key: str) -> None:
        """Forget every attempt at `key`."""
        with self._engine.begin() as connection:
            connection.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))

    def prune(self, now: datetime) -> int:
        """Delete the counters that are forgotten by `now`; returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(
                delete(ThrottleCounter).where(ThrottleCounter.expires_at <= now)
            )
        return int(result.rowcount or 0)

    def _try_charge(
        self, connection: Connection, key: str, policy: Policy, now: datetime
    ) -> float | None:
        """0.0 counted, > 0 must wait, None lost a race (read again)."""
        row = connection.execute(
            select(
                ThrottleCounter.attempts, ThrottleCounter.last_at, ThrottleCounter.expires_at
            ).where(ThrottleCounter.key == key)
        ).first()
        attempts = 0  # none yet, or forgotten
        if row is not None and row.expires_at > now:
            ready_at = row.last_at + timedelta(seconds=policy.wait_after(row.attempts))
            if now < ready_at:
                connection.rollback()
                return (ready_at - now).total_seconds()
            attempts = row.attempts
        values = {
            "attempts": attempts + 1,
            "last_at": now,
            "expires_at": now + timedelta(seconds=policy.forget_seconds),
        }
        if row is None:
            insert = _INSERTS[connection.dialect.name]
            statement: Any = (
                insert(ThrottleCounter)
                .values(key=key, **values)
                .on_conflict_do_nothing(index_elements=["key"])
            )
        else:
            statement = (
                update(ThrottleCounter)
                .where(
                    ThrottleCounter.key == key,
                    ThrottleCounter.attempts == row.attempts,
                    ThrottleCounter.last_at == row.last_at,
                )
                .values(**values)
            )
        changed = connection.execute(statement).rowcount == 1
        connection.commit()
        return 0.0 if changed else None

    def _prune_now_and_then(self, now: datetime) -> None:
        with self._lock:
            due = self._next_prune is None or now >= self._next_prune
            if due:
                self._next_prune = now + PRUNE_EVERY
        if due:
            self.prune(now)
