"""Throttle counters in Redis (setting `throttle_storage = "redis"`, with `redis_url`).

Each counter is a hash {attempts, last} that expires `forget_seconds` after its last
attempt, so Redis prunes by itself (the script also forgets by the time it is given, as
the database backend does, so both follow the caller's clock). Deciding and counting is
one Lua script, which Redis runs atomically: no two workers can both take the last free
attempt.
"""

from __future__ import annotations

from datetime import datetime

import redis

from caseapp.throttle.policy import Policy

KEY_PREFIX = "caseapp:throttle:"

# The wait is Policy.wait_after, computed here from the policy's numbers.
_CHARGE = """
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now = tonumber(ARGV[1])
local free, base, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local forget = tonumber(ARGV[5])
if now - last >= forget then
  attempts = 0
end
if attempts >= free then
  local ready = last + math.min(cap, base * 2 ^ math.min(attempts - free, 62))
  if now < ready then
    return tostring(ready - now)
  end
end
redis.call('HSET', KEYS[1], 'attempts', attempts + 1, 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(forget * 1000))
return '0'
"""

_REFUND = """
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts > 0 then
  redis.call('HSET', KEYS[1], 'attempts', attempts - 1)
end
return attempts
"""


class RedisStorage:
    """Counters in Redis, under keys starting with KEY_PREFIX."""

    def __init__(self, url: str) -> None:
        # No connection is made until the first command, so building the app (in the
        # gunicorn master or a CLI command) needs no Redis, and each worker connects
        # after the fork.
        self._client = redis.Redis.from_url(url)
        self._charge = self._client.register_script(_CHARGE)
        self._refund = self._client.register_script(_REFUND)

    def charge(self, key: str, policy: Policy, now: datetime) -> float:
        """Count one attempt at `key`, or return the seconds it must still wait."""
        wait = self._charge(
            keys=[KEY_PREFIX + key],
            args=[
                repr(now.timestamp()),
                policy.free,
                policy.base_seconds,
                policy.max_seconds,
                policy.forget_seconds,
            ],
        )
        return float(wait)

    def refund(self, key: str) -> None:
        """Take one counted attempt back."""
        self._refund(keys=[KEY_PREFIX + key])

    def clear(self, key: str) -> None:
        """Forget every attempt at `key`."""
        self._client.delete(KEY_PREFIX + key)

    def close(self) -> None:
        """Close the connections to Redis."""
        self._client.close()
