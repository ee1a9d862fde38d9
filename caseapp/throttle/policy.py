"""How long each kind of attempt must wait: a few free attempts, then exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class Policy:
    """The limit on one key (an account or a client address) for one kind of attempt.

    The first `free` attempts go through back to back. After that, each attempt must
    come `base_seconds * 2**k` after the one before (k = attempts past `free`, capped at
    `max_seconds`): a person who mistyped waits seconds, a guesser gets a handful of
    tries an hour. Backoff rather than a lockout, so that nobody can shut a victim out
    for long by failing on purpose. A key left alone for `forget_seconds` starts again
    from nothing; `clear_on_success` forgets it at once when the attempt succeeds, else
    success only takes that one attempt back (an office behind one address must not
    run out because its people log in).
    """

    free: int
    base_seconds: float
    max_seconds: float
    forget_seconds: float
    clear_on_success: bool

    def __post_init__(self) -> None:
        # A count forgotten before its wait ended would let the wait be skipped.
        if not self.free >= 1 or not (
            0 < self.base_seconds <= self.max_seconds <= self.forget_seconds
        ):
            raise ValueError("policy needs free >= 1 and 0 < base <= max <= forget")

    def wait_after(self, attempts: int) -> float:
        """Seconds that must pass after the last of `attempts` attempts before another."""
        if attempts < self.free:
            return 0.0
        return min(self.max_seconds, self.base_seconds * 2.0 ** min(attempts - self.free, 62))


# kind -> scope -> policy. Scopes are checked in this order: the address first, so an
# attempt refused for its address never touches the account's counter.
POLICIES: dict[str, dict[str, Policy]] = {
    "login": {
        # Looser: one office or one carrier-grade NAT shares an address.
        "address": Policy(30, 1.0, 5 * MINUTE, HOUR, clear_on_success=False),
        # The one that matters: keyed by the email tried, so changing address gains nothing.
        "account": Policy(5, 2.0, 15 * MINUTE, DAY, clear_on_success=True),
    },
    # Every registration costs an Argon2 hash (64 MiB): five back to back, then one
    # after 10, 20, 40, 60 minutes.
    "register": {
        "address": Policy(5, 10 * MINUTE, HOUR, HOUR, clear_on_success=False),
    },
    # Password reset requests send mail: bound them per address and per account.
    "password_reset": {
        "address": Policy(10, MINUTE, HOUR, HOUR, clear_on_success=False),
        "account": Policy(3, 5 * MINUTE, HOUR, DAY, clear_on_success=True),
    },
    # The second login step (TOTP or recovery code), keyed by the user's id.
    "two_factor": {
        "account": Policy(5, 2.0, 15 * MINUTE, DAY, clear_on_success=True),
    },
}
