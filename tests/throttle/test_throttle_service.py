"""The throttle's rules, on both backends (the database and a real Redis): free attempts,
then backoff that doubles; refused attempts cost nothing; success forgets; the account
counts whatever the address; concurrent guesses cannot share the last free attempt."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.throttle import POLICIES, Policy, Throttle, Throttled, address_key
from caseapp.throttle.database import DatabaseStorage
from caseapp.throttle.models import ThrottleCounter

ACCOUNT = POLICIES["login"]["account"]
ADDRESS = POLICIES["login"]["address"]
VICTIM = "victim@example.org"


def attempts_allowed(throttle: Throttle, tries: int, **keys: str) -> int:
    allowed = 0
    for _ in range(tries):
        try:
            throttle.check("login", **keys)
        except Throttled:
            continue
        allowed += 1
    return allowed


def retry_after(throttle: Throttle, **keys: str) -> int:
    with pytest.raises(Throttled) as refused:
        throttle.check("login", **keys)
    return refused.value.retry_after


def test_free_attempts_then_each_waits_twice_as_long(throttle, clock):
    assert attempts_allowed(throttle, ACCOUNT.free, account=VICTIM) == ACCOUNT.free
    for wait in (2, 4, 8, 16):
        assert retry_after(throttle, account=VICTIM) == wait
        clock.advance(wait - 0.5)
        assert retry_after(throttle, account=VICTIM) == 1  # half a second left: 1 s
        clock.advance(0.5)
        throttle.check("login", account=VICTIM)


def test_refused_attempts_do_not_lengthen_the_wait(throttle, clock):
    attempts_allowed(throttle, ACCOUNT.free, account=VICTIM)
    assert attempts_allowed(throttle, 50, account=VICTIM) == 0
    clock.advance(ACCOUNT.base_seconds)
    assert attempts_allowed(throttle, 50, account=VICTIM) == 1


def test_the_wait_is_capped(throttle, clock):
    attempts_allowed(throttle, ACCOUNT.free, account=VICTIM)
    for _ in range(20):
        clock.advance(ACCOUNT.max_seconds)
        throttle.check("login", account=VICTIM)
    assert retry_after(throttle, account=VICTIM) == ACCOUNT.max_seconds


def test_success_forgets_the_account_but_only_refunds_the_address(throttle):
    office = "203.0.113.7"
    attempts_allowed(throttle, ACCOUNT.free - 1, account=VICTIM, address=office)
    throttle.check("login", account=VICTIM, address=office)
    throttle.succeeded("login", account=VICTIM, address=office)
    assert attempts_allowed(throttle, ACCOUNT.free, account=VICTIM) == ACCOUNT.free
    # The address keeps the failed attempts; only the successful one was given back.
    left = sum(
        attempts_allowed(throttle, 1, account=f"user{n}@example.org", address=office)
        for n in range(ADDRESS.free)
    )
    assert left == ADDRESS.free - (ACCOUNT.free - 1)


def test_changing_address_does_not_help_against_one_account(throttle):
    allowed = sum(
        attempts_allowed(throttle, 1, account=VICTIM, address=f"198.51.100.{n}") for n in range(60)
    )
    assert allowed == ACCOUNT.free


def test_an_address_refused_costs_the_account_nothing(throttle):
    office = "192.0.2.1"
    for n in range(ADDRESS.free):
        throttle.check("login", account=f"colleague{n}@example.org", address=office)
    assert attempts_allowed(throttle, 10, account=VICTIM, address=office) == 0
    assert attempts_allowed(throttle, ACCOUNT.free, account=VICTIM) == ACCOUNT.free


def test_counters_are_forgotten_after_a_quiet_spell(throttle, clock):
    attempts_allowed(throttle, ACCOUNT.free + 3, account=VICTIM)
    clock.advance(ACCOUNT.forget_seconds + 1)
    assert attempts_allowed(throttle, ACCOUNT.free, account=VICTIM) == ACCOUNT.free


def test_concurrent_guesses_cannot_share_the_last_free_attempt(throttle):
    allowed = []
    start = threading.Barrier(16)

    def guess() -> None:
        start.wait()
        allowed.append(attempts_allowed(throttle, 3, account=VICTIM))

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == ACCOUNT.free


def test_each_kind_counts_on_its_own(throttle):
    attempts_allowed(throttle, ACCOUNT.free, account=VICTIM)
    throttle.check("two_factor", account=VICTIM)
    throttle.check("password_reset", account=VICTIM)


def test_registration_allows_five_an_hour_then_backs_off(throttle, clock):
    for _ in range(5):
        throttle.check("register", address="203.0.113.9")
    with pytest.raises(Throttled) as refused:
        throttle.check("register", address="203.0.113.9")
    assert refused.value.scope == "address"
    assert refused.value.retry_after == 600


def test_an_unknown_scope_is_a_programming_error(throttle):
    with pytest.raises(ValueError, match="no scope"):
        throttle.check("register", account=VICTIM)


def test_a_disabled_throttle_lets_everything_through():
    throttle = Throttle(None)
    for _ in range(100):
        throttle.check("login", account=VICTIM, address="192.0.2.1")


def test_database_keeps_no_email_and_prunes_forgotten_rows(app, clock):
    storage = DatabaseStorage(db.engine)
    throttle = Throttle(storage, clock=clock)
    throttle.check("login", account=VICTIM, address="192.0.2.1")
    keys = db.session.scalars(select(ThrottleCounter.key)).all()
    assert len(keys) == 2
    assert all(VICTIM not in key and "192.0.2" not in key for key in keys)
    assert storage.prune(clock.now) == 0
    assert storage.prune(clock.now + timedelta(seconds=ADDRESS.forget_seconds + 1)) == 1
    assert storage.prune(clock.now + timedelta(seconds=ACCOUNT.forget_seconds + 1)) == 1
    assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_addresses_are_counted_by_ipv4_or_ipv6_network():
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:3:4:5:6") == address_key("2001:db8:1:2:ffff::1")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key(None) == address_key("not an address") == "unknown"


def test_a_policy_must_not_forget_before_its_wait_ends():
    with pytest.raises(ValueError, match="forget"):
        Policy(5, 2.0, 900.0, 60.0, clear_on_success=True)
