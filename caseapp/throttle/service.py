"""The throttle every guessable step asks before it does the expensive or dangerous part."""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from caseapp.database import utcnow
from caseapp.throttle.policy import POLICIES, Policy
from caseapp.throttle.storage import Storage

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from caseapp.config import Settings

# An IPv6 client usually holds a whole /64: counting its addresses one by one would let
# it change address at every attempt.
IPV6_PREFIX = 64


class Throttled(Exception):
    """The attempt must wait: `retry_after` seconds (at least 1), because of `scope`."""

    def __init__(self, kind: str, scope: str, retry_after: int) -> None:
        super().__init__(f"{kind} by {scope}: retry after {retry_after} s")
        self.kind = kind
        self.scope = scope
        self.retry_after = retry_after


class Throttle:
    """Counts attempts per key in shared storage; None storage: throttling is off."""

    def __init__(self, storage: Storage | None, clock: Callable[[], datetime] = utcnow) -> None:
        self.storage = storage
        self._clock = clock

    def check(self, kind: str, **keys: str) -> None:
        """Count one attempt of `kind` against each key, or raise Throttled counting none.

        `keys` maps scope to value: check("login", account=email, address=ip). Call it
        before the guessable step: an attempt is counted as a failure until `succeeded`
        says otherwise, so concurrent guesses cannot all pass before one is recorded.
        """
        if self.storage is None:
            return
        charged: list[str] = []
        for scope, policy in _policies(kind, keys).items():
            key = storage_key(kind, scope, keys[scope])
            wait = self.storage.charge(key, policy, self._clock())
            if wait > 0:
                for earlier in charged:
                    self.storage.refund(earlier)
                raise Throttled(kind, scope, max(1, math.ceil(wait)))
            charged.append(key)

    def succeeded(self, kind: str, **keys: str) -> None:
        """The attempt checked with these keys succeeded: forget (or refund) it."""
        if self.storage is None:
            return
        for scope, policy in _policies(kind, keys).items():
            key = storage_key(kind, scope, keys[scope])
            if policy.clear_on_success:
                self.storage.clear(key)
            else:
                self.storage.refund(key)


def _policies(kind: str, keys: dict[str, str]) -> dict[str, Policy]:
    """The policies of the scopes given, in the kind's order; ValueError for a stray scope."""
    scopes = POLICIES[kind]
    unknown = set(keys) - set(scopes)
    if unknown:
        raise ValueError(f"{kind} has no scope {', '.join(sorted(unknown))}")
    return {scope: policy for scope, policy in scopes.items() if scope in keys}


def storage_key(kind: str, scope: str, value: str) -> str:
    """The key a counter is stored under: a SHA-256, so no email or address is kept."""
    return hashlib.sha256(f"{kind}\0{scope}\0{value}".encode()).hexdigest()


def address_key(remote_addr: str | None) -> str:
    """The client address as the throttle counts it: IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def build_throttle(settings: Settings, engine: Engine) -> Throttle:
    """The throttle the settings ask for: off, in the database, or in Redis."""
    if not settings.ratelimit_enabled:
        return Throttle(None)
    if settings.throttle_storage == "redis":
        from caseapp.throttle.redis_storage import RedisStorage

        assert settings.redis_url  # checked when the settings were loaded
        return Throttle(RedisStorage(settings.redis_url))
    from caseapp.throttle.database import DatabaseStorage

    return Throttle(DatabaseStorage(engine))
