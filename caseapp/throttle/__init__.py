"""Throttling guessable steps (login, registration, password reset, the second factor),
shared by every worker and kept across restarts.

Use it from any view or service that checks a secret someone could guess::

    from caseapp.runtime import runtime
    from caseapp.throttle import Throttled, address_key

    throttle = runtime().throttle
    try:
        throttle.check("two_factor", account=user.id)   # before the code is looked at
    except Throttled as exc:
        ...  # answer 429 with Retry-After: exc.retry_after; do NOT check the code
    if code_is_right:
        throttle.succeeded("two_factor", account=user.id)

- `check(kind, **keys)` counts one attempt against each key, as if it failed, or raises
  `Throttled` (counting nothing) when a key must wait. Counting before the check is what
  makes it hold under concurrency: parallel guesses cannot all slip in before the first
  failure is recorded. There is no separate "failed" call: not calling `succeeded` is it.
- `succeeded(kind, **keys)` after the attempt worked: the account's counter is forgotten,
  the address gets that one attempt back.
- Kinds and their scopes are in `policy.POLICIES`: "login" (address, account),
  "register" (address), "password_reset" (address, account), "two_factor" (account).
  Account keys are the normalised email tried (`accounts.service.normalise_email`),
  whether or not such an account exists, or the user's id for "two_factor"; address
  keys are `address_key(request.remote_addr)` (IPv6 counted by /64).

Storage (`throttle_storage`): the database by default (table `throttle_counter`), or
Redis (`redis_url`). With `ratelimit_enabled = false` every check passes (tests).
"""

from caseapp.throttle.policy import POLICIES, Policy
from caseapp.throttle.service import Throttle, Throttled, address_key, build_throttle

__all__ = ["POLICIES", "Policy", "Throttle", "Throttled", "address_key", "build_throttle"]
