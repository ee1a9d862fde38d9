"""trusted_proxies: behind N proxies the client's address, scheme and host come from the
forwarded headers; with none (the default) those headers are ignored, since anyone can
send them."""

from __future__ import annotations

import pytest
from flask import request

from caseapp import ConfigError, create_app
from caseapp.extensions import db
from caseapp.throttle import POLICIES
from caseapp.throttle.redis_storage import RedisStorage
from tests.conftest import TEST_SETTINGS

FORWARDED = {
    "X-Forwarded-For": "10.9.8.7, 203.0.113.5",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "cases.example.org",
}


@pytest.fixture
def whoami(app):
    app.add_url_rule(
        "/_whoami",
        "whoami",
        lambda: {"address": request.remote_addr, "scheme": request.scheme, "host": request.host},
    )
    return lambda headers: app.test_client().get("/_whoami", headers=headers).get_json()


def test_without_trusted_proxies_forwarded_headers_are_ignored(whoami):
    assert whoami(FORWARDED) == {"address": "127.0.0.1", "scheme": "http", "host": "localhost"}


@pytest.mark.settings(trusted_proxies=1)
def test_behind_one_proxy_its_view_of_the_client_is_believed(whoami):
    # Only the address the proxy itself added (the last one): the client wrote the rest.
    assert whoami(FORWARDED) == {
        "address": "203.0.113.5",
        "scheme": "https",
        "host": "cases.example.org",
    }


@pytest.mark.settings(trusted_proxies=2)
def test_behind_two_proxies_the_client_is_second_from_the_right(whoami):
    assert (
        whoami({"X-Forwarded-For": "10.9.8.7, 203.0.113.5, 10.0.0.2"})["address"] == "203.0.113.5"
    )


@pytest.mark.settings(trusted_proxies=1, ratelimit_enabled=True)
def test_the_throttle_counts_the_forwarded_address(client, auth, make_user):
    office = POLICIES["login"]["address"]

    def login_from(address: str, email: str) -> int:
        token = auth.token()
        return client.post(
            "/login",
            headers={"X-Forwarded-For": address},
            data={
                "email": email,
                "password": "wrong",
                "csrf_token": token,
            },
        ).status_code

    assert {login_from("198.51.100.1", f"u{n}@example.org") for n in range(office.free)} == {200}
    assert login_from("198.51.100.1", "one.more@example.org") == 429
    assert login_from("198.51.100.2", "one.more@example.org") == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trusted_proxies": -1}, "trusted_proxies"),
        ({"throttle_storage": "memcached"}, "throttle_storage"),
        ({"throttle_storage": "redis"}, "redis_url"),
    ],
)
def test_bad_throttle_and_proxy_settings_refuse_to_start(instance_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        create_app(config={**TEST_SETTINGS, **overrides}, instance_path=instance_path)


def test_settings_come_from_the_environment(instance_path, monkeypatch, redis_url):
    monkeypatch.setenv("CASEAPP_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("CASEAPP_THROTTLE_STORAGE", "redis")
    monkeypatch.setenv("CASEAPP_REDIS_URL", redis_url)
    monkeypatch.setenv("CASEAPP_PASSWORD_CHANGE_REVOKES_TOKENS", "false")
    app = create_app(
        config=dict(TEST_SETTINGS, ratelimit_enabled=True), instance_path=instance_path
    )
    settings = app.extensions["caseapp"].settings
    assert settings.trusted_proxies == 2
    assert settings.password_change_revokes_tokens is False
    storage = app.extensions["caseapp"].throttle.storage
    assert isinstance(storage, RedisStorage)
    storage.close()
    app.extensions["caseapp"].vault.close()
    with app.app_context():
        db.engine.dispose()
