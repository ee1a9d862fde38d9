"""Behind a proxy, against gunicorn with two worker processes sharing the database: wrong
passwords for one account from ever-changing client addresses get only a few evaluations,
the rest are 429 without the password being looked at."""

from __future__ import annotations

import http.cookiejar
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from caseapp.extensions import db
from caseapp.throttle import POLICIES
from caseapp.throttle.models import ThrottleCounter
from caseapp.throttle.service import storage_key
from tests.throttle.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
ATTEMPTS = 30
SENDERS = 3  # at once, so both workers take their share


@pytest.fixture
def gunicorn(app, instance_path, tmp_path):
    """gunicorn -w 2 with one trusted proxy and throttling on; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "CASEAPP_INSTANCE": str(instance_path),
        "CASEAPP_RATELIMIT_ENABLED": "true",
        "CASEAPP_TRUSTED_PROXIES": "1",
        "CASEAPP_WEB_RUNS_JOBS": "false",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
         "-w", "2", "-b", f"127.0.0.1:{port}", "caseapp:create_app()"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login", timeout=5).close()  # noqa: S310 - our server
                break
            except OSError:
                if time.monotonic() > deadline or master.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(master.pid, signal.SIGKILL)
        master.wait()
        log.close()


class Browser:
    """A client with its own cookies that fills in the login form, CSRF token included."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def login(self, email: str, password: str, client_address: str) -> int:
        page = self.opener.open(f"{self.base}/login", timeout=30).read().decode()  # noqa: S310
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
        request = urllib.request.Request(  # noqa: S310 - our server
            f"{self.base}/login", data=body.encode(),
            headers={"X-Forwarded-For": client_address},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                assert "Wrong email or password" in response.read().decode()
                return response.status
        except urllib.error.HTTPError as refused:
            answer = refused
        with answer:
            assert answer.headers["Retry-After"].isdigit()
            return answer.code


@pytest.mark.slow
def test_wrong_passwords_from_changing_addresses_get_only_a_few_evaluations(gunicorn, user):
    email = user.email
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(sender: int) -> None:
        browser = Browser(gunicorn)
        for n in range(ATTEMPTS // SENDERS):
            status = browser.login(email, f"guess {sender}-{n}", f"198.51.100.{sender * 50 + n}")
            with lock:
                statuses.append(status)

    started = time.monotonic()
    senders = [threading.Thread(target=guess, args=(s,)) for s in range(SENDERS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    elapsed = time.monotonic() - started

    account = POLICIES["login"]["account"]
    evaluated = statuses.count(200)
    assert sorted(set(statuses)) == [200, 429]
    # The free attempts, then one more each time the doubling wait ran out.
    assert account.free <= evaluated <= account.free + math.floor(
        math.log2(elapsed / account.base_seconds + 1)
    )
    assert statuses.count(429) == ATTEMPTS - evaluated

    # Every worker counted in the one table: one counter for the account, holding exactly
    # the attempts that were evaluated, and one per client address (X-Forwarded-For).
    db.session.expire_all()
    counted = db.session.get(ThrottleCounter, storage_key("login", "account", email))
    assert counted is not None
    assert counted.attempts == evaluated
    addresses = db.session.scalars(select(ThrottleCounter.key)).all()
    assert len(addresses) == ATTEMPTS + 1
