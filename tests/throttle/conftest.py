"""Throttle storage for the tests: the app's database, and a real redis-server of our own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis

from caseapp.database import utcnow
from caseapp.extensions import db
from caseapp.throttle import Throttle
from caseapp.throttle.database import DatabaseStorage
from caseapp.throttle.redis_storage import RedisStorage

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server on a free loopback port, nothing saved to disk; yields its URL."""
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The shared redis-server, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["database", "redis"])
def storage(request: pytest.FixtureRequest, app) -> Iterator[DatabaseStorage | RedisStorage]:
    """Each test runs once on the database backend and once on Redis."""
    if request.param == "database":
        yield DatabaseStorage(db.engine)
        return
    store = RedisStorage(request.getfixturevalue("redis_url"))
    yield store
    store.close()


@pytest.fixture
def throttle(storage, clock: Clock) -> Throttle:
    return Throttle(storage, clock=clock)
