"""What a throttle storage backend does: count attempts per key, atomically, for all workers."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from caseapp.throttle.policy import Policy


class Storage(Protocol):
    """Counters shared by every process of the instance (the database, or Redis).

    `charge` must decide and count in one atomic step: two workers racing for the last
    free attempt must not both get it.
    """

    def charge(self, key: str, policy: Policy, now: datetime) -> float:
        """Count one attempt at `key` and return 0.0; or, when it must wait, return the
        seconds left to wait and count nothing."""

    def refund(self, key: str) -> None:
        """Take one counted attempt back."""

    def clear(self, key: str) -> None:
        """Forget every attempt at `key`."""
